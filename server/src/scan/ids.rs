//! How random session ids are, from a sample of fresh ones: repeats, shared prefixes,
//! counters, how many bits they can carry, and the bit-level tests of NIST SP 800-22 (monobit,
//! runs) on the concatenated ids.

/// What the sample says.
#[derive(Clone, Debug, PartialEq)]
pub struct Strength {
    /// Ids that appeared more than once.
    pub repeats: usize,
    /// The longest prefix every id shares (characters).
    pub shared_prefix: usize,
    /// The ids read as numbers go up by small steps.
    pub counter: bool,
    /// Bits the random part can carry (its length times the bits of its alphabet).
    pub bits: f64,
    /// Shannon entropy of the characters, bits per character (observed).
    pub entropy_per_char: f64,
    /// NIST monobit test p-value on the decoded bits.
    pub monobit_p: f64,
    /// NIST runs test p-value on the decoded bits.
    pub runs_p: f64,
    /// How many bits the tests read (0: the encoding is not hex or base64).
    pub decoded_bits: usize,
}

/// The random part of a cookie value: an Express signed cookie (`s:<id>.<signature>`) is
/// reduced to its id, percent-encoding undone.
pub fn random_part(value: &str) -> String {
    let value = value.replace("%3A", ":").replace("%3a", ":");
    match value.strip_prefix("s:") {
        Some(rest) => rest.split('.').next().unwrap_or(rest).to_owned(),
        None => value,
    }
}

/// Measures `ids` (cookie values as set). `bits` counts only the positions that vary across
/// the sample (a constant prefix, suffix or version digit carries nothing), and the NIST tests
/// read only those positions; `decoded` is false when the ids' alphabet could not be read as
/// bits (then the tests say nothing).
pub fn measure(ids: &[String]) -> Strength {
    let ids: Vec<String> = ids.iter().map(|v| normalise(&random_part(v))).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    let repeats = ids.len() - sorted.len();
    let chars: Vec<Vec<char>> = ids.iter().map(|id| id.chars().collect()).collect();
    let shortest = chars.iter().map(Vec::len).min().unwrap_or(0);
    let varies = |i: usize| chars.iter().any(|id| id[i] != chars[0][i]);
    let varying: Vec<usize> = if chars.len() < 2 {
        (0..shortest).collect()
    } else {
        (0..shortest).filter(|&i| varies(i)).collect()
    };
    let shared_prefix = varying.first().copied().unwrap_or(shortest);
    let counter = looks_like_counter(&ids);
    let alphabet = alphabet_bits(&ids);
    let bits = varying.len() as f64 * alphabet;
    let entropy_per_char = shannon(&ids);
    let decoded = bits_of(&chars, &varying, alphabet);
    Strength {
        repeats,
        shared_prefix,
        counter,
        bits,
        entropy_per_char,
        monobit_p: monobit(&decoded),
        runs_p: runs(&decoded),
        decoded_bits: decoded.len(),
    }
}

/// A UUID (8-4-4-4-12 hex digits) is read without its dashes.
fn normalise(id: &str) -> String {
    let parts: Vec<&str> = id.split('-').collect();
    let uuid = parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()));
    if uuid {
        parts.concat()
    } else {
        id.to_owned()
    }
}

fn looks_like_counter(ids: &[String]) -> bool {
    let numbers: Vec<u128> = ids
        .iter()
        .filter_map(|id| {
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            (!digits.is_empty() && digits.len() <= 30)
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect();
    if numbers.len() < ids.len() || numbers.len() < 3 {
        return false;
    }
    numbers
        .windows(2)
        .all(|w| w[1] > w[0] && w[1] - w[0] < 1_000_000)
}

/// Bits per character of the smallest common alphabet the ids fit in.
fn alphabet_bits(ids: &[String]) -> f64 {
    let all: String = ids.concat();
    if all.is_empty() {
        return 0.0;
    }
    if all.chars().all(|c| c.is_ascii_digit()) {
        10f64.log2()
    } else if all.chars().all(|c| c.is_ascii_hexdigit()) {
        4.0
    } else if all
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '='))
    {
        6.0
    } else {
        // Anything else: the distinct characters seen (an upper bound).
        let mut seen: Vec<char> = all.chars().collect();
        seen.sort_unstable();
        seen.dedup();
        (seen.len() as f64).log2()
    }
}

fn shannon(ids: &[String]) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in ids.iter().flat_map(|id| id.chars()) {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// The varying positions of the ids as bits (hex: 4 a character; base64-ish: 6; other
/// alphabets are not decoded). Each id gives whole bytes only: base64 of 16 bytes is 22
/// characters whose last one carries 2 bits and 4 zero bits of padding, which would read as a
/// bias towards zero.
fn bits_of(ids: &[Vec<char>], varying: &[usize], alphabet: f64) -> Vec<bool> {
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = Vec::new();
    for id in ids {
        let mut own = Vec::new();
        for &i in varying {
            let c = id[i];
            let (value, width) = if alphabet == 4.0 {
                (c.to_digit(16), 4)
            } else if alphabet == 6.0 {
                let c = match c {
                    '+' => '-',
                    '/' => '_',
                    c => c,
                };
                (B64.find(c).map(|i| i as u32), 6)
            } else {
                (None, 0)
            };
            if let Some(v) = value {
                for b in (0..width).rev() {
                    own.push(v >> b & 1 == 1);
                }
            }
        }
        own.truncate(own.len() / 8 * 8);
        bits.extend(own);
    }
    bits
}

/// NIST SP 800-22 2.1: the proportion of ones; p-value (1.0 for too little data).
fn monobit(bits: &[bool]) -> f64 {
    if bits.len() < 100 {
        return 1.0;
    }
    let n = bits.len() as f64;
    let s: f64 = bits.iter().map(|&b| if b { 1.0 } else { -1.0 }).sum();
    erfc(s.abs() / n.sqrt() / std::f64::consts::SQRT_2)
}

/// NIST SP 800-22 2.3: the number of runs; p-value (0.0 when the monobit pre-test fails).
fn runs(bits: &[bool]) -> f64 {
    if bits.len() < 100 {
        return 1.0;
    }
    let n = bits.len() as f64;
    let pi = bits.iter().filter(|&&b| b).count() as f64 / n;
    if (pi - 0.5).abs() >= 2.0 / n.sqrt() {
        return 0.0;
    }
    let v = 1.0 + bits.windows(2).filter(|w| w[0] != w[1]).count() as f64;
    erfc((v - 2.0 * n * pi * (1.0 - pi)).abs() / (2.0 * (2.0 * n).sqrt() * pi * (1.0 - pi)))
}

/// The complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_hex(n: usize) -> Vec<String> {
        (0..n)
            .map(|_| hex::encode(rand::random::<[u8; 16]>()))
            .collect()
    }

    #[test]
    fn random_ids_pass_and_weak_ones_are_caught() {
        let good = measure(&random_hex(50));
        assert_eq!(good.repeats, 0);
        assert!(good.bits >= 124.0, "{good:?}");
        assert!(!good.counter);
        assert!(good.monobit_p > 0.001 && good.runs_p > 0.001, "{good:?}");

        let counters: Vec<String> = (1000..1050).map(|n| format!("sess{n}")).collect();
        let weak = measure(&counters);
        assert!(weak.counter);
        assert!(weak.shared_prefix >= 5);
        assert!(weak.bits < 64.0);

        // Hex digits drawn from a-d only (1010-1101): every position varies, but the bits lean
        // towards 1.
        let biased: Vec<String> = (0..50)
            .map(|_| {
                (0..32)
                    .map(|_| ['a', 'b', 'c', 'd'][usize::from(rand::random::<u8>() % 4)])
                    .collect()
            })
            .collect();
        let biased = measure(&biased);
        assert!(biased.monobit_p < 0.001, "{biased:?}");
        // A constant prefix is not counted as randomness at all.
        let prefixed: Vec<String> = (0..50)
            .map(|_| "f".repeat(16) + &hex::encode(rand::random::<[u8; 2]>()))
            .collect();
        let prefixed = measure(&prefixed);
        assert_eq!(prefixed.shared_prefix, 16);
        assert!(prefixed.bits <= 16.0, "{prefixed:?}");
    }

    #[test]
    fn base64_padding_bits_are_not_read_as_bias() {
        use base64::Engine as _;
        let ids: Vec<String> = (0..200)
            .map(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
            })
            .collect();
        let s = measure(&ids);
        assert!(s.monobit_p > 0.001, "{s:?}");
        assert!(s.bits >= 128.0, "{s:?}");
    }

    #[test]
    fn uuids_constant_parts_and_long_ids_are_read_for_what_varies() {
        let uuids: Vec<String> = (0..50)
            .map(|_| {
                let mut b = rand::random::<[u8; 16]>();
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let h = hex::encode(b);
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
            })
            .collect();
        let s = measure(&uuids);
        assert_eq!(s.bits, 124.0, "the version digit does not vary: {s:?}");
        assert!(s.monobit_p > 0.001, "{s:?}");
        let suffixed: Vec<String> = (0..50)
            .map(|_| hex::encode(rand::random::<[u8; 8]>()) + &"c".repeat(48))
            .collect();
        assert_eq!(
            measure(&suffixed).bits,
            64.0,
            "a constant suffix carries nothing"
        );
        let long: Vec<String> = (0..5).map(|_| "x".repeat(20_000)).collect();
        let started = std::time::Instant::now();
        let s = measure(&long);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(s.decoded_bits, 0);
    }

    #[test]
    fn signed_express_cookies_are_read_for_their_id() {
        assert_eq!(random_part("s%3AabcDEF.sig"), "abcDEF");
        assert_eq!(random_part("plain"), "plain");
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((erfc(1.0) - 0.157_299_2).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_8).abs() < 1e-6);
    }
}
