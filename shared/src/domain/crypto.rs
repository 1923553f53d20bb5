//! AES-256-GCM sealing of small secrets (provider keys, data keys): a random 96-bit nonce
//! before the ciphertext, the tag after, and associated data that binds a ciphertext to
//! where it belongs (another row's ciphertext does not open here).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// A sealing step that failed; the message names it (never the key or the plaintext).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CryptoError(pub &'static str);

pub const KEY_BYTES: usize = 32;

/// A fresh random 256-bit key.
pub fn random_key() -> Result<Vec<u8>, CryptoError> {
    let mut key = vec![0u8; KEY_BYTES];
    aws_lc_rs::rand::fill(&mut key).map_err(|_| CryptoError("the system random source failed"))?;
    Ok(key)
}

/// Encrypts `plaintext` under `key`, bound to `context`.
pub fn seal(key: &[u8], plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = aead_key(key)?;
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce)
        .map_err(|_| CryptoError("the system random source failed"))?;
    let mut sealed = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(context),
        &mut sealed,
    )
    .map_err(|_| CryptoError("encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts what [`seal`] made with the same key and context.
pub fn open(key: &[u8], sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = aead_key(key)?;
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError("a sealed value is truncated"));
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| CryptoError("a sealed value has a bad nonce"))?;
    let mut buffer = ciphertext.to_vec();
    let plaintext = key
        .open_in_place(nonce, Aad::from(context), &mut buffer)
        .map_err(|_| CryptoError("a sealed value does not open with this key"))?;
    Ok(plaintext.to_vec())
}

fn aead_key(key: &[u8]) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError("not a 256-bit key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = random_key().unwrap();
        let sealed = seal(&key, b"sk-secret", b"user-1/openai").unwrap();
        assert!(!sealed.windows(9).any(|window| window == b"sk-secret"));
        assert_eq!(open(&key, &sealed, b"user-1/openai").unwrap(), b"sk-secret");
        assert!(open(&key, &sealed, b"user-2/openai").is_err());
        assert!(open(&random_key().unwrap(), &sealed, b"user-1/openai").is_err());
        assert!(open(&key, &sealed[..5], b"user-1/openai").is_err());
        assert_ne!(
            seal(&key, b"x", b"c").unwrap(),
            seal(&key, b"x", b"c").unwrap()
        );
    }
}
