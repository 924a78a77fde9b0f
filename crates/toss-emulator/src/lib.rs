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
//! **What it does not.** No real person signs and no push or Toss app is involved: a
//! simulated user answers on a schedule ([`UserBehaviour`], per signer with a
//! [`Scenario`]), by hand through the control endpoints, or a person presses 서명하기 or 취소
//! on the emulator's own Toss app screen (see [The Toss app screen](#the-toss-app-screen)).
//! Certificates come from the
//! emulator's own test CA, not "Toss CA1" / "Toss Root CA", so a verifier must be given
//! [`EmulatorHandle::ca_certificate_pem`] as its trust anchor; a production verifier
//! rightly refuses them. The result's personal data is the requested person (`USER_PERSONAL`,
//! with CI and DI derived from name, phone and birthday so that they are stable) or the
//! fixed fictional person of the provider's test environment (`USER_CI`, without CI and DI).
//! Tokens are JWT-shaped but opaque and cannot be revoked; there is no rate limiting, no
//! production-only behaviour, no TLS (serve it behind a proxy if you need HTTPS) and no
//! persistence: everything lives in memory (see [Memory](#memory)). The provider publishes
//! the meaning of only some error codes; where it does not, the emulator's choices are
//! listed below and may differ from the provider's.
//!
//! **Revocation and time-stamps.** Like the provider's, every user certificate names a CRL
//! distribution point and an OCSP responder (authority information access), here the
//! emulator's own URLs. The CRL is served (see [Revocation](#revocation)); OCSP is not
//! answered, since the provider answers it only for contracted users: the URL is there for
//! the certificates' shape. `POST /tsa` is an RFC 3161 time-stamping authority, for
//! verifiers that stamp what they keep (see [Time-stamps](#time-stamps)).
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
//! | `POST /emulator/v1/tx/{txId}/{open\|complete\|decline\|expire}` | moves a transaction now; answers like the status call. Loopback peers only by default (403 to others), off entirely (404) with [`ControlAccess::Off`] |
//! | `POST /emulator/v1/tx/{txId}/revoke` | revokes the certificate that signed the transaction; optional body `{"reason": "keyCompromise", "revokedAt": "<RFC 3339>"}`, answers [`Revocation`] as JSON `{"serialNumber", "reason", "revokedAt"}`. Under the control endpoints' rule; unknown txId `CE3100` (404), nothing signed `CE3000` (409), a bad body `CE3000` (400) |
//! | `GET /crl/emulator-ca.crl` | the test CA's CRL, DER, `application/pkix-crl` ([`EmulatorHandle::crl_url`]) |
//! | `POST /tsa` | RFC 3161: a DER `TimeStampReq` (`application/timestamp-query`) in, a DER `TimeStampResp` (`application/timestamp-reply`) out, HTTP 200 whether granted or refused ([`EmulatorHandle::tsa_url`]) |
//! | `GET /emulator/v1/stats` | [`Stats`] as JSON |
//! | `GET /emulator/v1/health` | `{"status": "ok", "version": "…"}`, to anyone |
//! | `POST /emulator/v1/reset` | forgets every transaction, token, count and logged call, and restarts the faults' draws from the seed; keys, CA, certificates and revocations stay. Under the control endpoints' rule |
//! | `GET /emulator/v1/requests` | [`RequestLog`] as JSON: the provider API's last [`REQUEST_LOG_CAPACITY`] calls (time, method, endpoint, status, errorCode, txId, injected fault), never a token, secret, person or document. Under the control endpoints' rule |
//! | `GET /app/sign/{txId}` | the Toss app's signing screen (HTML, Korean); opening it opens the request |
//! | `POST /app/sign/{txId}` | `action=sign` (서명하기) or `action=cancel` (취소): 303 to the request's successCallbackUrl or failCallbackUrl (back to the screen without one); 409 with the screen once it can no longer be signed |
//! | `GET /ul?scheme=…` | the iOS universal link of the app links: 303 to the signing screen |
//! | `GET`/`POST /app/inbox` | the pending push requests of a signer (form field `phone` or `ci`), as the push would bring them. Under the control endpoints' rule |
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
//! # The Toss app screen
//!
//! With `triggerType=APP_SCHEME` the sign request's app links keep the provider's shapes and
//! lead to the emulator: `appScheme` is the provider's `supertoss://toss-cert/v2/sign/doc?…`
//! (only the Toss app opens it), `androidAppUri` is the provider's intent with a
//! `S.browser_fallback_url` to the signing screen, and `iosAppUri` is
//! `{base_url}/ul?scheme=…` in place of `https://ul.toss.im?scheme=…`. For `PUSH`,
//! `/app/inbox` lists a signer's pending requests, as the push notification would. The
//! signing screen ([`EmulatorHandle::app_sign_url`]) is mobile-first, in Korean: the service
//! name, the title, the signer's name masked (홍*동), the time left, the document, and the
//! buttons 서명하기 and 취소.
//!
//! The document is shown safely: `TEXT` escaped, `HTML` sanitised by ammonia (no script,
//! event handler or `javascript:` URL survives), a PDF (or any document sent as its hash) by
//! its SHA-256; the pages are served with a Content-Security-Policy that allows no script at
//! all (`default-src 'none'`), so that nothing of a document runs even past a sanitiser miss.
//!
//! 서명하기 is the same state change as `…/complete`; 취소 is `…/decline`: the user opened
//! the request and will not sign it. The provider publishes no declined status, so the
//! transaction stays `IN_PROGRESS` (its result `CE3102`) until it expires. A callback URL
//! with a script scheme (`javascript:`, `data:`, `vbscript:`, `file:`) is never followed.
//! The screen works with every [`UserBehaviour`]; with [`UserBehaviour::Manual`] (`--user
//! manual`, or `--user browser` for a person at a browser) nothing else moves the
//! transaction. The signing screen answers anyone who has the txId, an unguessable UUID, as
//! the app's own links do.
//!
//! # Scenarios and faults
//!
//! A [`Scenario`] ([`EmulatorBuilder::scenario`], `--scenario FILE` as JSON) gives chosen
//! signers their own behaviour — by phone, name or CI: sign after N ms, never answer,
//! decline, open and let expire, or wait for a person — and injects faults per endpoint
//! (the token, request, status, result and certificate endpoints, or all): added latency,
//! a dropped connection (closed without an answer), an HTTP 500 `CE0001`, each with its
//! probability, drawn from one generator seeded by the scenario. See the [`scenario`]
//! module for the file's format.
//!
//! # Revocation
//!
//! `POST /emulator/v1/tx/{txId}/revoke` and [`EmulatorHandle::revoke`] revoke the
//! certificate that signed a transaction's `signedDoc`, for a [`RevocationReason`] (RFC 5280
//! CRLReason names in lowerCamelCase, `unspecified` by default) as of a date (now by
//! default; a past or future date lets a test place the revocation before or after the
//! signing). A completed transaction whose result was not fetched yet gets its `signedDoc`
//! made then, so that its result carries the revoked certificate. The `signedDoc` made
//! stays as it is; the person's next signature gets a new key and certificate, as after a
//! re-issue. The certificate check answers `valid: false` once the revocation date is
//! reached.
//!
//! The CRL (v2, sha256WithRSAEncryption, the CA as issuer) has thisUpdate the emulator's
//! time at issue, nextUpdate [`EmulatorBuilder::crl_validity`] later (24 hours by default),
//! a CRL number that grows with each issue, the authority key identifier, and one entry per
//! revoked certificate with its date and, unless `unspecified`, its reason code. It is
//! issued again on every revocation and, at a request, once it has passed its nextUpdate;
//! otherwise the same DER is served.
//!
//! # Time-stamps
//!
//! `POST /tsa` grants a request (version 1, a SHA-256, SHA-384 or SHA-512 imprint of that
//! digest's length, no policy but [`TSA_POLICY`], no extensions) with a token: a CMS
//! `SignedData` over a `TSTInfo` (id-ct-TSTInfo) with [`TSA_POLICY`], the request's imprint
//! and nonce, a growing serial number, genTime from the emulator's clock in whole seconds
//! and an accuracy of one second; signed attributes contentType, messageDigest and
//! signingCertificateV2 (RFC 5035, which OpenSSL requires); the TSA certificate included
//! when the request asks (`certReq`). The TSA certificate
//! ([`EmulatorHandle::tsa_certificate_pem`], CN "Toss Cert Emulator TSA", its own RSA-2048
//! key, extendedKeyUsage id-kp-timeStamping and keyUsage digitalSignature, both critical)
//! is issued by the test CA at start. Anything else is refused with status `rejection` and
//! the PKIFailureInfo bit: `badDataFormat` (not DER, a wrong imprint length), `badAlg`
//! (another hash, SHA-1 included), `badRequest` (another version), `unacceptedPolicy`,
//! `unacceptedExtension`.
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
//! are the CMS and X.509 builders the `toss-signed-doc` verifier also reads with
//! (`x509-cert`'s `hazmat` feature gives the TSA certificate exactly the extensions RFC 3161
//! asks for); `x509-tsp` is RustCrypto's RFC 3161 types (`TimeStampReq`, `TimeStampResp`,
//! `TSTInfo`), of the same generation as `cms` 0.2, with `cmpv2` for its `PKIStatusInfo`; the
//! signatures themselves are made by `aws-lc-rs` (about five times quicker than the `rsa`
//! crate), which `toss-crypto` already brings; `rustix` raises the open-file limit of
//! `emulator serve`;
//! `ammonia` sanitises the HTML documents the app screen shows (the maintained sanitiser,
//! on html5ever's parser), `html-escape` escapes every other text of its pages, and
//! `fastrand` draws the scenario's seeded faults;
//! `hmac` makes CI/DI and token MACs, `time` the provider's date-times, `base64` and `uuid`
//! the wire encodings, `serde`/`serde_json` the bodies, `zeroize` wipes secrets, `thiserror`
//! writes [`Error`], and `clap` parses the binary's options.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod ca;
mod cms_sign;
mod config;
mod crl;
mod error;
mod listing;
mod paths;
mod request_log;
mod revocation;
mod routes;
mod rsa_signer;
pub mod scenario;
pub mod serve;
mod server;
mod state;
mod stats;
mod tsa;
mod user;

pub use config::{
    ControlAccess, DEFAULT_BACKLOG, DEFAULT_BODY_LIMIT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CONCURRENCY_LIMIT, DEFAULT_CRL_VALIDITY, DEFAULT_EXPIRE_SECONDS,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETENTION, DEFAULT_RSA_BITS, DEFAULT_TOKEN_LIFETIME, EmulatorBuilder, EmulatorConfig,
    UserBehaviour,
};
pub use error::Error;
pub use listing::{ClientActivity, RetainedBecause, TransactionList, TransactionSummary};
pub use request_log::{LoggedRequest, REQUEST_LOG_CAPACITY, RequestLog};
pub use revocation::{Revocation, RevocationReason};
pub use scenario::{FaultEndpoint, FaultRule, Scenario, ScenarioError, SignerMatch};
pub use server::{Emulator, EmulatorHandle, VERSION_HEADER};
pub use stats::Stats;
pub use toss_runtime::clock;
pub use tsa::TSA_POLICY;
