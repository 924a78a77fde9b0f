//! A session: the symmetric key that protects the personal data of one request or result.

use std::fmt;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::provider::{AesCbcKey, AesGcmKey, CryptoProvider, HmacSha256Key, default_provider};
use crate::{Algorithm, DecryptError, EnvelopeError, Error, SessionFormatError, version};

/// The symmetric key, IV and id of one request or one result call.
///
/// Made by [`SessionGenerator::generate`](crate::SessionGenerator::generate) (as a
/// [`NewSession`], which also carries the session key sealed for the provider), by
/// [`Session::deserialize`], or on the server side by
/// [`SessionOpener::open`](crate::SessionOpener::open).
///
/// `Debug` shows the id and algorithm only; the key and IV are zeroized on drop.
///
/// # Security
///
/// The protocol encrypts every field of a session under the same key and IV (for AES-GCM,
/// the same nonce). That is the provider's design and is why a session must protect one
/// request or one result only: make a new one for every call.
#[derive(Clone)]
pub struct Session {
    version: String,
    id: String,
    algorithm: Algorithm,
    key: Zeroizing<Vec<u8>>,
    iv: Zeroizing<Vec<u8>>,
    /// The key as base64 text: the HMAC key of `AES_CBC` and a part of the serialized form.
    key_base64: Zeroizing<String>,
    provider: &'static CryptoProvider,
    /// The keys the provider prepared at the first field, for the others.
    prepared: OnceLock<Prepared>,
}

/// A session's keys as the provider prepared them (key schedules, HMAC pads), for the
/// algorithm in use; `None` where the provider prepares none.
#[derive(Clone, Default)]
struct Prepared {
    gcm: Option<Arc<dyn AesGcmKey>>,
    cbc: Option<Arc<dyn AesCbcKey>>,
    hmac: Option<Arc<dyn HmacSha256Key>>,
}

impl Session {
    /// Restores a session from [`serialize`](Self::serialize)'s form,
    /// `<version>$<id>$<ALG>$<base64 key>$<base64 iv>` (the official Java SDK's
    /// `serializeSession()`), with the provider the crate features name.
    ///
    /// A restored session has no session key (only the generator that sealed it knows
    /// it): it is used to decrypt what the provider sent back under it.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] for a malformed string, [`Error::KeyMaterial`] for a key or IV of the
    /// wrong length, [`Error::UnknownAlgorithm`], and [`Error::NoDefaultProvider`] when the
    /// crate features do not name exactly one provider.
    pub fn deserialize(serialized: &str) -> Result<Self, Error> {
        let provider = default_provider()?;
        Self::deserialize_with_provider(serialized, provider)
    }

    /// [`deserialize`](Self::deserialize) with an explicit provider.
    ///
    /// # Errors
    ///
    /// As [`deserialize`](Self::deserialize), without `NoDefaultProvider`.
    pub fn deserialize_with_provider(
        serialized: &str,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let parts: Vec<&str> = serialized.split('$').collect();
        let [version, id, algorithm, key_base64, iv_base64] = parts[..] else {
            return Err(SessionFormatError::PartCount { found: parts.len() }.into());
        };
        if !version::is_supported(version) {
            return Err(SessionFormatError::Version.into());
        }
        if !version::is_session_id(id) {
            return Err(SessionFormatError::SessionId.into());
        }
        let key = decode(key_base64).ok_or(SessionFormatError::Base64 { part: "secret key" })?;
        let iv = decode(iv_base64).ok_or(SessionFormatError::Base64 { part: "iv" })?;
        let algorithm = Algorithm::from_wire(algorithm, key.len(), iv.len())?;
        Ok(Self::from_parts(
            version.to_owned(),
            id.to_owned(),
            algorithm,
            key,
            iv,
            provider,
        ))
    }

    /// The session id (a lowercase hyphenated UUID for new sessions).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The version token this session writes (`v1` for new sessions).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Encrypts `plaintext` into a `v1$…` envelope: `v1$<id>$<base64(ciphertext‖tag)>` for
    /// AES-GCM, `v1$<id>$<base64(ciphertext)>$<hex HMAC-SHA256>` for AES-CBC.
    ///
    /// # Errors
    ///
    /// Only a backend failure.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, Error> {
        let plaintext = plaintext.as_bytes();
        match self.algorithm {
            Algorithm::AesGcm => {
                let sealed = match &self.prepared()?.gcm {
                    Some(key) => key.seal(&self.iv, &self.key, plaintext)?,
                    None => self
                        .provider
                        .aes_gcm
                        .seal(&self.key, &self.iv, &self.key, plaintext)?,
                };
                Ok(self.frame(&sealed, None))
            }
            Algorithm::AesCbc | Algorithm::AesCbc128 => {
                let prepared = self.prepared()?;
                let ciphertext = match &prepared.cbc {
                    Some(key) => key.encrypt(&self.iv, plaintext)?,
                    None => self
                        .provider
                        .aes_cbc
                        .encrypt(&self.key, &self.iv, plaintext)?,
                };
                let mac = self.hmac(prepared, plaintext)?;
                Ok(self.frame(&ciphertext, Some(&mac)))
            }
        }
    }

    /// Decrypts a `v1$…` envelope made under this session.
    ///
    /// The envelope's version token and session id must be this session's. For AES-CBC the
    /// HMAC is compared in constant time.
    ///
    /// # Errors
    ///
    /// [`Error::Envelope`] for a malformed or foreign envelope, [`Error::Decrypt`] when the
    /// tag, HMAC, padding or UTF-8 check fails.
    pub fn decrypt(&self, envelope: &str) -> Result<Zeroizing<String>, Error> {
        let expected = match self.algorithm {
            Algorithm::AesGcm => 3,
            Algorithm::AesCbc | Algorithm::AesCbc128 => 4,
        };
        // The parts without collecting them: `[version, id, ciphertext, hmac?]`.
        let mut parts = envelope.split('$');
        let mut next = || parts.next().unwrap_or_default();
        let (version_token, id, body, mac) = (next(), next(), next(), next());
        let found = envelope.split('$').count();
        if found != expected {
            return Err(EnvelopeError::PartCount { expected, found }.into());
        }
        self.check_header(version_token, id)?;
        let ciphertext = decode(body).ok_or(EnvelopeError::Base64 { part: "ciphertext" })?;
        let plaintext = match self.algorithm {
            Algorithm::AesGcm => match &self.prepared()?.gcm {
                Some(key) => key.open(&self.iv, &self.key, &ciphertext)?,
                None => self
                    .provider
                    .aes_gcm
                    .open(&self.key, &self.iv, &self.key, &ciphertext)?,
            },
            Algorithm::AesCbc | Algorithm::AesCbc128 => {
                let mut received = [0u8; 32];
                hex::decode_to_slice(mac, &mut received)
                    .map_err(|_| EnvelopeError::HmacEncoding)?;
                let prepared = self.prepared()?;
                let plaintext = Zeroizing::new(match &prepared.cbc {
                    Some(key) => key.decrypt(&self.iv, &ciphertext)?,
                    None => self
                        .provider
                        .aes_cbc
                        .decrypt(&self.key, &self.iv, &ciphertext)?,
                });
                let computed = self.hmac(prepared, &plaintext)?;
                if !bool::from(computed.ct_eq(&received)) {
                    return Err(DecryptError::Hmac.into());
                }
                plaintext.to_vec()
            }
        };
        String::from_utf8(plaintext)
            .map(Zeroizing::new)
            .map_err(|e| {
                // Wipe the rejected bytes too: they are still someone's personal data.
                drop(Zeroizing::new(e.into_bytes()));
                DecryptError::Utf8.into()
            })
    }

    /// The official Java SDK's `serializeSession()` form,
    /// `<version>$<id>$<ALG>$<base64 key>$<base64 iv>`, to keep a session between processes.
    ///
    /// # Security
    ///
    /// The result holds the secret key: store it as you would store the personal data it
    /// protects.
    #[must_use]
    pub fn serialize(&self) -> Zeroizing<String> {
        let iv = Zeroizing::new(STANDARD.encode(&*self.iv));
        Zeroizing::new(format!(
            "{}${}${}${}${}",
            self.version,
            self.id,
            self.algorithm.wire_name(),
            *self.key_base64,
            *iv
        ))
    }

    /// The plaintext RSA-OAEP seals into a session key: `<ALG>$<base64 key>$<base64 iv>`.
    pub(crate) fn key_payload(&self) -> Zeroizing<String> {
        let iv = Zeroizing::new(STANDARD.encode(&*self.iv));
        Zeroizing::new(format!(
            "{}${}${}",
            self.algorithm.wire_name(),
            *self.key_base64,
            *iv
        ))
    }

    pub(crate) fn from_parts(
        version: String,
        id: String,
        algorithm: Algorithm,
        key: Zeroizing<Vec<u8>>,
        iv: Zeroizing<Vec<u8>>,
        provider: &'static CryptoProvider,
    ) -> Self {
        let key_base64 = Zeroizing::new(STANDARD.encode(&*key));
        Self {
            version,
            id,
            algorithm,
            key,
            iv,
            key_base64,
            provider,
            prepared: OnceLock::new(),
        }
    }

    /// The keys the provider prepares for this session's algorithm, made at the first use.
    fn prepared(&self) -> Result<&Prepared, Error> {
        if let Some(prepared) = self.prepared.get() {
            return Ok(prepared);
        }
        let prepared = match self.algorithm {
            Algorithm::AesGcm => Prepared {
                gcm: self.provider.aes_gcm.prepare(&self.key)?.map(Arc::from),
                ..Prepared::default()
            },
            Algorithm::AesCbc | Algorithm::AesCbc128 => Prepared {
                cbc: self.provider.aes_cbc.prepare(&self.key)?.map(Arc::from),
                hmac: self
                    .provider
                    .hmac_sha256
                    .prepare(self.key_base64.as_bytes())?
                    .map(Arc::from),
                ..Prepared::default()
            },
        };
        // Another thread may have prepared them meanwhile: they are the same keys.
        Ok(self.prepared.get_or_init(|| prepared))
    }

    /// The CBC HMAC of `message`: its key is the UTF-8 of the secret key's base64.
    fn hmac(&self, prepared: &Prepared, message: &[u8]) -> Result<[u8; 32], Error> {
        match &prepared.hmac {
            Some(key) => key.sign(message),
            None => self
                .provider
                .hmac_sha256
                .sign(self.key_base64.as_bytes(), message),
        }
    }

    fn check_header(&self, version_token: &str, id: &str) -> Result<(), EnvelopeError> {
        if !version::is_supported(version_token) {
            return Err(EnvelopeError::Version);
        }
        if version_token != self.version {
            return Err(EnvelopeError::VersionMismatch);
        }
        if id != self.id {
            return Err(EnvelopeError::SessionIdMismatch);
        }
        Ok(())
    }

    fn frame(&self, ciphertext: &[u8], mac: Option<&[u8; 32]>) -> String {
        let body_len = ciphertext.len().div_ceil(3) * 4;
        let mut out = String::with_capacity(self.version.len() + self.id.len() + body_len + 68);
        out.push_str(&self.version);
        out.push('$');
        out.push_str(&self.id);
        out.push('$');
        STANDARD.encode_string(ciphertext, &mut out);
        if let Some(mac) = mac {
            out.push('$');
            out.push_str(&hex::encode(mac));
        }
        out
    }
}

/// A session just made by a [`SessionGenerator`](crate::SessionGenerator), with its
/// session key: the key and IV sealed for the provider, which the request or result call
/// sends as `sessionKey`. Derefs to its [`Session`] to encrypt and decrypt.
///
/// Only a new session has a session key; a [`Session`] restored or opened has none, so a
/// request cannot be sealed with one by mistake.
#[derive(Clone)]
pub struct NewSession {
    session: Session,
    session_key: String,
}

impl NewSession {
    pub(crate) fn new(session: Session, session_key: String) -> Self {
        Self {
            session,
            session_key,
        }
    }

    /// The session key to send to the provider, `v1$<id>$<base64 RSA-OAEP ciphertext>`.
    #[must_use]
    pub fn session_key(&self) -> &str {
        &self.session_key
    }

    /// The session.
    #[must_use]
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, without its session key (to keep for decrypting the answer).
    #[must_use]
    pub fn into_session(self) -> Session {
        self.session
    }
}

impl std::ops::Deref for NewSession {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("session", &self.session)
            .field("session_key_len", &self.session_key.len())
            .finish()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Strict standard base64 (padding required), as the provider writes it.
pub(crate) fn decode(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    STANDARD.decode(text).ok().map(Zeroizing::new)
}
