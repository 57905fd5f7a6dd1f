//! Registry credentials. GetAuthorizationToken hands out `base64("AWS:" + password)`; the
//! password is Berth's own signed statement of who may use it until when: the account and
//! access key id of the caller and an expiry 12 hours out, HMAC-signed with the registry's
//! key (kept in the store, so tokens survive a restart). The registry accepts the password
//! as HTTP Basic (user `AWS`) or as a Bearer token.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a token is good for (ECR's tokens last 12 hours).
pub const LIFETIME_SECS: f64 = 12.0 * 3600.0;

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    #[serde(rename = "a")]
    pub account: String,
    #[serde(rename = "k")]
    pub access_key_id: String,
    /// Epoch seconds.
    #[serde(rename = "e")]
    pub expires_at: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenError {
    #[error("The authorization token is not one this registry issued.")]
    Malformed,
    #[error("Your authorization token has expired. Reauthenticate and try again.")]
    Expired,
}

type Mac256 = Hmac<Sha256>;

fn mac(key: &[u8], payload: &str) -> Mac256 {
    // HMAC takes a key of any length.
    let mut m = Mac256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(payload.as_bytes());
    m
}

/// The password of a grant.
pub fn password(key: &[u8], grant: &Grant) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(grant).unwrap_or_default());
    let sig = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// The `authorizationToken` of a grant: `base64("AWS:" + password)`.
pub fn authorization_token(key: &[u8], grant: &Grant) -> String {
    STANDARD.encode(format!("AWS:{}", password(key, grant)))
}

/// Checks a password at time `now`.
pub fn verify(key: &[u8], password: &str, now: f64) -> Result<Grant, TokenError> {
    let (payload, sig) = password.split_once('.').ok_or(TokenError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| TokenError::Malformed)?;
    mac(key, payload)
        .verify_slice(&sig)
        .map_err(|_| TokenError::Malformed)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let grant: Grant = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if grant.expires_at <= now {
        return Err(TokenError::Expired);
    }
    Ok(grant)
}

/// The password of an `Authorization` header: `Basic base64(AWS:password)` or `Bearer password`.
pub fn password_of_header(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, pass) = text.split_once(':')?;
        (user == "AWS").then(|| pass.to_owned())
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.trim().to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_at: f64) -> Grant {
        Grant {
            account: "123456789012".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            expires_at,
        }
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let key = b"registry key";
        let token = authorization_token(key, &grant(100.0));
        let text = String::from_utf8(STANDARD.decode(&token).expect("base64")).expect("utf8");
        let pass = text.strip_prefix("AWS:").expect("user AWS");
        assert_eq!(verify(key, pass, 99.0), Ok(grant(100.0)));
        assert_eq!(verify(key, pass, 100.0), Err(TokenError::Expired));
        let header = format!("Basic {token}");
        assert_eq!(password_of_header(&header).as_deref(), Some(pass));
        assert_eq!(
            password_of_header(&format!("Bearer {pass}")).as_deref(),
            Some(pass)
        );
    }

    #[test]
    fn a_forged_or_foreign_token_is_refused() {
        let pass = password(b"one key", &grant(100.0));
        assert_eq!(
            verify(b"another key", &pass, 1.0),
            Err(TokenError::Malformed)
        );
        let (payload, sig) = pass.split_once('.').expect("dot");
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&grant(1e12)).expect("json"));
        assert_ne!(payload, forged_payload);
        let forged = format!("{forged_payload}.{sig}");
        assert_eq!(verify(b"one key", &forged, 1.0), Err(TokenError::Malformed));
        for junk in ["", ".", "abc", "a.b"] {
            assert_eq!(verify(b"one key", junk, 1.0), Err(TokenError::Malformed));
        }
        assert_eq!(password_of_header("Basic !!!"), None);
        let other_user = STANDARD.encode("bob:pw");
        assert_eq!(password_of_header(&format!("Basic {other_user}")), None);
    }
}
