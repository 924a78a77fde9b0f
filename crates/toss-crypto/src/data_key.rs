//! The application's data key: personal data sealed at rest with AES-256-GCM, under key ids
//! that let the key be rotated.
//!
//! The `v1$` sessions protect data in transit to and from the provider, under keys the
//! provider chose the format of. What an application keeps (a result's session, so that a
//! stored result can be decrypted again; personal data it must hold for a while) needs a key
//! of the application's own, which outlives every session: this one.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::provider::{AesGcmKey, CryptoProvider, default_provider};
use crate::session::decode;
use crate::{DataKeyError, Error, SealedFormatError};

/// The version token of the sealed form.
const VERSION: &str = "dk1";

/// Prefixed to the caller's AAD, so that a later version's ciphertext, or AES-GCM output of
/// another protocol under the same key, can never be taken for this version's.
const AAD_PREFIX: &[u8] = b"toss-cert dk1\0";

/// The HMAC-SHA256 message whose tag under the key gives its derived id.
const KEY_ID_LABEL: &[u8] = b"toss-cert data key id";

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_KEY_ID_LEN: usize = 32;

/// A 32-byte AES-256-GCM key of the application's own, for personal data kept at rest
/// (`TOSS_CERT_DATA_KEY`), with the id that sealed data names it by.
///
/// [`seal`](Self::seal) writes `dk1$<key id>$<base64(nonce ‖ ciphertext ‖ tag)>` with a
/// fresh random 96-bit nonce from the key's [`CryptoProvider`]; [`open`](Self::open) reads
/// it back. A [`DataKeyRing`] holds the current key and older ones, for rotation.
///
/// The id is derived from the key unless one is given with [`with_id`](Self::with_id): the
/// first 8 hexadecimal digits of HMAC-SHA256 under the key of the text
/// `toss-cert data key id`. Derived, it needs no configuration, cannot be mistyped, and
/// is the same for the same key in every process and on every backend. It is HMAC-SHA256
/// because that is one of the provider's primitives (the boundary has no bare hash), which
/// also keeps the id apart from any plain digest of the key kept elsewhere.
///
/// The key bytes are zeroized when the last clone is dropped; `Debug` shows the id only.
///
/// # Security
///
/// Random 96-bit nonces keep the chance of a nonce repeating under one key negligible up to
/// about 2³² seals (NIST SP 800-38D); rotate the key long before four billion seals.
#[derive(Clone)]
pub struct DataKey {
    id: String,
    material: Arc<Material>,
}

/// The key itself, shared by the clones of a [`DataKey`].
struct Material {
    key: Zeroizing<[u8; KEY_LEN]>,
    /// The key schedule, made once, where the provider prepares one.
    prepared: Option<Box<dyn AesGcmKey>>,
    provider: &'static CryptoProvider,
}

impl DataKey {
    /// The length of a data key in bytes.
    pub const LEN: usize = KEY_LEN;

    /// A key from its standard base64 text (44 characters, padding included), as
    /// `TOSS_CERT_DATA_KEY` holds it; whitespace around it is ignored. Uses the provider the
    /// crate features name.
    ///
    /// # Errors
    ///
    /// [`Error::DataKey`] when the text is not base64 of 32 bytes, and
    /// [`Error::NoDefaultProvider`] when the crate features do not name exactly one provider.
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        Self::from_base64_with_provider(text, default_provider()?)
    }

    /// [`from_base64`](Self::from_base64) with an explicit provider.
    ///
    /// # Errors
    ///
    /// As [`from_base64`](Self::from_base64), without `NoDefaultProvider`.
    pub fn from_base64_with_provider(
        text: &str,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let bytes = decode(text.trim()).ok_or(DataKeyError::Base64)?;
        Self::from_bytes_with_provider(&bytes, provider)
    }

    /// A key from its 32 bytes, with the provider the crate features name.
    ///
    /// # Errors
    ///
    /// [`Error::DataKey`] when `bytes` is not 32 bytes long, and
    /// [`Error::NoDefaultProvider`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes_with_provider(bytes, default_provider()?)
    }

    /// [`from_bytes`](Self::from_bytes) with an explicit provider.
    ///
    /// # Errors
    ///
    /// As [`from_bytes`](Self::from_bytes), without `NoDefaultProvider`.
    pub fn from_bytes_with_provider(
        bytes: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        if bytes.len() != KEY_LEN {
            return Err(DataKeyError::Length(bytes.len()).into());
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(bytes);
        let tag = provider.hmac_sha256.sign(key.as_ref(), KEY_ID_LABEL)?;
        let id = hex::encode(&tag[..4]);
        let prepared = provider.aes_gcm.prepare(key.as_ref())?;
        Ok(Self {
            id,
            material: Arc::new(Material {
                key,
                prepared,
                provider,
            }),
        })
    }

    /// A new random key, with the provider the crate features name. Keep it with
    /// [`to_base64`](Self::to_base64), in the application's secret store.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails, and [`Error::NoDefaultProvider`].
    pub fn generate() -> Result<Self, Error> {
        Self::generate_with_provider(default_provider()?)
    }

    /// [`generate`](Self::generate) with an explicit provider.
    ///
    /// # Errors
    ///
    /// As [`generate`](Self::generate), without `NoDefaultProvider`.
    pub fn generate_with_provider(provider: &'static CryptoProvider) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        provider.secure_random.fill(bytes.as_mut())?;
        Self::from_bytes_with_provider(bytes.as_ref(), provider)
    }

    /// The same key under an explicit id instead of the derived one: 1 to 32 characters
    /// from `A-Z`, `a-z`, `0-9`, `-`, `_` and `.` (such as `2026-12`).
    ///
    /// The id is not authenticated: data sealed under it opens under any id given to the
    /// same key, so renaming a key strands nothing, but the ring must know the old name to
    /// find the key.
    ///
    /// # Errors
    ///
    /// [`Error::DataKey`] with [`DataKeyError::KeyId`] for an id that breaks these rules.
    pub fn with_id(mut self, id: &str) -> Result<Self, Error> {
        if !is_key_id(id) {
            return Err(DataKeyError::KeyId.into());
        }
        id.clone_into(&mut self.id);
        Ok(self)
    }

    /// The id that sealed data names this key by.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as standard base64, the form [`from_base64`](Self::from_base64) reads.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.material.key.as_ref()))
    }

    /// Seals `plaintext` as `dk1$<key id>$<base64(nonce ‖ ciphertext ‖ tag)>` with a fresh
    /// random nonce.
    ///
    /// `aad` is authenticated but not stored: [`open`](Self::open) needs the same bytes.
    /// Bind the sealed value to its place with it (for example a transaction's id and the
    /// field's name), so that a sealed value copied to another row does not open there.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails, or a backend failure.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, Error> {
        let material = &*self.material;
        let mut nonce = [0u8; NONCE_LEN];
        material.provider.secure_random.fill(&mut nonce)?;
        let aad = full_aad(aad);
        let sealed = match &material.prepared {
            Some(key) => key.seal(&nonce, &aad, plaintext)?,
            None => {
                material
                    .provider
                    .aes_gcm
                    .seal(material.key.as_ref(), &nonce, &aad, plaintext)?
            }
        };
        let mut payload = Vec::with_capacity(NONCE_LEN + sealed.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}${}${}",
            self.id,
            STANDARD.encode(payload)
        ))
    }

    /// Opens what [`seal`](Self::seal) made under this key, with the same `aad`.
    ///
    /// # Errors
    ///
    /// [`Error::Sealed`] for malformed text, [`Error::UnknownDataKey`] when it names another
    /// key id, and [`Error::Decrypt`] with [`DecryptError::Tag`](crate::DecryptError::Tag)
    /// when it does not authenticate (another key under the same id, other AAD, or changed
    /// bytes).
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let parsed = Parsed::parse(sealed)?;
        if parsed.key_id != self.id {
            return Err(Error::UnknownDataKey);
        }
        self.open_parsed(&parsed, aad)
    }

    fn open_parsed(&self, parsed: &Parsed<'_>, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let material = &*self.material;
        let (nonce, ciphertext_and_tag) = parsed.payload.split_at(NONCE_LEN);
        let aad = full_aad(aad);
        let plaintext = match &material.prepared {
            Some(key) => key.open(nonce, &aad, ciphertext_and_tag)?,
            None => material.provider.aes_gcm.open(
                material.key.as_ref(),
                nonce,
                &aad,
                ciphertext_and_tag,
            )?,
        };
        Ok(Zeroizing::new(plaintext))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current [`DataKey`], which seals, and older ones, which still open what they sealed:
/// how a data key is rotated.
///
/// To rotate, make a new key current and keep the old one in the ring; new data is sealed
/// under the new key, old data still opens, and [`is_current`](Self::is_current) tells a
/// re-sealing job which values to open and seal again. Once none is left under the old key,
/// drop it from the ring.
///
/// ```
/// # fn main() -> Result<(), toss_crypto::Error> {
/// # if toss_crypto::CryptoProvider::from_crate_features().is_none() { return Ok(()); } // both backends on: see "Crate features"
/// use toss_crypto::{DataKey, DataKeyRing};
///
/// let old = DataKey::generate()?;
/// let sealed_long_ago = old.seal(b"19930324", b"tx-1/birthday")?;
///
/// let ring = DataKeyRing::new(DataKey::generate()?).with_previous(old)?;
/// assert_eq!(&*ring.open(&sealed_long_ago, b"tx-1/birthday")?, b"19930324");
/// assert!(!ring.is_current(&sealed_long_ago)?);
///
/// let sealed_now = ring.seal(b"19930324", b"tx-1/birthday")?;
/// assert!(ring.is_current(&sealed_now)?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataKeyRing {
    current: DataKey,
    previous: Vec<DataKey>,
}

impl DataKeyRing {
    /// A ring of one key, which seals and opens.
    #[must_use]
    pub fn new(current: DataKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds an older key, which opens what it sealed but seals nothing new.
    ///
    /// # Errors
    ///
    /// [`Error::DataKey`] with [`DataKeyError::DuplicateKeyId`] when the ring already holds
    /// a key with its id.
    pub fn with_previous(mut self, key: DataKey) -> Result<Self, Error> {
        if self.key(key.id()).is_some() {
            return Err(DataKeyError::DuplicateKeyId.into());
        }
        self.previous.push(key);
        Ok(self)
    }

    /// The key that seals.
    #[must_use]
    pub fn current(&self) -> &DataKey {
        &self.current
    }

    /// The key with this id, current or older.
    #[must_use]
    pub fn key(&self, id: &str) -> Option<&DataKey> {
        self.keys().find(|key| key.id() == id)
    }

    /// Every key, the current one first.
    pub fn keys(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    /// Seals under the current key; see [`DataKey::seal`].
    ///
    /// # Errors
    ///
    /// As [`DataKey::seal`].
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, Error> {
        self.current.seal(plaintext, aad)
    }

    /// Opens with the key the sealed text names; see [`DataKey::open`].
    ///
    /// # Errors
    ///
    /// [`Error::Sealed`] for malformed text, [`Error::UnknownDataKey`] when no key of the
    /// ring has its key id, and [`Error::Decrypt`] when it does not authenticate.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let parsed = Parsed::parse(sealed)?;
        self.key(parsed.key_id)
            .ok_or(Error::UnknownDataKey)?
            .open_parsed(&parsed, aad)
    }

    /// Whether `sealed` is under the current key, so that it need not be sealed again after
    /// a rotation. Only the form is read; nothing is decrypted.
    ///
    /// # Errors
    ///
    /// [`Error::Sealed`] for malformed text.
    pub fn is_current(&self, sealed: &str) -> Result<bool, Error> {
        Ok(Parsed::parse(sealed)?.key_id == self.current.id())
    }
}

impl From<DataKey> for DataKeyRing {
    fn from(current: DataKey) -> Self {
        Self::new(current)
    }
}

fn full_aad(aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(AAD_PREFIX.len() + aad.len());
    full.extend_from_slice(AAD_PREFIX);
    full.extend_from_slice(aad);
    full
}

fn is_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Sealed text split into its parts, the payload decoded and long enough to split.
struct Parsed<'a> {
    key_id: &'a str,
    payload: Zeroizing<Vec<u8>>,
}

impl<'a> Parsed<'a> {
    fn parse(sealed: &'a str) -> Result<Self, Error> {
        let mut parts = sealed.split('$');
        let (Some(version), Some(key_id), Some(payload), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            let found = sealed.split('$').count();
            return Err(SealedFormatError::PartCount { found }.into());
        };
        if version != VERSION {
            return Err(SealedFormatError::Version.into());
        }
        if !is_key_id(key_id) {
            return Err(SealedFormatError::KeyId.into());
        }
        let payload = decode(payload).ok_or(SealedFormatError::Base64)?;
        if payload.len() < NONCE_LEN + TAG_LEN {
            return Err(SealedFormatError::Length(payload.len()).into());
        }
        Ok(Self { key_id, payload })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids() {
        for good in ["a", "2026-12", "key_1.v2", &"x".repeat(32)] {
            assert!(is_key_id(good), "{good}");
        }
        for bad in ["", "a$b", "a b", "키", &"x".repeat(33), "a/b"] {
            assert!(!is_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn parts_are_counted_without_quoting() {
        for (text, found) in [("", 1), ("dk1$a", 2), ("dk1$a$b$c", 4)] {
            assert!(matches!(
                Parsed::parse(text),
                Err(Error::Sealed(SealedFormatError::PartCount { found: f })) if f == found
            ));
        }
    }
}
