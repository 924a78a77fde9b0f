//! The aws-lc-rs backend (feature `aws-lc`, the default).
//!
//! AWS-LC's RSA is about nine times faster than the pure Rust `rsa` crate for the 4096-bit
//! OAEP encryption every session needs, and on a par with OpenSSL.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use zeroize::Zeroizing;

use super::{check_cbc_lengths, check_gcm_lengths};
use crate::provider::{
    AesCbc, AesCbcKey, AesGcm, AesGcmKey, CryptoProvider, HmacSha256, HmacSha256Key,
    OaepDecryptingKey, OaepEncryptingKey, RsaOaep, SecureRandom,
};
use crate::{DecryptError, Error, RsaKeyError};

/// The aws-lc-rs provider.
pub static PROVIDER: CryptoProvider = CryptoProvider {
    secure_random: &Random,
    rsa_oaep: &Rsa,
    aes_gcm: &Gcm,
    aes_cbc: &Cbc,
    hmac_sha256: &Hmac,
};

#[derive(Debug)]
struct Random;

impl SecureRandom for Random {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        aws_lc_rs::rand::fill(dest).map_err(|_| Error::Random)
    }
}

#[derive(Debug)]
struct Rsa;

impl RsaOaep for Rsa {
    fn public_key(&self, spki_der: &[u8]) -> Result<Box<dyn OaepEncryptingKey>, Error> {
        let der_error = || RsaKeyError::Der {
            expected: "SubjectPublicKeyInfo",
        };
        let key = PublicEncryptingKey::from_der(spki_der).map_err(|e| {
            // AWS-LC refuses keys under 2048 bits while parsing; say so as the other backend does.
            if e.description_() == "TooSmall" {
                RsaKeyError::TooSmall
            } else {
                der_error()
            }
        })?;
        let bits = key.key_size_bits();
        let key = OaepPublicEncryptingKey::new(key).map_err(|_| der_error())?;
        // OAEP padding draws from AWS-LC's own generator, which seeds itself on first use
        // with a jitter-entropy start-up test (tens of milliseconds of CPU): seed it now,
        // with the key, rather than inside the first session.
        aws_lc_rs::rand::fill(&mut [0u8; 1]).map_err(|_| Error::Random)?;
        Ok(Box::new(PublicKey { key, bits }))
    }

    fn private_key(&self, pkcs8_der: &[u8]) -> Result<Box<dyn OaepDecryptingKey>, Error> {
        let der_error = || RsaKeyError::Der { expected: "PKCS#8" };
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8_der).map_err(|_| der_error())?;
        let public_der = AsDer::<PublicKeyX509Der<'_>>::as_der(&key.public_key())
            .map_err(|_| der_error())?
            .as_ref()
            .to_vec();
        let key = OaepPrivateDecryptingKey::new(key).map_err(|_| der_error())?;
        Ok(Box::new(PrivateKey { key, public_der }))
    }

    fn generate_private_key(&self, bits: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => return Err(RsaKeyError::Generate(bits).into()),
        };
        let key = PrivateDecryptingKey::generate(size).map_err(|_| RsaKeyError::Generate(bits))?;
        let der = AsDer::<Pkcs8V1Der<'_>>::as_der(&key).map_err(|_| RsaKeyError::Generate(bits))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }
}

struct PublicKey {
    key: OaepPublicEncryptingKey,
    bits: usize,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl OaepEncryptingKey for PublicKey {
    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = vec![0u8; self.key.ciphertext_size()];
        let written = self
            .key
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| RsaKeyError::MessageTooLong)?
            .len();
        out.truncate(written);
        Ok(out)
    }

    fn modulus_bits(&self) -> usize {
        self.bits
    }
}

struct PrivateKey {
    key: OaepPrivateDecryptingKey,
    public_der: Vec<u8>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.key.key_size_bits())
            .finish_non_exhaustive()
    }
}

impl OaepDecryptingKey for PrivateKey {
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut out = Zeroizing::new(vec![0u8; self.key.min_output_size()]);
        let written = self
            .key
            .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
            .map_err(|_| DecryptError::Oaep)?
            .len();
        out.truncate(written);
        Ok(out)
    }

    fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self.public_der.clone())
    }
}

#[derive(Debug)]
struct Gcm;

impl Gcm {
    fn key(key: &[u8]) -> Result<LessSafeKey, Error> {
        let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| super::gcm_key_error(key))?;
        Ok(LessSafeKey::new(unbound))
    }

    fn nonce(nonce: &[u8]) -> Result<Nonce, Error> {
        Nonce::try_assume_unique_for_key(nonce).map_err(|_| super::gcm_iv_error(nonce))
    }
}

impl AesGcm for Gcm {
    fn seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        check_gcm_lengths(key, nonce)?;
        seal(&Self::key(key)?, nonce, aad, plaintext)
    }

    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, Error> {
        check_gcm_lengths(key, nonce)?;
        open(&Self::key(key)?, nonce, aad, ciphertext_and_tag)
    }

    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn AesGcmKey>>, Error> {
        if key.len() != 32 {
            return Err(super::gcm_key_error(key));
        }
        Ok(Some(Box::new(GcmKey(Self::key(key)?))))
    }
}

/// A session's AES-256-GCM key with its key schedule and GHASH table made once. AWS-LC
/// wipes them when the key is dropped.
struct GcmKey(LessSafeKey);

impl std::fmt::Debug for GcmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcmKey").finish_non_exhaustive()
    }
}

impl AesGcmKey for GcmKey {
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        seal(&self.0, nonce, aad, plaintext)
    }

    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext_and_tag: &[u8]) -> Result<Vec<u8>, Error> {
        open(&self.0, nonce, aad, ciphertext_and_tag)
    }
}

fn seal(key: &LessSafeKey, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let nonce = Gcm::nonce(nonce)?;
    let mut in_out = Vec::with_capacity(plaintext.len() + AES_256_GCM.tag_len());
    in_out.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| super::backend_failure("AES-GCM seal"))?;
    Ok(in_out)
}

fn open(
    key: &LessSafeKey,
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, Error> {
    let nonce = Gcm::nonce(nonce)?;
    if ciphertext_and_tag.len() < AES_256_GCM.tag_len() {
        return Err(DecryptError::CiphertextLength(ciphertext_and_tag.len()).into());
    }
    let mut in_out = ciphertext_and_tag.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| DecryptError::Tag)?
        .len();
    in_out.truncate(len);
    Ok(in_out)
}

#[derive(Debug)]
struct Cbc;

impl Cbc {
    fn unbound(key: &[u8]) -> Result<UnboundCipherKey, Error> {
        let algorithm = if key.len() == 16 { &AES_128 } else { &AES_256 };
        UnboundCipherKey::new(algorithm, key).map_err(|_| super::cbc_key_error(key))
    }

    fn iv(iv: &[u8]) -> Result<FixedLength<16>, Error> {
        FixedLength::<16>::try_from(iv).map_err(|_| super::cbc_iv_error(iv))
    }
}

impl AesCbc for Cbc {
    fn encrypt(&self, key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        check_cbc_lengths(key, iv)?;
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(Self::unbound(key)?)
            .map_err(|_| super::cbc_key_error(key))?;
        let mut in_out = plaintext.to_vec();
        key.less_safe_encrypt(&mut in_out, EncryptionContext::Iv128(Self::iv(iv)?))
            .map_err(|_| super::backend_failure("AES-CBC encrypt"))?;
        Ok(in_out)
    }

    fn decrypt(&self, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        check_cbc_lengths(key, iv)?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(DecryptError::CiphertextLength(ciphertext.len()).into());
        }
        let key = PaddedBlockDecryptingKey::cbc_pkcs7(Self::unbound(key)?)
            .map_err(|_| super::cbc_key_error(key))?;
        let mut in_out = ciphertext.to_vec();
        let len = key
            .decrypt(&mut in_out, DecryptionContext::Iv128(Self::iv(iv)?))
            .map_err(|_| DecryptError::Padding)?
            .len();
        in_out.truncate(len);
        Ok(in_out)
    }

    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn AesCbcKey>>, Error> {
        if key.len() != 16 && key.len() != 32 {
            return Err(super::cbc_key_error(key));
        }
        let encrypting = PaddedBlockEncryptingKey::cbc_pkcs7(Self::unbound(key)?)
            .map_err(|_| super::cbc_key_error(key))?;
        let decrypting = PaddedBlockDecryptingKey::cbc_pkcs7(Self::unbound(key)?)
            .map_err(|_| super::cbc_key_error(key))?;
        Ok(Some(Box::new(CbcKey {
            encrypting,
            decrypting,
        })))
    }
}

/// A session's AES-CBC key schedules, made once. AWS-LC wipes them when dropped.
struct CbcKey {
    encrypting: PaddedBlockEncryptingKey,
    decrypting: PaddedBlockDecryptingKey,
}

impl std::fmt::Debug for CbcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CbcKey").finish_non_exhaustive()
    }
}

impl AesCbcKey for CbcKey {
    fn encrypt(&self, iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let iv = Cbc::iv(iv)?;
        let mut in_out = plaintext.to_vec();
        self.encrypting
            .less_safe_encrypt(&mut in_out, EncryptionContext::Iv128(iv))
            .map_err(|_| super::backend_failure("AES-CBC encrypt"))?;
        Ok(in_out)
    }

    fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let iv = Cbc::iv(iv)?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(DecryptError::CiphertextLength(ciphertext.len()).into());
        }
        let mut in_out = ciphertext.to_vec();
        let len = self
            .decrypting
            .decrypt(&mut in_out, DecryptionContext::Iv128(iv))
            .map_err(|_| DecryptError::Padding)?
            .len();
        in_out.truncate(len);
        Ok(in_out)
    }
}

#[derive(Debug)]
struct Hmac;

impl HmacSha256 for Hmac {
    fn sign(&self, key: &[u8], message: &[u8]) -> Result<[u8; 32], Error> {
        hmac_sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
            message,
        )
    }

    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn HmacSha256Key>>, Error> {
        Ok(Some(Box::new(HmacKey(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            key,
        )))))
    }
}

/// A session's HMAC key, its inner and outer pads hashed once. AWS-LC wipes it when dropped.
struct HmacKey(aws_lc_rs::hmac::Key);

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacKey").finish_non_exhaustive()
    }
}

impl HmacSha256Key for HmacKey {
    fn sign(&self, message: &[u8]) -> Result<[u8; 32], Error> {
        hmac_sign(&self.0, message)
    }
}

fn hmac_sign(key: &aws_lc_rs::hmac::Key, message: &[u8]) -> Result<[u8; 32], Error> {
    let tag = aws_lc_rs::hmac::sign(key, message);
    <[u8; 32]>::try_from(tag.as_ref()).map_err(|_| super::backend_failure("HMAC-SHA256 tag length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_gcm_key_seals_and_opens_as_the_raw_key_does() {
        let (key, nonce, aad) = ([7u8; 32], [9u8; 12], b"aad");
        let prepared = Gcm.prepare(&key).unwrap().unwrap();
        let sealed = Gcm.seal(&key, &nonce, aad, b"plaintext").unwrap();
        assert_eq!(prepared.seal(&nonce, aad, b"plaintext").unwrap(), sealed);
        assert_eq!(prepared.open(&nonce, aad, &sealed).unwrap(), b"plaintext");
        assert_eq!(Gcm.open(&key, &nonce, aad, &sealed).unwrap(), b"plaintext");
        assert!(prepared.open(&nonce, b"other", &sealed).is_err());
        assert!(prepared.seal(&[0u8; 11], aad, b"x").is_err());
        assert!(prepared.open(&nonce, aad, &[0u8; 15]).is_err());
        assert!(Gcm.prepare(&[0u8; 16]).is_err());
    }

    #[test]
    fn prepared_cbc_and_hmac_keys_agree_with_the_raw_keys() {
        for len in [16, 32] {
            let (key, iv) = (vec![5u8; len], [3u8; 16]);
            let prepared = Cbc.prepare(&key).unwrap().unwrap();
            let encrypted = Cbc.encrypt(&key, &iv, b"plaintext").unwrap();
            assert_eq!(prepared.encrypt(&iv, b"plaintext").unwrap(), encrypted);
            assert_eq!(prepared.decrypt(&iv, &encrypted).unwrap(), b"plaintext");
            assert!(prepared.decrypt(&iv, &encrypted[1..]).is_err());
            assert!(prepared.encrypt(&iv[1..], b"x").is_err());
        }
        assert!(Cbc.prepare(&[0u8; 24]).is_err());
        let hmac = Hmac.prepare(b"key text").unwrap().unwrap();
        assert_eq!(
            hmac.sign(b"message").unwrap(),
            Hmac.sign(b"key text", b"message").unwrap()
        );
    }
}
