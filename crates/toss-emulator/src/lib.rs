//! A local Toss Cert (토스인증) general e-signature server for tests, demos and CI, in the
//! spirit of stripe-mock and LocalStack.
//!
//! # Fidelity and limits
//!
//! **What it reproduces.** The provider's paths, bodies and envelopes (every body is a
//! `toss-model` type): `POST /token` (OAuth client credentials, the provider's published test
//! credentials by default), `POST /api/v2/sign/doc/request`, `.../status`, `.../result` and
//! `POST /api/v1/certificate/validate`. It has its own RSA key and really opens every session
//! key and decrypts every encrypted field (AES-GCM and AES-CBC sessions, via `toss-crypto`),
//! refusing malformed or mismatched ones. It applies the provider's request rules (the same
//! validation as `toss-model`), its lifecycle (`REQUESTED` → `IN_PROGRESS` → `COMPLETED` or
//! `EXPIRED` at `expireSeconds`), the result rules (twice at most, within 60 minutes of
//! completion, a new session for the result call) and its error codes. On completion it signs
//! like the provider: a CMS `SignedData` with SHA-256 and sha256WithRSAEncryption, signed
//! attributes contentType, signingTime and messageDigest, the document embedded (`PKCS7`) or
//! only its hash (`PKCS7_NO_CONTENT_WITH_ATTR`), the signer's certificate included. The
//! result's personal data is encrypted with the result call's session.
//!
//! **What it does not.** No real person signs and no push or app is involved: a simulated
//! user answers on a schedule ([`UserBehaviour`]) or by hand. Certificates come from the
//! emulator's own test CA, not "Toss CA1" / "Toss Root CA", so a verifier must be given
//! [`EmulatorHandle::ca_certificate_pem`] as its trust anchor; a production verifier
//! rightly refuses them. The result's personal data is the requested person (`USER_PERSONAL`,
//! with CI and DI derived from name, phone and birthday so that they are stable) or the
//! fixed fictional person of the provider's test environment (`USER_CI`, without CI and DI).
//! Tokens are JWT-shaped but opaque; there is no revocation, no rate limiting, no
//! production-only behaviour, no TLS (serve it behind a proxy if you need HTTPS) and no
//! persistence: everything lives in memory (see [Memory](#memory)). The provider publishes
//! the meaning of only some error codes; where it does not, the emulator's choices are
//! listed below and may differ from the provider's.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use toss_emulator::clock::ManualClock;
//! use toss_emulator::{Emulator, UserBehaviour};
//!
//! let clock = ManualClock::new();
//! let emulator = Emulator::builder()
//!     .rsa_bits(2048) // the default 4096 takes longer to generate
//!     .manual_clock(clock.clone())
//!     .start()
//!     .await?;
//!
//! // Point a client at the emulator: the base URL serves both /token and /api/...,
//! // and the public key replaces the provider's when sealing session keys.
//! let base_url = emulator.base_url();
//! let public_key = emulator.public_key_base64();
//! let (client_id, client_secret) = (emulator.client_id(), emulator.client_secret());
//! # let _ = (base_url, public_key, client_id, client_secret);
//!
//! // ... make a sign request, then move time instead of sleeping:
//! clock.advance(std::time::Duration::from_secs(1)); // the default user has signed by now
//! # Ok(()) }
//! ```
//!
//! The `toss-emulator` binary serves the same on `127.0.0.1:18080` by default and prints the
//! base URL and public key; `toss-emulator --help` lists its options.
//!
//! # Endpoints and answers
//!
//! | path | answers |
//! |---|---|
//! | `POST /token` | `TokenResponse`; `invalid_request` (400), `invalid_client` (401), `unsupported_grant_type` (400), `invalid_scope` (400) |
//! | `POST /api/v2/sign/doc/request` | `SignResponse` (with app links for `APP_SCHEME`) |
//! | `POST /api/v2/sign/doc/status` | `StatusResponse` |
//! | `POST /api/v2/sign/doc/result` | `ResultResponse` with `personalData` |
//! | `POST /api/v1/certificate/validate` | `{"valid","enabled"}`: true for certificates of the emulator's CA |
//! | `POST /emulator/v1/tx/{txId}/{open\|complete\|expire}` | moves a transaction now; answers like the status call. Loopback peers only by default (403 to others), off entirely (404) with [`ControlAccess::Off`] |
//! | `GET /emulator/v1/stats` | [`Stats`] as JSON |
//! | `GET /emulator/v1/transactions` | [`TransactionList`] as JSON: every remembered transaction (live or retained) with its client, status, times and results served, and per client the sign requests and results since the start. Under the control endpoints' rule: loopback peers only by default (403), 404 with [`ControlAccess::Off`] |
//! | `GET /emulator/v1/public-key` | the base64 DER public key, as text |
//! | `GET /emulator/v1/ca-certificate` | the test CA certificate, PEM |
//!
//! Every response carries `X-Toss-Emulator-Version`. Failures of the service endpoints are
//! the provider's `FAIL` envelope:
//!
//! | code | HTTP | when |
//! |---|---|---|
//! | `CE1000` | 401 | no bearer token, or one that is unknown or expired |
//! | `CE3000` | 400 | a body that is not the call's JSON, a broken request rule (the reason is `toss-model`'s `ValidationError` message), an unsupported enum value, personal fields that decrypt to something malformed, a result call without `sessionKey` or with the sign request's session, a session already used by an earlier accepted request (the API document: 세션 키는 매 요청 시 새로 생성해야 합니다; [`EmulatorBuilder::refuse_reused_session_keys`]) |
//! | `CE3001` | 400 | a session key that does not open with the emulator's key, or a field that does not decrypt with its session |
//! | `CE3100` | 200 | unknown `txId`, one another client created, or one freed after its retention (404 on the control endpoints) |
//! | `CE3101` | 200 | a third successful result |
//! | `CE3102` | 200 | a result before the user completed |
//! | `CE3103` | 200 | a result after the request expired, or more than 60 minutes after completion |
//! | `CE0001` | 500 | the emulator itself failed (it should not) |
//!
//! `CE3000` and `CE3001` are codes whose meaning the provider does not publish; they were
//! chosen as the closest to "invalid request" and "cannot decrypt".
//!
//! # Clients
//!
//! The token endpoint accepts the provider's published test credentials, or the clients
//! given with [`EmulatorBuilder::client_credentials`] (several may be). A token belongs to
//! its client, and a transaction to the client whose token created it: another client's
//! status or result call gets `CE3100`, as for a `txId` that does not exist.
//!
//! # Time
//!
//! Status is computed from timestamps when it is queried. With a [`ManualClock`](clock::ManualClock) a test
//! moves time with [`ManualClock::advance`](clock::ManualClock::advance) and never sleeps; the one background task (the
//! sweeper, below) reads the same clock.
//!
//! # Memory
//!
//! A transaction is kept whole while it can change or be fetched. Once it cannot (expired,
//! both results served, or 60 minutes after completion) only its status is kept, for
//! [`EmulatorBuilder::retention`] (an hour by default), then it is freed; tokens are freed
//! when they expire. A sweeper frees what is due every 100 ms in small, bounded steps (and
//! each sign request or token does a little of the same), reading the emulator's clock.
//! `GET /emulator/v1/stats` reports `liveTransactions`, `retainedTransactions` and
//! `liveTokens`; `GET /emulator/v1/transactions` (and [`EmulatorHandle::transactions`])
//! lists each remembered transaction, with `retained` and `retainedBecause` for those kept
//! only for status answers, until they are freed.
//!
//! # As a server
//!
//! Hyper's HTTP/1 serves each connection with a header-read timeout, which also closes
//! idle keep-alive connections ([`EmulatorBuilder::header_read_timeout`], 10 s); tower
//! middleware bounds each request's time, body reading included (408,
//! [`EmulatorBuilder::request_timeout`], 30 s), its body size (413 before reading a larger
//! declared length, [`EmulatorBuilder::body_limit`], 256 KiB) and the requests handled at once
//! ([`EmulatorBuilder::concurrency_limit`]); at most
//! [`EmulatorBuilder::max_connections`] connections are served, further ones wait in a
//! listen backlog of [`EmulatorBuilder::backlog`] (4,096). RSA work (opening session keys,
//! signing) runs on tokio's blocking pool, one job per core at a time, so that the async
//! workers keep accepting and answering.
//!
//! # Personal data
//!
//! Nothing the emulator logs, formats with `Debug` or puts in an error names a person, a
//! document or a token; `FAIL` reasons name fields, never values. The emulator does not log.
//!
//! # Why these dependencies
//!
//! `toss-crypto` (with its `aws-lc` backend, chosen explicitly so that feature unification
//! cannot change it) opens session keys and generates RSA keys several times faster than pure
//! Rust; `toss-model` is the wire format, shared with clients so both sides agree by
//! construction. `axum` on `hyper` and `tokio` is the maintained, widely used HTTP server
//! stack; `hyper-util` runs its connections (axum's own `serve` has no header-read
//! timeout), `tower` and `tower-http` provide the concurrency limit, request timeout and
//! body limit. RustCrypto's `cms`, `x509-cert`, `der`, `spki`, `const-oid`, `rsa` and `sha2`
//! are the CMS and X.509 builders the `toss-signed-doc` verifier also reads with; the
//! signatures themselves are made by `aws-lc-rs` (about five times quicker than the `rsa`
//! crate), which `toss-crypto` already brings; `rustix` raises the open-file limit of
//! `emulator serve`;
//! `hmac` makes CI/DI and token MACs, `time` the provider's date-times, `base64` and `uuid`
//! the wire encodings, `serde`/`serde_json` the bodies, `zeroize` wipes secrets, `thiserror`
//! writes [`Error`], and `clap` parses the binary's options.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod ca;
mod cms_sign;
mod config;
mod error;
mod listing;
mod routes;
mod rsa_signer;
pub mod serve;
mod server;
mod state;
mod stats;
mod user;

pub use config::{
    ControlAccess, DEFAULT_BACKLOG, DEFAULT_BODY_LIMIT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CONCURRENCY_LIMIT, DEFAULT_EXPIRE_SECONDS, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETENTION, DEFAULT_RSA_BITS,
    DEFAULT_TOKEN_LIFETIME, EmulatorBuilder, EmulatorConfig, UserBehaviour,
};
pub use error::Error;
pub use listing::{ClientActivity, RetainedBecause, TransactionList, TransactionSummary};
pub use server::{Emulator, EmulatorHandle, VERSION_HEADER};
pub use stats::Stats;
pub use toss_runtime::clock;
