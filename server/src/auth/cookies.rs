//! Nido's cookies: HttpOnly, SameSite=Strict, Path=/, and over https named with the
//! `__Host-` prefix and marked Secure, so that no other site or subdomain can set them.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::time::Duration;

/// The login session.
pub const SESSION: &str = "nido_session";
/// A browser that logged in successfully before (see `throttle`).
pub const DEVICE: &str = "nido_device";

const HOST_PREFIX: &str = "__Host-";

/// The value of a cookie by its base name: over https only with the `__Host-` prefix,
/// which no other site or subdomain can set (an unprefixed one may have been tossed in).
pub fn read(jar: &CookieJar, base: &str, https: bool) -> Option<String> {
    let cookie = if https {
        jar.get(&format!("{HOST_PREFIX}{base}"))
    } else {
        jar.get(base)
    };
    cookie.map(|cookie| cookie.value().to_owned())
}

/// A cookie holding `value` for `max_age` (to the second).
pub fn build(base: &str, value: String, https: bool, max_age: Duration) -> Cookie<'static> {
    let name = if https {
        format!("{HOST_PREFIX}{base}")
    } else {
        base.to_owned()
    };
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(https)
        .max_age(cookie::time::Duration::seconds(whole_seconds(max_age)))
        .build()
}

/// Tells the browser to forget the cookie, under both names.
pub fn remove(jar: CookieJar, base: &str, https: bool) -> CookieJar {
    jar.add(build(base, String::new(), https, Duration::ZERO))
        .add(build(base, String::new(), false, Duration::ZERO))
}

fn whole_seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_use_the_host_prefix_and_secure() {
        let cookie = build(SESSION, "t".into(), true, Duration::from_secs(60)).to_string();
        assert!(cookie.starts_with("__Host-nido_session=t;"), "{cookie}");
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Secure",
            "Max-Age=60",
        ] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
    }

    #[test]
    fn over_https_only_the_prefixed_name_is_read() {
        let jar = CookieJar::new()
            .add(Cookie::new("nido_session", "tossed"))
            .add(Cookie::new("__Host-nido_session", "real"));
        assert_eq!(read(&jar, SESSION, true).as_deref(), Some("real"));
        assert_eq!(read(&jar, SESSION, false).as_deref(), Some("tossed"));
        let tossed_only = CookieJar::new().add(Cookie::new("nido_session", "tossed"));
        assert_eq!(read(&tossed_only, SESSION, true), None);
    }

    #[test]
    fn http_cookies_cannot_be_secure() {
        let cookie = build(SESSION, "t".into(), false, Duration::from_secs(60)).to_string();
        assert!(cookie.starts_with("nido_session=t;"), "{cookie}");
        assert!(!cookie.contains("Secure"));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    }
}
