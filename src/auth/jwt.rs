//! HS256 tokens: `sub` is the user id, `exp` bounds the lifetime.

use crate::config::JwtSettings;
use crate::domain::UserId;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    /// The server-side session this token belongs to.
    sid: String,
    iat: u64,
    exp: u64,
}

pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

impl Jwt {
    pub fn new(settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(&settings.secret),
            decoding: DecodingKey::from_secret(&settings.secret),
            validation,
            ttl_secs: settings.ttl.as_secs(),
        }
    }

    pub fn issue(&self, user_id: UserId, session_id: &str) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The user id and session id of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Option<(UserId, String)> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some((UserId::new(data.claims.sub.parse().ok()?), data.claims.sid))
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn jwt(secret: &[u8], ttl: u64) -> Jwt {
        Jwt::new(&JwtSettings {
            secret: secret.to_vec(),
            ttl: Duration::from_secs(ttl),
            ephemeral: false,
        })
    }

    #[test]
    fn round_trip_and_rejections() {
        let a = jwt(&[1; 32], 60);
        let token = a.issue(UserId::new(42), "s1").unwrap();
        assert_eq!(a.verify(&token), Some((UserId::new(42), "s1".to_string())));
        assert_eq!(
            jwt(&[2; 32], 60).verify(&token),
            None,
            "another key must not verify"
        );
        assert_eq!(a.verify("not.a.token"), None);
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(a.verify(&tampered), None);
        // alg=none must never be accepted.
        let none = format!("eyJhbGciOiJub25lIn0.{}.", token.split('.').nth(1).unwrap());
        assert_eq!(a.verify(&none), None);
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let a = jwt(&[1; 32], 60);
        let claims = Claims {
            sub: "1".into(),
            sid: "s".into(),
            iat: 0,
            exp: 1,
        };
        let old = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[1; 32]),
        )
        .unwrap();
        assert_eq!(a.verify(&old), None);
    }
}
