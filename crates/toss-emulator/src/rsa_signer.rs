//! RSA PKCS#1 v1.5 SHA-256 signatures made by aws-lc-rs, behind the `signature` traits that
//! RustCrypto's CMS and X.509 builders sign through.
//!
//! The builders stay RustCrypto's (the verifier reads with the same crates); only the
//! private-key operation moves to aws-lc, about five times quicker than the pure Rust `rsa`
//! crate for a 2048-bit key.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::{Error as SignatureError, Keypair, Signer};
use sha2::Sha256;
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier};
use zeroize::Zeroizing;

use crate::ca::CaError;

/// An RSA private key that signs with sha256WithRSAEncryption.
pub(crate) struct RsaSigner {
    key: RsaKeyPair,
    verifying_key: VerifyingKey<Sha256>,
    /// The key as PKCS#8 DER, for tests that export it.
    #[cfg_attr(not(test), allow(dead_code))]
    pkcs8: Zeroizing<Vec<u8>>,
}

impl RsaSigner {
    /// Loads a PKCS#8 DER RSA private key.
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, CaError> {
        let key =
            RsaKeyPair::from_pkcs8(der).map_err(|_| CaError("cannot load an RSA private key"))?;
        let public = RsaPublicKey::from_pkcs1_der(key.public_key().as_ref())
            .map_err(|_| CaError("cannot read an RSA public key"))?;
        Ok(Self {
            key,
            verifying_key: VerifyingKey::new(public),
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    /// The public half.
    pub(crate) fn public_key(&self) -> &RsaPublicKey {
        self.verifying_key.as_ref()
    }

    /// The key as PKCS#8 DER.
    #[cfg(test)]
    pub(crate) fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }
}

impl Keypair for RsaSigner {
    type VerifyingKey = VerifyingKey<Sha256>;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying_key.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for RsaSigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        // The same identifier (with NULL parameters) the `rsa` crate's signer gives.
        self.verifying_key.signature_algorithm_identifier()
    }
}

impl Signer<Signature> for RsaSigner {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignatureError> {
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| SignatureError::new())?;
        Signature::try_from(signature.as_slice())
    }
}

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigner")
            .field("bits", &(self.key.public_modulus_len() * 8))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rsa::signature::Verifier as _;

    use super::*;

    #[test]
    fn signatures_verify_with_the_rsa_crate() {
        let pkcs8 = toss_crypto::backend::aws_lc::PROVIDER
            .rsa_oaep
            .generate_private_key(2048)
            .unwrap();
        let signer = RsaSigner::from_pkcs8_der(&pkcs8).unwrap();
        let signature = signer.try_sign(b"signed attributes").unwrap();
        let verifying_key = signer.verifying_key();
        verifying_key
            .verify(b"signed attributes", &signature)
            .unwrap();
        assert!(verifying_key.verify(b"something else", &signature).is_err());
        assert!(RsaSigner::from_pkcs8_der(b"not a key").is_err());
    }
}
