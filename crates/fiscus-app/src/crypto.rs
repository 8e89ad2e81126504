//! National cryptography behind traits, so a certified module can replace the software one:
//! SM3 for hashing secrets (session and API tokens), SM4-CTR with an HMAC-SM3 tag for
//! encrypting fields at rest (identity numbers).

use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sm3::{Digest, Sm3};

use crate::AppError;

/// Encrypts and decrypts one field value. Ciphertexts are self-contained text.
pub trait FieldCipher: Send + Sync {
    fn encrypt(&self, plaintext: &str) -> Result<String, AppError>;
    fn decrypt(&self, ciphertext: &str) -> Result<String, AppError>;
}

type Sm4Ctr = ctr::Ctr128BE<sm4::Sm4>;
type HmacSm3 = hmac::Hmac<Sm3>;

/// SM4-CTR, encrypt-then-MAC with HMAC-SM3. Text form: `v1:<iv hex>:<ciphertext hex>:<tag hex>`.
pub struct Sm4FieldCipher {
    encryption_key: [u8; 16],
    mac_key: [u8; 16],
}

const IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

impl Sm4FieldCipher {
    /// A 32-byte key in hex: the first half encrypts, the second authenticates.
    pub fn from_hex_key(hex_key: &str) -> Result<Sm4FieldCipher, AppError> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| AppError::Internal("secret_key is not hex".into()))?;
        if bytes.len() != 32 {
            return Err(AppError::Internal(
                "secret_key must be 32 bytes (64 hex digits)".into(),
            ));
        }
        let mut encryption_key = [0u8; 16];
        let mut mac_key = [0u8; 16];
        encryption_key.copy_from_slice(&bytes[..16]);
        mac_key.copy_from_slice(&bytes[16..]);
        Ok(Sm4FieldCipher {
            encryption_key,
            mac_key,
        })
    }

    fn tag(&self, iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, AppError> {
        let mut mac = <HmacSm3 as KeyInit>::new_from_slice(&self.mac_key)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        mac.update(iv);
        mac.update(ciphertext);
        Ok(mac.finalize().into_bytes()[..TAG_LEN].to_vec())
    }

    fn apply_keystream(&self, iv: &[u8; IV_LEN], data: &mut [u8]) {
        let mut cipher = Sm4Ctr::new(&self.encryption_key.into(), &(*iv).into());
        cipher.apply_keystream(data);
    }
}

impl FieldCipher for Sm4FieldCipher {
    fn encrypt(&self, plaintext: &str) -> Result<String, AppError> {
        let iv: [u8; IV_LEN] = random_bytes()?;
        let mut data = plaintext.as_bytes().to_vec();
        self.apply_keystream(&iv, &mut data);
        let tag = self.tag(&iv, &data)?;
        Ok(format!(
            "v1:{}:{}:{}",
            hex::encode(iv),
            hex::encode(&data),
            hex::encode(tag)
        ))
    }

    fn decrypt(&self, ciphertext: &str) -> Result<String, AppError> {
        let bad = || AppError::Internal("ciphertext is malformed or was tampered with".into());
        let parts: Vec<&str> = ciphertext.split(':').collect();
        let [version, iv_hex, data_hex, tag_hex] = parts.as_slice() else {
            return Err(bad());
        };
        if *version != "v1" {
            return Err(bad());
        }
        let iv: [u8; IV_LEN] = hex::decode(iv_hex)
            .ok()
            .and_then(|iv| iv.try_into().ok())
            .ok_or_else(bad)?;
        let mut data = hex::decode(data_hex).map_err(|_| bad())?;
        let tag = hex::decode(tag_hex).map_err(|_| bad())?;
        let expected = self.tag(&iv, &data)?;
        if !constant_time_eq(&tag, &expected) {
            return Err(bad());
        }
        self.apply_keystream(&iv, &mut data);
        String::from_utf8(data).map_err(|_| bad())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SM3 digest in hex: how session ids and API tokens are stored.
pub fn sm3_hex(data: &str) -> String {
    hex::encode(Sm3::digest(data.as_bytes()))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A random token of 32 bytes in hex (sessions, CSRF, API tokens).
pub fn random_token() -> Result<String, AppError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A random 32-hex-digit record id.
pub fn random_id() -> Result<String, AppError> {
    Ok(hex::encode(random_bytes::<16>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() -> Result<(), AppError> {
        let cipher = Sm4FieldCipher::from_hex_key(&"ab".repeat(32))?;
        let sealed = cipher.encrypt("11010519491231002X")?;
        assert!(!sealed.contains("1101051949"));
        assert_eq!(cipher.decrypt(&sealed)?, "11010519491231002X");
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap_or('0');
        tampered.push(if last == '0' { '1' } else { '0' });
        assert!(cipher.decrypt(&tampered).is_err());
        let other = Sm4FieldCipher::from_hex_key(&"cd".repeat(32))?;
        assert!(other.decrypt(&sealed).is_err());
        assert_eq!(
            sm3_hex("abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        Ok(())
    }
}
