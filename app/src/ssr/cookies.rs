//! The cookies' one wire format.
//!
//! Both cookies are `__Host-` prefixed, `Path=/; Secure; HttpOnly; SameSite=Lax`, no
//! `Domain`: the prefix makes the browser refuse them otherwise. The session cookie has no
//! `Max-Age` (it ends with the browser; the server enforces the real lifetime); the
//! remember-me cookie lives as long as its token. Removal cookies repeat every attribute, or
//! browsers would ignore them.
use cookie::{time::OffsetDateTime, Cookie, CookieBuilder, SameSite};
use http::{header::COOKIE, HeaderMap, HeaderValue};

/// A cookie's name; everything else is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieSpec {
    /// The cookie's name.
    pub name: &'static str,
}

/// The session cookie.
pub const SESSION_COOKIE: CookieSpec = CookieSpec {
    name: "__Host-hallpass",
};
/// The remember-me cookie.
pub const REMEMBER_COOKIE: CookieSpec = CookieSpec {
    name: "__Host-hallpass-remember",
};

/// The device cookie (see [`super::devices`]).
pub const DEVICE_COOKIE: CookieSpec = CookieSpec {
    name: "__Host-hallpass-device",
};

/// The passkey sign-in attempt cookie: binds a sign-in ceremony to the browser that started
/// it (see [`super::passkeys`]); lives as long as the ceremony.
pub const PASSKEY_COOKIE: CookieSpec = CookieSpec {
    name: "__Host-hallpass-passkey",
};

/// A `Cookie` header we refuse to interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// A `Cookie` header that is not text.
    #[error("The Cookie header is not valid text.")]
    NotText,
    /// The same cookie twice: a sign of cookie injection (tossing).
    #[error("More than one {0} cookie was sent.")]
    Duplicate(&'static str),
}

impl CookieSpec {
    fn base(self, value: String) -> CookieBuilder<'static> {
        Cookie::build((self.name, value))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
    }

    fn header(cookie: CookieBuilder<'static>) -> HeaderValue {
        HeaderValue::from_str(&cookie.build().to_string())
            .expect("cookie attributes are valid header text")
    }

    /// `Set-Cookie` value carrying `value`, for `max_age` seconds or the browser session.
    pub fn set(self, value: String, max_age: Option<i64>) -> HeaderValue {
        let cookie = self.base(value);
        Self::header(match max_age {
            Some(secs) => cookie.max_age(cookie::time::Duration::seconds(secs)),
            None => cookie,
        })
    }

    /// `Set-Cookie` value that removes the cookie.
    pub fn removal(self) -> HeaderValue {
        Self::header(
            self.base(String::new())
                .max_age(cookie::time::Duration::ZERO)
                .expires(OffsetDateTime::UNIX_EPOCH),
        )
    }

    /// The cookie's value in the request, if sent once.
    pub fn read(self, headers: &HeaderMap) -> Result<Option<String>, CookieError> {
        let mut found: Option<String> = None;
        for value in headers.get_all(COOKIE) {
            let text = value.to_str().map_err(|_| CookieError::NotText)?;
            for cookie in Cookie::split_parse(text).filter_map(Result::ok) {
                if cookie.name() == self.name {
                    if found.is_some() {
                        return Err(CookieError::Duplicate(match self.name {
                            n if n == SESSION_COOKIE.name => "session",
                            n if n == REMEMBER_COOKIE.name => "remember-me",
                            n if n == PASSKEY_COOKIE.name => "passkey",
                            _ => "device",
                        }));
                    }
                    found = Some(cookie.value().to_owned());
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prop_assert_eq;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn reads_absent_present_and_duplicate_cookies() {
        assert_eq!(SESSION_COOKIE.read(&headers(&[])), Ok(None));
        assert_eq!(SESSION_COOKIE.read(&headers(&[b"other=1; x"])), Ok(None));
        assert_eq!(
            SESSION_COOKIE.read(&headers(&[b"a=b; __Host-hallpass=v1"])),
            Ok(Some("v1".into()))
        );
        assert_eq!(
            REMEMBER_COOKIE.read(&headers(&[
                b"__Host-hallpass=s; __Host-hallpass-remember=r"
            ])),
            Ok(Some("r".into()))
        );
        assert_eq!(
            SESSION_COOKIE.read(&headers(&[b"__Host-hallpass=a", b"__Host-hallpass=b"])),
            Err(CookieError::Duplicate("session"))
        );
        assert_eq!(
            SESSION_COOKIE.read(&headers(&[b"\xff\xfe=1"])),
            Err(CookieError::NotText)
        );
    }

    #[test]
    fn set_and_removal_cookies_carry_every_attribute() {
        let set = SESSION_COOKIE.set("v".into(), None);
        let remember = REMEMBER_COOKIE.set("v".into(), Some(60));
        let removal = SESSION_COOKIE.removal();
        let (set, remember, removal) = (
            set.to_str().unwrap(),
            remember.to_str().unwrap(),
            removal.to_str().unwrap(),
        );
        for cookie in [set, remember, removal] {
            assert!(cookie.starts_with("__Host-hallpass"), "{cookie}");
            for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
                assert!(cookie.contains(attr), "{cookie} lacks {attr}");
            }
            assert!(!cookie.contains("Domain"), "{cookie}");
        }
        assert!(
            !set.contains("Max-Age") && !set.contains("Expires"),
            "{set}"
        );
        assert!(remember.contains("Max-Age=60"), "{remember}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }

    proptest::proptest! {
        #[test]
        fn any_cookie_header_is_read_without_panicking(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            if let Ok(value) = HeaderValue::from_bytes(&raw) {
                let mut map = HeaderMap::new();
                map.insert(COOKIE, value);
                let _ = SESSION_COOKIE.read(&map);
                let _ = REMEMBER_COOKIE.read(&map);
            }
        }

        #[test]
        fn a_cookie_sent_once_is_found_and_twice_is_refused(value in "[A-Za-z0-9_-]{1,40}", noise in "[a-z]{1,8}=[a-z0-9]{0,8}") {
            let once = format!("{noise}; __Host-hallpass={value}");
            prop_assert_eq!(SESSION_COOKIE.read(&headers(&[once.as_bytes()])), Ok(Some(value.clone())));
            let twice = format!("__Host-hallpass={value}; {noise}; __Host-hallpass={value}");
            prop_assert_eq!(SESSION_COOKIE.read(&headers(&[twice.as_bytes()])), Err(CookieError::Duplicate("session")));
        }
    }
}
