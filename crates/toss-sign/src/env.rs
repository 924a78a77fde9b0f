//! The names of the environment variables [`Client::from_env`](crate::Client::from_env)
//! reads, written once: the client reads them, and tools that print settings for it (such
//! as `tosscert emulator serve --print-env`) name them from here.

/// The client id (required).
pub const CLIENT_ID: &str = "TOSS_CERT_CLIENT_ID";
/// The client secret (required).
pub const CLIENT_SECRET: &str = "TOSS_CERT_CLIENT_SECRET";
/// The OAuth host's base URL; alone, or with [`API_BASE`], it replaces the provider's.
pub const OAUTH_BASE: &str = "TOSS_CERT_OAUTH_BASE";
/// The API host's base URL.
pub const API_BASE: &str = "TOSS_CERT_API_BASE";
/// The provider's public key (base64 DER) that session keys are sealed with.
pub const PUBLIC_KEY: &str = "TOSS_CERT_PUBLIC_KEY";
/// A PEM file of trust anchors for verifying `signedDoc` chains.
pub const TRUST_ANCHORS: &str = "TOSS_CERT_TRUST_ANCHORS";
/// An RFC 3161 time-stamping authority for the evidence.
pub const TSA_URL: &str = "TOSS_CERT_TSA_URL";
/// The transaction store: a SQLite path or a `postgres://` URL.
pub const STORE: &str = "TOSS_CERT_STORE";
/// Seconds a result fetch holds its lease.
pub const RESULT_LEASE_SECS: &str = "TOSS_CERT_RESULT_LEASE_SECS";
/// The data key sealing personal data at rest.
pub const DATA_KEY: &str = "TOSS_CERT_DATA_KEY";
/// The previous data key, still read during a rotation.
pub const DATA_KEY_PREVIOUS: &str = "TOSS_CERT_DATA_KEY_PREVIOUS";
