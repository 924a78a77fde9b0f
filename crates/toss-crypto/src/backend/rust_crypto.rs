//! The RustCrypto backend (feature `rustcrypto`): pure Rust, for targets without a C toolchain.
//!
//! `rsa` for RSA-OAEP, `aes-gcm`, `aes` with `cbc`, `hmac` with `sha2`, and the operating
//! system's generator through `getrandom`.
//!
//! # Security
//!
//! The `rsa` crate's private-key operation is not constant time (RUSTSEC-2023-0071). Clients
//! only encrypt with the provider's public key; decryption of session keys is for servers
//! such as the emulator and for tests, where that matters less. Prefer `aws-lc` for a server
//! that decrypts session keys from untrusted parties.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac as HmacImpl, Mac};
use rand_core::OsRng;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{check_cbc_lengths, check_gcm_lengths};
use crate::provider::{
    AesCbc, AesGcm, CryptoProvider, HmacSha256, OaepDecryptingKey, OaepEncryptingKey, RsaOaep,
    SecureRandom,
};
use crate::{DecryptError, Error, RsaKeyError};

/// The RustCrypto provider.
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
        getrandom::getrandom(dest).map_err(|_| Error::Random)
    }
}

#[derive(Debug)]
struct Rsa;

impl RsaOaep for Rsa {
    fn public_key(&self, spki_der: &[u8]) -> Result<Box<dyn OaepEncryptingKey>, Error> {
        let key = RsaPublicKey::from_public_key_der(spki_der).map_err(|_| RsaKeyError::Der {
            expected: "SubjectPublicKeyInfo",
        })?;
        Ok(Box::new(PublicKey(key)))
    }

    fn private_key(&self, pkcs8_der: &[u8]) -> Result<Box<dyn OaepDecryptingKey>, Error> {
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8_der)
            .map_err(|_| RsaKeyError::Der { expected: "PKCS#8" })?;
        Ok(Box::new(PrivateKey(key)))
    }

    fn generate_private_key(&self, bits: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
        if !matches!(bits, 2048 | 3072 | 4096) {
            return Err(RsaKeyError::Generate(bits).into());
        }
        let key = RsaPrivateKey::new(&mut OsRng, bits).map_err(|_| RsaKeyError::Generate(bits))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|_| RsaKeyError::Generate(bits))?;
        Ok(Zeroizing::new(der.as_bytes().to_vec()))
    }
}

struct PublicKey(RsaPublicKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.modulus_bits())
            .finish_non_exhaustive()
    }
}

impl OaepEncryptingKey for PublicKey {
    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.0
            .encrypt(&mut OsRng, Oaep::new::<Sha1>(), plaintext)
            .map_err(|_| RsaKeyError::MessageTooLong.into())
    }

    fn modulus_bits(&self) -> usize {
        self.0.size() * 8
    }
}

struct PrivateKey(RsaPrivateKey);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &(self.0.size() * 8))
            .finish_non_exhaustive()
    }
}

impl OaepDecryptingKey for PrivateKey {
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.0
            .decrypt(Oaep::new::<Sha1>(), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| DecryptError::Oaep.into())
    }

    fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        let der = self
            .0
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| super::backend_failure("RSA public key encoding"))?;
        Ok(der.as_bytes().to_vec())
    }
}

#[derive(Debug)]
struct Gcm;

impl Gcm {
    fn cipher(key: &[u8]) -> Result<Aes256Gcm, Error> {
        Aes256Gcm::new_from_slice(key).map_err(|_| super::gcm_key_error(key))
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
        Self::cipher(key)?
            .encrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| super::backend_failure("AES-GCM seal"))
    }

    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, Error> {
        check_gcm_lengths(key, nonce)?;
        if ciphertext_and_tag.len() < 16 {
            return Err(DecryptError::CiphertextLength(ciphertext_and_tag.len()).into());
        }
        Self::cipher(key)?
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext_and_tag,
                    aad,
                },
            )
            .map_err(|_| DecryptError::Tag.into())
    }
}

#[derive(Debug)]
struct Cbc;

impl AesCbc for Cbc {
    fn encrypt(&self, key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        check_cbc_lengths(key, iv)?;
        if key.len() == 16 {
            cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(plaintext))
                .map_err(|_| super::cbc_key_error(key))
        } else {
            cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(plaintext))
                .map_err(|_| super::cbc_key_error(key))
        }
    }

    fn decrypt(&self, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        check_cbc_lengths(key, iv)?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(DecryptError::CiphertextLength(ciphertext.len()).into());
        }
        let plaintext = if key.len() == 16 {
            cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                .map_err(|_| super::cbc_key_error(key))?
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        } else {
            cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                .map_err(|_| super::cbc_key_error(key))?
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        };
        plaintext.map_err(|_| DecryptError::Padding.into())
    }
}

#[derive(Debug)]
struct Hmac;

impl HmacSha256 for Hmac {
    fn sign(&self, key: &[u8], message: &[u8]) -> Result<[u8; 32], Error> {
        let mut mac = <HmacImpl<Sha256> as Mac>::new_from_slice(key)
            .map_err(|_| super::backend_failure("HMAC-SHA256 key"))?;
        mac.update(message);
        Ok(mac.finalize().into_bytes().into())
    }
}
