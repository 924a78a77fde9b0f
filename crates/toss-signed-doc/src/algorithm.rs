//! The algorithms verified: RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512. Anything else
//! is refused by name.

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::error::{Error, Malformed, Unsupported};

/// The smallest RSA modulus accepted, in bits: what AWS-LC verifies, and NIST's floor.
const MIN_RSA_BITS: usize = 2048;
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
    pub(crate) fn from_identifier(oid: &ObjectIdentifier) -> Result<Self, Error> {
        Self::from_oid(oid).ok_or_else(|| {
            Unsupported::DigestAlgorithm {
                name: oid_name(oid),
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
    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Result<Self, Error> {
        match *oid {
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

/// An RSA public key from a certificate, ready to verify PKCS#1 v1.5 signatures with one
/// hash.
///
/// With the `aws-lc` feature (the default) the key is parsed once into AWS-LC's form and
/// verified there; without it, with the pure Rust `rsa` crate. Both refuse the same keys: a
/// modulus under [`MIN_RSA_BITS`] or over [`MAX_RSA_BITS`] bits is
/// [`Unsupported::KeySize`] whichever backend runs, so a signature never verifies under one
/// feature set and not under another.
#[derive(Clone)]
pub(crate) struct RsaKey {
    hash: DigestAlgorithm,
    #[cfg(feature = "aws-lc")]
    key: aws_lc_rs::signature::ParsedPublicKey,
    #[cfg(not(feature = "aws-lc"))]
    key: rsa::RsaPublicKey,
}

impl RsaKey {
    /// A subject public key: its algorithm and its BIT STRING's bytes (`None` when not
    /// whole bytes), for signatures made with `hash`.
    pub(crate) fn from_public_key(
        algorithm: &ObjectIdentifier,
        key: Option<&[u8]>,
        hash: DigestAlgorithm,
    ) -> Result<Self, Error> {
        if *algorithm != rfc5912::RSA_ENCRYPTION {
            return Err(Unsupported::PublicKey {
                name: oid_name(algorithm),
            }
            .into());
        }
        Self::from_pkcs1(key.ok_or(Malformed::PublicKey)?, hash)
    }

    /// A DER `RSAPublicKey` (PKCS#1), for signatures made with `hash`.
    pub(crate) fn from_pkcs1(pkcs1: &[u8], hash: DigestAlgorithm) -> Result<Self, Error> {
        let parsed = <rsa::pkcs1::RsaPublicKey<'_> as der::Decode<'_>>::from_der(pkcs1)
            .map_err(|_| Malformed::PublicKey)?;
        let modulus = parsed.modulus.as_bytes();
        let bits = match modulus.iter().position(|&b| b != 0) {
            None => 0,
            Some(first) => {
                let leading = modulus.get(first).map_or(0, |b| b.leading_zeros() as usize);
                (modulus.len() - first) * 8 - leading
            }
        };
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Unsupported::KeySize.into());
        }
        #[cfg(feature = "aws-lc")]
        let key = aws_lc_rs::signature::ParsedPublicKey::new(aws_lc_algorithm(hash), pkcs1)
            .map_err(|_| Malformed::PublicKey)?;
        #[cfg(not(feature = "aws-lc"))]
        let key = {
            let n = rsa::BigUint::from_bytes_be(modulus);
            let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
            rsa::RsaPublicKey::new(n, e).map_err(|_| Malformed::PublicKey)?
        };
        Ok(Self { hash, key })
    }

    /// Verifies a PKCS#1 v1.5 signature over `message`, hashed with this key's hash.
    #[cfg(feature = "aws-lc")]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }

    /// Verifies a PKCS#1 v1.5 signature over `message`, hashed with this key's hash.
    #[cfg(not(feature = "aws-lc"))]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use rsa::pkcs1v15::Pkcs1v15Sign;
        let scheme = match self.hash {
            DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        };
        let digest = self.hash.digest(message);
        self.key.verify(scheme, &digest, signature).is_ok()
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// AWS-LC's verification algorithm for PKCS#1 v1.5 with `hash`. Its 2048 to 8192-bit range
/// is wider than ours, which [`RsaKey::from_pkcs1`] checks first.
#[cfg(feature = "aws-lc")]
fn aws_lc_algorithm(hash: DigestAlgorithm) -> &'static aws_lc_rs::signature::RsaParameters {
    match hash {
        DigestAlgorithm::Sha256 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        DigestAlgorithm::Sha384 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA384,
        DigestAlgorithm::Sha512 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA512,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            len @ 0..=0x7f => out.push(len as u8),
            len @ 0x80..=0xff => out.extend([0x81, len as u8]),
            len => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// An `RSAPublicKey` with a modulus of exactly `bits` bits and exponent 65537.
    fn pkcs1(bits: usize) -> Vec<u8> {
        let mut modulus = vec![0u8; bits.div_ceil(8)];
        modulus[0] = 1 << ((bits - 1) % 8);
        *modulus.last_mut().unwrap() |= 1;
        if modulus[0] & 0x80 != 0 {
            modulus.insert(0, 0);
        }
        let mut body = tlv(0x02, &modulus);
        body.extend(tlv(0x02, &[0x01, 0x00, 0x01]));
        tlv(0x30, &body)
    }

    #[test]
    fn key_sizes_outside_2048_to_4096_bits_are_refused_by_both_backends() {
        for bits in [512, 1024, 2047, 4097, 8192] {
            assert_eq!(
                RsaKey::from_pkcs1(&pkcs1(bits), DigestAlgorithm::Sha256).unwrap_err(),
                Error::Unsupported(Unsupported::KeySize),
                "{bits}"
            );
        }
        for bits in [2048, 3072, 4096] {
            assert!(
                RsaKey::from_pkcs1(&pkcs1(bits), DigestAlgorithm::Sha256).is_ok(),
                "{bits}"
            );
        }
    }

    #[test]
    fn malformed_keys_are_malformed() {
        for der in [&[][..], &[0x30, 0x00], &[0x02, 0x01, 0x01]] {
            assert_eq!(
                RsaKey::from_pkcs1(der, DigestAlgorithm::Sha256).unwrap_err(),
                Error::Malformed(Malformed::PublicKey)
            );
        }
    }
}
