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
//! let session_key = session.session_key().expect("new sessions are sealed");
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
//!   [`Algorithm::AesGcm`] (the default), [`Algorithm::AesCbc`] and [`Algorithm::AesCbc128`].
//! - [`Session`]: [`session_key`](Session::session_key) to send,
//!   [`encrypt`](Session::encrypt) / [`decrypt`](Session::decrypt) for `v1$` envelopes,
//!   [`serialize`](Session::serialize) / [`Session::deserialize`] in the Java SDK's form.
//! - [`SessionOpener`]: the provider's side, which opens a session key with the RSA private
//!   key. The emulator is built on it, and tests use it to check what a client sent.
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
//! # Errors and secrets
//!
//! Every malformed input gives a typed [`Error`] that names what was wrong and never quotes
//! the input; nothing panics. Keys and IVs live in zeroizing buffers, decrypted text is
//! returned as [`Zeroizing<String>`](zeroize::Zeroizing), and `Debug` of a [`Session`] shows
//! only its id and algorithm.
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
//! The provider's own vectors (100 AES-GCM envelopes and 100 RSA session keys) and CBC
//! vectors made with Python's `cryptography` run against every backend, as do property tests
//! that round-trip arbitrary text and feed arbitrary strings to every parser.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
pub mod backend;
mod error;
mod generator;
mod key_text;
mod opener;
mod provider;
mod session;
mod version;

pub use algorithm::Algorithm;
pub use error::{
    DecryptError, EnvelopeError, Error, KeyMaterialError, OtherError, RsaKeyError,
    SessionFormatError,
};
pub use generator::{SessionGenerator, SessionGeneratorBuilder};
pub use key_text::TOSS_CERT_PUBLIC_KEY;
pub use opener::SessionOpener;
pub use provider::{
    AesCbc, AesCbcKey, AesGcm, AesGcmKey, CryptoProvider, HmacSha256, HmacSha256Key,
    OaepDecryptingKey, OaepEncryptingKey, RsaOaep, SecureRandom,
};
pub use session::Session;
pub use zeroize;
