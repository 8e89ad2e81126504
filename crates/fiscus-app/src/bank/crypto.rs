//! The national cryptography of bank messages behind `VoucherCrypto`: SM2 signatures (the
//! `sm2` crate's DSA hashes ZA ‖ message with SM3), SM4-CTR with an HMAC-SM3 tag for the
//! voucher bodies. `SmCrypto` is the software implementation; a certified cryptographic module
//! (密码机, UKey) replaces it behind the same trait.

use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm3::Sm3;

use crate::AppError;
use crate::crypto::random_bytes;
use crate::settings::Secret;

/// One party's view of one channel: signs as us, verifies the peer, encrypts bodies with the
/// key both share. Failures of `verify` and `decrypt` are plain `false` / `None`: the caller
/// turns them into a rejection without learning why.
pub trait VoucherCrypto: Send + Sync {
    /// Our SM2 signature (64 bytes, r ‖ s) over `data`.
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, AppError>;
    /// Whether `signature` is the peer's SM2 signature over `data`.
    fn verify_peer(&self, data: &[u8], signature: &[u8]) -> bool;
    /// Whether `signature` is our own signature over `data` (the voucher signatures we made).
    fn verify_own(&self, data: &[u8], signature: &[u8]) -> bool;
    /// IV ‖ SM4-CTR ciphertext ‖ HMAC-SM3 tag, with a fresh random IV.
    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, AppError>;
    /// The plaintext, or `None` when the tag does not match or the input is too short.
    fn decrypt(&self, sealed: &[u8]) -> Option<Vec<u8>>;
}

/// The distinguishing identifier of GM/T 0009 when the parties agreed on none.
pub const SM2_DIST_ID: &str = "1234567812345678";

const IV_LEN: usize = 16;
const TAG_LEN: usize = 32;

type Sm4Ctr = ctr::Ctr128BE<sm4::Sm4>;
type HmacSm3 = hmac::Hmac<Sm3>;

/// An SM2 key pair as hex: the 32-byte private scalar and the 65-byte uncompressed public point.
#[derive(Clone, Debug)]
pub struct Sm2KeyPairHex {
    pub private_key: Secret,
    pub public_key: String,
}

/// A new SM2 key pair from the operating system's randomness (`fiscus keygen --sm2`).
pub fn generate_sm2_key_pair() -> Result<Sm2KeyPairHex, AppError> {
    // A random 32-byte string is a valid scalar unless it is 0 or ≥ n (about 2^-32 chance).
    for _ in 0..16 {
        let bytes: [u8; 32] = random_bytes()?;
        if let Ok(key) = SigningKey::from_slice(SM2_DIST_ID, &bytes) {
            return Ok(Sm2KeyPairHex {
                private_key: Secret::new(hex::encode(bytes)),
                public_key: hex::encode(key.verifying_key().to_sec1_bytes()),
            });
        }
    }
    Err(AppError::Internal("cannot draw an SM2 private key".into()))
}

/// The public key (hex, uncompressed) that belongs to a private key (hex).
pub fn sm2_public_key_of(private_key_hex: &str) -> Result<String, AppError> {
    let key = signing_key(private_key_hex)?;
    Ok(hex::encode(key.verifying_key().to_sec1_bytes()))
}

fn key_error(what: &str) -> AppError {
    AppError::Internal(format!("bank keys: {what}"))
}

fn signing_key(private_key_hex: &str) -> Result<SigningKey, AppError> {
    let bytes = hex::decode(private_key_hex.trim())
        .map_err(|_| key_error("the SM2 private key is not hex"))?;
    if bytes.len() != 32 {
        return Err(key_error(
            "the SM2 private key must be 32 bytes (64 hex digits)",
        ));
    }
    SigningKey::from_slice(SM2_DIST_ID, &bytes)
        .map_err(|_| key_error("the SM2 private key is not a valid scalar"))
}

fn verifying_key(public_key_hex: &str) -> Result<VerifyingKey, AppError> {
    let bytes = hex::decode(public_key_hex.trim())
        .map_err(|_| key_error("an SM2 public key is not hex"))?;
    VerifyingKey::from_sec1_bytes(SM2_DIST_ID, &bytes)
        .map_err(|_| key_error("an SM2 public key is not a point of the curve"))
}

/// The software implementation: our signing key, the peer's verifying key, the shared SM4 key
/// (32 bytes: the first half encrypts, the second authenticates).
pub struct SmCrypto {
    signing_key: SigningKey,
    peer_key: VerifyingKey,
    encryption_key: [u8; 16],
    mac_key: [u8; 16],
}

impl SmCrypto {
    /// Keys as they stand in the settings: hex private key, hex public key, hex shared key.
    pub fn from_hex(
        our_private_key: &Secret,
        peer_public_key: &str,
        shared_key: &Secret,
    ) -> Result<SmCrypto, AppError> {
        let shared = hex::decode(shared_key.expose().trim())
            .map_err(|_| key_error("the shared SM4 key is not hex"))?;
        if shared.len() != 32 {
            return Err(key_error(
                "the shared SM4 key must be 32 bytes (64 hex digits)",
            ));
        }
        let mut encryption_key = [0u8; 16];
        let mut mac_key = [0u8; 16];
        encryption_key.copy_from_slice(&shared[..16]);
        mac_key.copy_from_slice(&shared[16..]);
        Ok(SmCrypto {
            signing_key: signing_key(our_private_key.expose())?,
            peer_key: verifying_key(peer_public_key)?,
            encryption_key,
            mac_key,
        })
    }

    fn tag(&self, iv: &[u8], ciphertext: &[u8]) -> Option<[u8; TAG_LEN]> {
        let mut mac = <HmacSm3 as KeyInit>::new_from_slice(&self.mac_key).ok()?;
        mac.update(iv);
        mac.update(ciphertext);
        Some(mac.finalize().into_bytes().into())
    }

    fn apply_keystream(&self, iv: &[u8; IV_LEN], data: &mut [u8]) {
        let mut cipher = Sm4Ctr::new(&self.encryption_key.into(), &(*iv).into());
        cipher.apply_keystream(data);
    }
}

fn verify_with(key: &VerifyingKey, data: &[u8], signature: &[u8]) -> bool {
    match Signature::from_slice(signature) {
        Ok(signature) => key.verify(data, &signature).is_ok(),
        Err(_) => false,
    }
}

impl VoucherCrypto for SmCrypto {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, AppError> {
        let signature: Signature = self
            .signing_key
            .try_sign(data)
            .map_err(|_| AppError::Internal("SM2 signing failed".into()))?;
        Ok(signature.to_bytes().to_vec())
    }

    fn verify_peer(&self, data: &[u8], signature: &[u8]) -> bool {
        verify_with(&self.peer_key, data, signature)
    }

    fn verify_own(&self, data: &[u8], signature: &[u8]) -> bool {
        verify_with(self.signing_key.verifying_key(), data, signature)
    }

    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, AppError> {
        let iv: [u8; IV_LEN] = random_bytes()?;
        let mut sealed = Vec::with_capacity(IV_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&iv);
        sealed.extend_from_slice(plaintext);
        self.apply_keystream(&iv, &mut sealed[IV_LEN..]);
        let tag = self
            .tag(&iv, &sealed[IV_LEN..])
            .ok_or_else(|| AppError::Internal("HMAC-SM3 key rejected".into()))?;
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }

    fn decrypt(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < IV_LEN + TAG_LEN {
            return None;
        }
        let (iv, rest) = sealed.split_at(IV_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let expected = self.tag(iv, ciphertext)?;
        let differences = tag
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if differences != 0 {
            return None;
        }
        let iv: [u8; IV_LEN] = iv.try_into().ok()?;
        let mut plaintext = ciphertext.to_vec();
        self.apply_keystream(&iv, &mut plaintext);
        Some(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_encrypt_decrypt() -> Result<(), AppError> {
        let ours = generate_sm2_key_pair()?;
        let theirs = generate_sm2_key_pair()?;
        assert_eq!(
            sm2_public_key_of(ours.private_key.expose())?,
            ours.public_key
        );
        let shared = Secret::new("ab".repeat(32));
        let we = SmCrypto::from_hex(&ours.private_key, &theirs.public_key, &shared)?;
        let they = SmCrypto::from_hex(&theirs.private_key, &ours.public_key, &shared)?;
        let signature = we.sign(b"voucher")?;
        assert!(they.verify_peer(b"voucher", &signature));
        assert!(we.verify_own(b"voucher", &signature));
        assert!(!they.verify_peer(b"voucheR", &signature));
        assert!(!we.verify_peer(b"voucher", &signature));
        assert!(!they.verify_peer(b"voucher", &signature[..10]));
        let sealed = we.encrypt("支付凭证".as_bytes())?;
        assert_eq!(
            they.decrypt(&sealed).as_deref(),
            Some("支付凭证".as_bytes())
        );
        let mut tampered = sealed.clone();
        tampered[IV_LEN] ^= 1;
        assert_eq!(they.decrypt(&tampered), None);
        assert_eq!(they.decrypt(&sealed[..20]), None);
        assert!(SmCrypto::from_hex(&Secret::new("zz"), &theirs.public_key, &shared).is_err());
        assert!(SmCrypto::from_hex(&ours.private_key, "04ab", &shared).is_err());
        Ok(())
    }
}
