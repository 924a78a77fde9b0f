//! Every request and response of the Toss Cert (토스인증) general e-signature API as typed,
//! validated Rust values that read and write the provider's exact JSON.
//!
//! This crate is the wire format and nothing else: no I/O, no cryptography. Clients
//! serialize its requests and deserialize its responses; a server (such as the emulator)
//! does the opposite, with the same types.
//!
//! # Quick start
//!
//! ```
//! use toss_model::{
//!     DocType, Envelope, RequestType, SignRequest, SignResponse, TriggerType,
//! };
//!
//! // The fields marked "encrypted" are v1$ envelopes made with a fresh session
//! // (see the toss-crypto crate); this crate only carries them.
//! let request = SignRequest::builder()
//!     .request_type(RequestType::UserPersonal)
//!     .trigger_type(TriggerType::AppScheme)
//!     .user_name("v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$aMC2MHpP/6SoHGqBj1uJVOeyhgI1Dkvu5g==")
//!     .user_phone("v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$skgG78TkJiUU2M2UX67/1X5TgbupaWaNuwqp")
//!     .user_birthday("v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$s0AP78LmJClNV/o9HOFO7K0nj+5p7uT1")
//!     .session_key("v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$HI6ndcW/hT0wAycPfCKGFbo+")
//!     .service_name("토스 출금이체")
//!     .doc_title("출금이체 동의문")
//!     .doc("출금이체에 동의합니다.")
//!     .doc_type(DocType::Text)
//!     .expire_seconds(600)
//!     .success_callback_url("myapp://sign/done")
//!     .build()?;
//! let body = serde_json::to_vec(&request).expect("a sign request always serializes");
//! # let _ = body;
//!
//! // What the provider answers: an envelope around the call's `success` object.
//! let answer = r#"{"resultType":"SUCCESS","success":{
//!     "txId":"e9af318d-2151-4b67-9818-def01983a623",
//!     "appScheme":"supertoss://toss-cert/v2/sign/doc?txId=e9af318d-2151-4b67-9818-def01983a623",
//!     "androidAppUri":"null","iosAppUri":null,
//!     "requestedDt":"2022-03-13T17:52:22+09:00"}}"#;
//! let envelope: Envelope<SignResponse> = serde_json::from_str(answer).expect("valid JSON");
//! let signed = envelope.into_result().expect("SUCCESS");
//! assert_eq!(signed.tx_id().as_str(), "e9af318d-2151-4b67-9818-def01983a623");
//! assert_eq!(signed.android_app_uri(), None); // the provider's "null" text reads as absent
//! assert_eq!(signed.requested_dt().to_string(), "2022-03-13T17:52:22+09:00");
//! # Ok::<(), toss_model::ValidationError>(())
//! ```
//!
//! # Concepts
//!
//! | endpoint | call | request | `success` object |
//! |---|---|---|---|
//! | [`IssueToken`] | `POST /token` (form, not enveloped) | [`TokenRequest`] | [`TokenResponse`] |
//! | [`esign::RequestSign`] | `POST /api/v2/sign/doc/request` | [`SignRequest`] | [`SignResponse`] |
//! | [`esign::GetStatus`] | `POST /api/v2/sign/doc/status` | [`StatusRequest`] | [`StatusResponse`] |
//! | [`esign::GetResult`] | `POST /api/v2/sign/doc/result` | [`ResultRequest`] | [`ResultResponse`] with [`PersonalData`] |
//! | [`ValidateCertificate`] | `POST /api/v1/certificate/validate` | [`CertificateValidateRequest`] | [`CertificateValidateResponse`] |
//!
//! - **The operation model.** Each endpoint is a type implementing [`Endpoint`]: its
//!   [`Operation`] (host, method, path, idempotency, body format, the names errors and
//!   spans use) and its request and response types. The client's calls, the emulator's
//!   router and the test helpers all read an endpoint's facts from there, so each path
//!   of the provider's API is written once, here. A family of calls is a module of
//!   endpoint types ([`esign`]).
//! - **Envelopes.** Every service response is an [`Envelope`]: `resultType` `SUCCESS` with the
//!   call's `success` object, or `FAIL` with an [`ApiError`] (`errorType`, [`ErrorCode`],
//!   `reason`, `data`, `title`). [`Envelope::into_result`] turns one into a `Result`.
//! - **Plaintext parsed before encryption.** [`plain`] holds the values of a sign request
//!   before they are encrypted — [`plain::Signer`] (name, [`plain::Phone`],
//!   [`plain::Birthday`], or CI), [`plain::Document`], [`plain::ServiceName`],
//!   [`plain::DocTitle`], [`plain::Expiry`] — each with one parser that applies the API
//!   document's rule, and [`plain::PlainSignRequest`], which seals into the wire request
//!   without a rule left to break.
//! - **Validated requests.** [`SignRequest::builder`] refuses what the provider refuses, with
//!   one [`ValidationError`] variant per rule, and reports a document longer than the
//!   recommended 2,000 characters as a [`SignRequestWarning`]. Deserializing a
//!   [`SignRequest`] applies the same rules; deserialize a [`SignRequestBuilder`] instead to
//!   get the typed error.
//! - **Forward-compatible enums.** [`RequestType`], [`TriggerType`], [`DocType`],
//!   [`SignatureType`], [`SignStatus`], [`Gender`], [`Nationality`], [`ResultType`],
//!   [`ErrorCode`] and the token enums keep a value they do not know in `Other(String)` and
//!   write it back unchanged. [`ErrorCode`] says whether a call may be retried and what a code
//!   means.
//! - **Timestamps.** `requestedDt` and `completedDt` are [`Timestamp`]s: real date-times that
//!   keep their offset and are written back as `YYYY-MM-DDThh:mm:ss±hh:mm`.
//! - **Names.** Types and enum variants follow the wire; getters are the wire names in
//!   snake case (`requestedDt` is [`requested_dt`](SignResponse::requested_dt)). Structs
//!   have private fields, so fields the provider adds later are not breaking changes.
//! - **Personal data.** `Debug` never shows personal data, documents, signatures, session
//!   keys, tokens or the client secret, only their lengths; the client secret and access
//!   token are wiped from memory on drop. Error messages name fields, never their values.
//!
//! # Crate features
//!
//! - `test-util` (off by default): constructors for the response types ([`SignResponse`],
//!   [`StatusResponse`], [`ResultResponse`], [`PersonalData`],
//!   [`CertificateValidateResponse`], [`TokenResponse`]), for tests and for servers that
//!   answer like the provider. [`Envelope::ok`], [`Envelope::fail`] and [`ApiError::new`]
//!   need no feature.
//!
//! # Why these dependencies
//!
//! `serde` and `serde_json` are the standard for JSON; `serde_urlencoded` is the form
//! encoding reqwest and axum use, so the token form is encoded exactly as they would; `time`
//! is the workspace's one date-time crate and parses and writes offsets exactly; `base64`
//! checks that a PDF hash is base64; `sha2` (RustCrypto) hashes a PDF for
//! [`plain::Document::pdf`]; `zeroize` wipes secrets; `thiserror` writes the errors.
//!
//! # Testing
//!
//! Every JSON example of the provider's API document is a fixture in `tests/data/` that must
//! deserialize and serialize back to an equal JSON value, with a certificate check pair and
//! the token form besides. Each validation rule has a test showing its error; unknown enum
//! values and error codes are checked to round-trip; property tests feed arbitrary text to
//! every parser. `cargo bench -p toss-model` measures encoding and decoding.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api_error;
mod certificate;
mod endpoint;
mod enums;
mod envelope;
mod error;
mod error_code;
pub mod esign;
pub mod plain;
mod redact;
mod result;
mod serde_util;
mod sign_request;
mod sign_response;
mod status;
mod timestamp;
mod token;
mod tx_id;
mod wire_enum;

pub use api_error::ApiError;
pub use certificate::{
    CertificateValidateRequest, CertificateValidateResponse, ValidateCertificate,
};
pub use endpoint::{BodyFormat, Endpoint, Host, Method, Operation};
pub use enums::{
    DocType, Gender, GrantType, Nationality, RequestType, ResultType, Scope, SignStatus,
    SignatureType, TokenType, TriggerType,
};
pub use envelope::Envelope;
pub use error::{EnvelopeError, FormError, TimestampError, ValidationError};
pub use error_code::ErrorCode;
pub use result::{PersonalData, ResultRequest, ResultResponse};
pub use sign_request::{
    DOC_RECOMMENDED_MAX_CHARS, EXPIRE_SECONDS_MAX, SERVICE_NAME_MAX_CHARS, SignRequest,
    SignRequestBuilder, SignRequestWarning,
};
pub use sign_response::SignResponse;
pub use status::{StatusRequest, StatusResponse};
pub use timestamp::Timestamp;
pub use token::{IssueToken, TokenRequest, TokenResponse};
pub use tx_id::TxId;
pub use zeroize;
