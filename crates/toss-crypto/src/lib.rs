//! Session keys and `v1$` envelopes of Toss Cert (토스인증) general e-signatures,
//! byte-exact with the provider's official SDKs.
//!
//! Every call that carries personal data (a signer's name, phone number, birthday, CI, or an
//! encrypted document) encrypts it with a fresh *session*: a random AES key and IV, whose
//! *session key* is sealed with the provider's RSA public key and sent along. The provider
//! answers under the session key the client sent with the result call. This crate is that
//! format and nothing else; it does no I/O and does not log.
//!
//! # Quick start
//!
//! ```
//! # fn main() -> Result<(), toss_crypto::Error> {
//! # if toss_crypto::CryptoProvider::from_crate_features().is_none() { return Ok(()); } // both backends on: see "Crate features"
//! use toss_crypto::{Session, SessionGenerator};
//!
//! // Once, at start-up: parses the provider's embedded RSA-4096 public key.
//! let generator = SessionGenerator::new()?;
//!
//! // For every request: a new session, its sealed key, and the encrypted fields.
//! let session = generator.generate()?;
//! let session_key = session.session_key(); // a new session always has one
//! let user_name = session.encrypt("김토스")?; // "v1$<id>$<base64>"
//! # let _ = (session_key, &user_name);
//!
//! // Keep a session between processes in the official Java SDK's form, and decrypt later.
//! let stored = session.serialize();
//! let restored = Session::deserialize(&stored)?;
//! assert_eq!(*restored.decrypt(&user_name)?, "김토스");
//! # Ok(()) }
//! ```
//!
//! # Concepts
//!
//! - [`SessionGenerator`]: built once from the provider's public key, makes [`Session`]s for
//!   [`Algorithm::AesGcm`] (the default), [`Algorithm::AesCbc`] and [`Algorithm::AesCbc128`],
//!   each handed out once as a [`NewSession`] with the [`session_key`](NewSession::session_key)
//!   to send.
//! - [`Session`]: [`encrypt`](Session::encrypt) / [`decrypt`](Session::decrypt) for `v1$` envelopes,
//!   [`serialize`](Session::serialize) / [`Session::deserialize`] in the Java SDK's form.
//! - [`SessionOpener`]: the provider's side, which opens a session key with the RSA private
//!   key. The emulator is built on it, and tests use it to check what a client sent.
//! - [`DataKey`] and [`DataKeyRing`]: the application's own key, for personal data kept
//!   at rest (see [below](#data-keys-personal-data-at-rest)).
//! - [`CryptoProvider`]: the primitives (random numbers, RSA-OAEP, AES-GCM, AES-CBC,
//!   HMAC-SHA256) as `'static` trait objects. The formats are written once on top of them.
//!
//! The exact formats:
//!
//! | algorithm | key | IV | envelope |
//! |---|---|---|---|
//! | `AES_GCM` | 32 bytes | 12 bytes | `v1$<id>$<base64(ciphertext‖tag)>`, AAD = the raw key |
//! | `AES_CBC` | 32 bytes | 16 bytes | `v1$<id>$<base64(ciphertext)>$<hex HMAC-SHA256>` |
//! | `AES_CBC` (128) | 16 bytes | 16 bytes | as above |
//!
//! The CBC HMAC key is the UTF-8 bytes of the *base64 text* of the secret key, its message
//! the plaintext. The session key is `v1$<id>$<base64 RSA-OAEP(SHA-1, MGF1-SHA-1)
//! of "<ALG>$<base64 key>$<base64 iv>">`.
//!
//! # Data keys: personal data at rest
//!
//! Sessions protect data on its way to and from the provider. What an application keeps
//! afterwards (a result's session, so that a stored result can be decrypted again, or
//! personal data it must hold for a while) is sealed under a key of its own, which outlives
//! every session: a [`DataKey`], 32 random bytes kept as standard base64 in the
//! application's secret store (`TOSS_CERT_DATA_KEY`). [`DataKey::seal`] writes
//!
//! ```text
//! dk1$<key id>$<base64(nonce ‖ ciphertext ‖ tag)>
//! ```
//!
//! with AES-256-GCM through the [`CryptoProvider`] (the same primitive as the sessions'),
//! a fresh random 12-byte nonce and the 16-byte tag. The caller's AAD (say, a transaction
//! id and the field's name) is authenticated, after the fixed prefix `toss-cert dk1\0`
//! (which keeps this format apart from any other use of the key), and must be given again
//! to [`DataKey::open`]. The key id is the first 8 hex digits of HMAC-SHA256 under the key
//! of `toss-cert data key id`, or one given with [`DataKey::with_id`]. Both backends read
//! and write the same bytes.
//!
//! **Rotation.** A [`DataKeyRing`] holds the current key, which seals, and older keys, which
//! still open what they sealed: the key id in the sealed text picks the key. Make a new key
//! current, keep the old one in the ring, re-seal what [`DataKeyRing::is_current`] says is
//! under an older key at leisure, then drop the old key. Rotate long before 2³² seals under
//! one key (random 96-bit nonces).
//!
//! ```
//! # fn main() -> Result<(), toss_crypto::Error> {
//! # if toss_crypto::CryptoProvider::from_crate_features().is_none() { return Ok(()); } // both backends on: see "Crate features"
//! use toss_crypto::{DataKey, DataKeyRing};
//!
//! // From the secret store, such as the TOSS_CERT_DATA_KEY variable (base64 of 32 bytes).
//! let key = DataKey::from_base64("a2V5IGJ5dGVzIGZvciB0aGUgZG9jcyBleGFtcGxlISE=")?;
//! let ring = DataKeyRing::new(key);
//!
//! let sealed = ring.seal(b"19930324", b"tx 5a0b.../birthday")?; // "dk1$<id>$..."
//! assert!(sealed.starts_with(&format!("dk1${}$", ring.current().id())));
//! assert_eq!(&*ring.open(&sealed, b"tx 5a0b.../birthday")?, b"19930324");
//! assert!(ring.open(&sealed, b"another row").is_err()); // the AAD binds it to its place
//! # Ok(()) }
//! ```
//!
//! # Errors and secrets
//!
//! Every malformed input gives a typed [`Error`] that names what was wrong and never quotes
//! the input; nothing panics. Keys and IVs live in zeroizing buffers, decrypted text is
//! returned as [`Zeroizing<String>`](zeroize::Zeroizing) (opened data as
//! `Zeroizing<Vec<u8>>`), and `Debug` of a [`Session`] shows only its id and algorithm, of a
//! [`DataKey`] only its key id.
//!
//! # Crate features
//!
//! - `aws-lc` (**default**): the [`backend::aws_lc`] provider, on aws-lc-rs. RSA-OAEP with the
//!   provider's 4096-bit key was measured here at ~73 µs with aws-lc-rs against ~675 µs with
//!   the pure Rust `rsa` crate (and ~69 µs in Node's OpenSSL), and every request pays it once.
//! - `rustcrypto`: the [`backend::rust_crypto`] provider, pure Rust (`rsa`, `aes-gcm`,
//!   `aes` + `cbc`, `hmac`, `sha2`), for targets without a C toolchain.
//!
//! With both features on and no provider chosen, constructors that need the default return
//! [`Error::NoDefaultProvider`] rather than picking one behind your back: Cargo unifies
//! features across the dependency graph, so a second backend enabled elsewhere must not change
//! which one runs. Pass one with `.crypto_provider(...)` or the `*_with_provider` functions.
//!
//! # Why these dependencies
//!
//! aws-lc-rs and the RustCrypto crates are the maintained, audited implementations of these
//! primitives; `subtle` gives the constant-time HMAC comparison, `zeroize` the wiping of key
//! material, `base64`, `hex` and `uuid` the exact encodings, and `thiserror` the error type.
//!
//! # Testing
//!
//! The provider's own vectors (100 AES-GCM envelopes and 100 RSA session keys), and CBC and
//! `dk1$` data key vectors made with Python's `cryptography`, run against every backend, as
//! do property tests that round-trip arbitrary text and feed arbitrary strings to every
//! parser; with both backends on, data sealed on one is opened on the other.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The docs link to both backend modules, which exist only with their features; with one
// backend off those links cannot resolve. `cargo doc --all-features` (CI, docs.rs) still
// checks every link.
#![cfg_attr(
    not(all(feature = "aws-lc", feature = "rustcrypto")),
    allow(rustdoc::broken_intra_doc_links)
)]

mod algorithm;
pub mod backend;
mod data_key;
mod error;
mod generator;
mod key_text;
mod opener;
mod provider;
mod session;
mod version;

pub use algorithm::Algorithm;
pub use data_key::{DataKey, DataKeyRing};
pub use error::{
    DataKeyError, DecryptError, EnvelopeError, Error, KeyMaterialError, OtherError, RsaKeyError,
    SealedFormatError, SessionFormatError,
};
pub use generator::{SessionGenerator, SessionGeneratorBuilder};
pub use key_text::TOSS_CERT_PUBLIC_KEY;
pub use opener::SessionOpener;
pub use provider::{
    AesCbc, AesCbcKey, AesGcm, AesGcmKey, CryptoProvider, HmacSha256, HmacSha256Key,
    OaepDecryptingKey, OaepEncryptingKey, RsaOaep, SecureRandom,
};
pub use session::{NewSession, Session};
pub use zeroize;
