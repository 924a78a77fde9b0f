//! The algorithms verified: RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512. Anything else
//! is refused by name.

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::error::{Error, Malformed, Unsupported};

/// The largest RSA modulus accepted, in bits (as the `rsa` crate's default).
const MAX_RSA_BITS: usize = 4096;

/// A digest algorithm of a SignerInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256 (the provider's).
    #[serde(rename = "SHA-256")]
    Sha256,
    /// SHA-384.
    #[serde(rename = "SHA-384")]
    Sha384,
    /// SHA-512.
    #[serde(rename = "SHA-512")]
    Sha512,
}

impl DigestAlgorithm {
    pub(crate) fn from_identifier(id: &AlgorithmIdentifierOwned) -> Result<Self, Error> {
        Self::from_oid(&id.oid).ok_or_else(|| {
            Unsupported::DigestAlgorithm {
                name: oid_name(&id.oid),
            }
            .into()
        })
    }

    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            rfc5912::ID_SHA_256 => Some(Self::Sha256),
            rfc5912::ID_SHA_384 => Some(Self::Sha384),
            rfc5912::ID_SHA_512 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The digest's length in bytes.
    #[must_use]
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Self::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Self::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            Self::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }

    /// The name, as `SHA-256`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The signature algorithm of a SignerInfo or certificate: RSA PKCS#1 v1.5, either as
/// `rsaEncryption` (the hash is the digest algorithm's, as the provider signs) or as
/// `sha*WithRSAEncryption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    /// `rsaEncryption`: the hash comes from elsewhere.
    RsaEncryption,
    /// `sha256WithRSAEncryption` and its siblings.
    RsaWith(DigestAlgorithm),
}

impl SignatureAlgorithm {
    pub(crate) fn from_identifier(id: &AlgorithmIdentifierOwned) -> Result<Self, Error> {
        match id.oid {
            rfc5912::RSA_ENCRYPTION => Ok(Self::RsaEncryption),
            rfc5912::SHA_256_WITH_RSA_ENCRYPTION => Ok(Self::RsaWith(DigestAlgorithm::Sha256)),
            rfc5912::SHA_384_WITH_RSA_ENCRYPTION => Ok(Self::RsaWith(DigestAlgorithm::Sha384)),
            rfc5912::SHA_512_WITH_RSA_ENCRYPTION => Ok(Self::RsaWith(DigestAlgorithm::Sha512)),
            ref other => Err(Unsupported::SignatureAlgorithm {
                name: oid_name(other),
            }
            .into()),
        }
    }

    /// The hash to use with a SignerInfo's digest algorithm, which must agree.
    pub(crate) fn hash_for(self, digest: DigestAlgorithm) -> Result<DigestAlgorithm, Error> {
        match self {
            Self::RsaEncryption => Ok(digest),
            Self::RsaWith(hash) if hash == digest => Ok(hash),
            Self::RsaWith(hash) => Err(Malformed::AlgorithmMismatch {
                signature: hash,
                digest,
            }
            .into()),
        }
    }
}

/// An RSA public key from a certificate, ready to verify PKCS#1 v1.5 signatures.
#[derive(Debug, Clone)]
pub(crate) struct RsaKey(RsaPublicKey);

impl RsaKey {
    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Self, Error> {
        if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
            return Err(Unsupported::PublicKey {
                name: oid_name(&spki.algorithm.oid),
            }
            .into());
        }
        let pkcs1 = spki
            .subject_public_key
            .as_bytes()
            .ok_or(Malformed::PublicKey)?;
        let parsed = <rsa::pkcs1::RsaPublicKey<'_> as der::Decode<'_>>::from_der(pkcs1)
            .map_err(|_| Malformed::PublicKey)?;
        let modulus = parsed.modulus.as_bytes();
        let significant = modulus.iter().skip_while(|&&b| b == 0).count();
        if significant.saturating_mul(8) > MAX_RSA_BITS {
            return Err(Unsupported::KeySize.into());
        }
        let n = rsa::BigUint::from_bytes_be(modulus);
        let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
        let key = RsaPublicKey::new(n, e).map_err(|_| Malformed::PublicKey)?;
        Ok(Self(key))
    }

    /// Verifies a PKCS#1 v1.5 signature over `message` hashed with `hash`.
    pub(crate) fn verify(&self, hash: DigestAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        let digest = hash.digest(message);
        self.0.verify(hash.pkcs1v15(), &digest, signature).is_ok()
    }
}

/// A readable name for an OID: a few well-known names first, then the `const-oid` database,
/// then the dotted form.
pub(crate) fn oid_name(oid: &ObjectIdentifier) -> String {
    let known = match *oid {
        rfc5912::ID_RSASSA_PSS => Some("RSASSA-PSS"),
        rfc5912::ID_SHA_1 => Some("SHA-1"),
        rfc5912::ID_MD_5 => Some("MD5"),
        rfc5912::ID_SHA_224 => Some("SHA-224"),
        rfc5912::ID_EC_PUBLIC_KEY => Some("ECDSA (id-ecPublicKey)"),
        rfc5912::ECDSA_WITH_SHA_224 => Some("ECDSA with SHA-224"),
        rfc5912::ECDSA_WITH_SHA_256 => Some("ECDSA with SHA-256"),
        rfc5912::ECDSA_WITH_SHA_384 => Some("ECDSA with SHA-384"),
        rfc5912::ECDSA_WITH_SHA_512 => Some("ECDSA with SHA-512"),
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION => Some("sha1WithRSAEncryption"),
        rfc5912::MD_5_WITH_RSA_ENCRYPTION => Some("md5WithRSAEncryption"),
        rfc5912::SHA_224_WITH_RSA_ENCRYPTION => Some("sha224WithRSAEncryption"),
        rfc5912::ID_DSA => Some("DSA"),
        _ => None,
    };
    match known {
        Some(name) => name.to_owned(),
        None => const_oid::db::DB
            .by_oid(oid)
            .map_or_else(|| oid.to_string(), str::to_owned),
    }
}
