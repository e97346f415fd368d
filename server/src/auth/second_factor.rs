//! Two-step sign-in: TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, by `totp-rs`)
//! that each log in once, recovery codes, and the QR code an authenticator app scans.

use qrcode::QrCode;
use qrcode::render::svg;
use rand::Rng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// How many recovery codes a person gets; each logs in once.
pub const RECOVERY_CODE_COUNT: usize = 10;
const STEP_SECS: u64 = 30;
const SECRET_BYTES: usize = 20;
/// Recovery codes: no 0/O or 1/I/L, so that a code copied by hand reads back.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const RECOVERY_GROUP: usize = 5;

/// A fresh authenticator secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], username: &str) -> TOTP {
    // The secret is 160 bits and a username holds no ':', so the parameters are valid.
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECS,
        secret.to_vec(),
        Some("Nido".to_owned()),
        username.to_owned(),
    )
}

/// What an authenticator app needs: the secret in base32, its `otpauth://` address and
/// that address as a QR code (SVG).
pub fn enrollment(secret: &[u8], username: &str) -> (String, String, String) {
    let totp = totp(secret, username);
    let url = totp.get_url();
    let qr_svg = QrCode::new(url.as_bytes())
        .map(|code| {
            code.render::<svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    (totp.get_secret_base32(), url, qr_svg)
}

/// The time step whose code `code` is, one step of clock drift either way allowed, if it
/// is one of them and later than `last_step` (so a code seen once never logs in again).
pub fn matching_step(secret: &[u8], code: &str, now_secs: u64, last_step: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "-");
    let now_step = now_secs / STEP_SECS;
    (now_step.saturating_sub(1)..=now_step + 1)
        .filter(|&step| step > last_step)
        .find(|&step| totp.check(&code, step * STEP_SECS))
}

/// New recovery codes, as people read them (`abcde-fghjk`).
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut letter =
                || RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char;
            let first: String = (0..RECOVERY_GROUP).map(|_| letter()).collect();
            let second: String = (0..RECOVERY_GROUP).map(|_| letter()).collect();
            format!("{first}-{second}")
        })
        .collect()
}

/// A recovery code's hash, read forgivingly (case, spaces and the dash do not matter); the
/// codes are random enough (50 bits) that a plain hash keeps a database copy from using them.
pub fn recovery_code_hash(code: &str) -> [u8; 32] {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_once_and_within_one_step_of_drift() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = totp(&secret, "ana").generate(now);
        let step = now / STEP_SECS;
        assert_eq!(matching_step(&secret, &code, now, 0), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 30, 0), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 90, 0), None);
        assert_eq!(matching_step(&secret, &code, now, step), None);
        assert_eq!(matching_step(&secret, "12345", now, 0), None);
    }

    #[test]
    fn the_rfc_6238_test_vector_holds() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082 with 6.
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", 59, 0), Some(1));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_forgivingly() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
        let code = &codes[0];
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&format!(" {} ", code.to_uppercase().replace('-', "")))
        );
    }
}
