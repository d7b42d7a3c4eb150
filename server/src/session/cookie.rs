//! The session cookie's one wire format.
//!
//! `__Host-hallpass=<id>; Path=/; Secure; HttpOnly; SameSite=Lax`: the `__Host-` prefix makes
//! the browser refuse it without `Secure`, with a `Domain`, or with another path; no
//! `Max-Age`, so it ends with the browser session while the server enforces the real
//! lifetime. The removal cookie repeats every attribute, or browsers would ignore it.
use cookie::{time::OffsetDateTime, Cookie, CookieBuilder, SameSite};
use http::{header::COOKIE, HeaderMap, HeaderValue};
use tower_sessions::session::Id;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "__Host-hallpass";

fn base(value: String) -> CookieBuilder<'static> {
    Cookie::build((COOKIE_NAME, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
}

fn header(cookie: CookieBuilder<'static>) -> HeaderValue {
    HeaderValue::from_str(&cookie.build().to_string())
        .expect("cookie attributes are valid header text")
}

/// `Set-Cookie` value carrying the session id.
pub fn session_cookie(id: Id) -> HeaderValue {
    header(base(id.to_string()))
}

/// `Set-Cookie` value that removes the session cookie.
pub fn removal_cookie() -> HeaderValue {
    header(
        base(String::new())
            .max_age(cookie::time::Duration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH),
    )
}

/// What the request's cookies say about the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// No session cookie.
    Absent,
    /// A session cookie whose value is not an id we could have issued.
    Malformed,
    /// A well-formed id (which may still be unknown to the store).
    Id(Id),
}

/// A `Cookie` header we refuse to interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// A `Cookie` header that is not text.
    #[error("The Cookie header is not valid text.")]
    NotText,
    /// More than one session cookie: a sign of cookie injection (tossing).
    #[error("More than one session cookie was sent.")]
    Duplicate,
}

/// Finds the session cookie in the request headers.
pub fn read_session_cookie(headers: &HeaderMap) -> Result<Incoming, CookieError> {
    let mut found: Option<String> = None;
    for value in headers.get_all(COOKIE) {
        let text = value.to_str().map_err(|_| CookieError::NotText)?;
        for cookie in Cookie::split_parse(text).filter_map(Result::ok) {
            if cookie.name() == COOKIE_NAME {
                if found.is_some() {
                    return Err(CookieError::Duplicate);
                }
                found = Some(cookie.value().to_owned());
            }
        }
    }
    Ok(match found {
        None => Incoming::Absent,
        Some(value) => value
            .parse::<Id>()
            .map_or(Incoming::Malformed, Incoming::Id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn reads_absent_malformed_valid_and_duplicate_cookies() {
        let id = Id::default();
        assert_eq!(read_session_cookie(&headers(&[])), Ok(Incoming::Absent));
        assert_eq!(
            read_session_cookie(&headers(&[b"other=1; x"])),
            Ok(Incoming::Absent)
        );
        assert_eq!(
            read_session_cookie(&headers(&[b"__Host-hallpass=nope"])),
            Ok(Incoming::Malformed)
        );
        let good = format!("a=b; {COOKIE_NAME}={id}");
        assert_eq!(
            read_session_cookie(&headers(&[good.as_bytes()])),
            Ok(Incoming::Id(id))
        );
        let twice = format!("{COOKIE_NAME}={id}");
        assert_eq!(
            read_session_cookie(&headers(&[twice.as_bytes(), twice.as_bytes()])),
            Err(CookieError::Duplicate)
        );
        assert_eq!(
            read_session_cookie(&headers(&[b"\xff\xfe=1"])),
            Err(CookieError::NotText)
        );
    }

    #[test]
    fn set_and_removal_cookies_carry_every_attribute() {
        let set = session_cookie(Id::default());
        let set = set.to_str().unwrap();
        let removal = removal_cookie();
        let removal = removal.to_str().unwrap();
        for cookie in [set, removal] {
            assert!(cookie.starts_with("__Host-hallpass="), "{cookie}");
            for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
                assert!(cookie.contains(attr), "{cookie} lacks {attr}");
            }
            assert!(!cookie.contains("Domain"), "{cookie}");
        }
        assert!(
            !set.contains("Max-Age") && !set.contains("Expires"),
            "{set}"
        );
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }
}
