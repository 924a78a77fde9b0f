//! A scripted stand-in for the provider behind toss-transport's closure transport, and
//! the test key pair to read what the client encrypted.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod choice;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use time::macros::datetime;
use toss_crypto::{Session, SessionOpener};
use toss_model::{ApiError, Envelope, ErrorCode, PersonalData, ResultResponse, Timestamp};
use toss_runtime::clock::ManualClock;
use toss_sign::{Client, ClientBuilder, Environment, RetryPolicy};
use toss_transport::http::StatusCode;
use toss_transport::test_util::{FnTransport, transport_fn};
use toss_transport::{HttpRequest, HttpResponse, TransportError};

// The provider's paths, from the operation model.
pub const TOKEN: &str = <toss_model::IssueToken as toss_model::Endpoint>::OPERATION.path();
pub const REQUEST: &str =
    <toss_model::esign::RequestSign as toss_model::Endpoint>::OPERATION.path();
pub const STATUS: &str = <toss_model::esign::GetStatus as toss_model::Endpoint>::OPERATION.path();
pub const RESULT: &str = <toss_model::esign::GetResult as toss_model::Endpoint>::OPERATION.path();
pub const VALIDATE: &str =
    <toss_model::ValidateCertificate as toss_model::Endpoint>::OPERATION.path();

pub const BASE: &str = "https://provider.test";

type Outcome = Result<HttpResponse, TransportError>;
type Handler = Box<dyn FnOnce(&HttpRequest) -> Outcome + Send>;

/// Answers each path from its own queue of handlers; `/token` issues a new token per
/// call when its queue is empty. Every request is recorded.
#[derive(Clone, Default)]
pub struct Provider {
    queues: Arc<Mutex<HashMap<&'static str, VecDeque<Handler>>>>,
    seen: Arc<Mutex<Vec<HttpRequest>>>,
    tokens: Arc<AtomicUsize>,
    token_delay: Arc<Mutex<Duration>>,
    token_lifetime: Arc<Mutex<u64>>,
}

impl Provider {
    pub fn new() -> Self {
        let provider = Self::default();
        *provider.token_lifetime.lock().unwrap() = 3600;
        provider
    }

    pub fn transport(&self) -> FnTransport {
        let provider = self.clone();
        transport_fn(move |request| {
            let provider = provider.clone();
            async move { provider.answer(request).await }
        })
    }

    /// Queues `handler` for the next request to `path`.
    pub fn on(
        &self,
        path: &'static str,
        handler: impl FnOnce(&HttpRequest) -> Outcome + Send + 'static,
    ) {
        self.queues
            .lock()
            .unwrap()
            .entry(path)
            .or_default()
            .push_back(Box::new(handler));
    }

    /// Queues a fixed outcome for the next request to `path`.
    pub fn respond(&self, path: &'static str, outcome: Outcome) {
        self.on(path, move |_| outcome);
    }

    pub fn token_delay(&self, delay: Duration) {
        *self.token_delay.lock().unwrap() = delay;
    }

    pub fn token_lifetime(&self, seconds: u64) {
        *self.token_lifetime.lock().unwrap() = seconds;
    }

    pub fn tokens_issued(&self) -> usize {
        self.tokens.load(Ordering::SeqCst)
    }

    pub fn requests(&self, path: &str) -> Vec<HttpRequest> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.uri().path() == path)
            .cloned()
            .collect()
    }

    pub fn all_requests(&self) -> Vec<HttpRequest> {
        self.seen.lock().unwrap().clone()
    }

    async fn answer(&self, request: HttpRequest) -> Outcome {
        self.seen.lock().unwrap().push(request.clone());
        let path = request.uri().path().to_owned();
        let handler = self
            .queues
            .lock()
            .unwrap()
            .get_mut(path.as_str())
            .and_then(VecDeque::pop_front);
        if let Some(handler) = handler {
            return handler(&request);
        }
        if path == TOKEN {
            let delay = *self.token_delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            let n = self.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let lifetime = *self.token_lifetime.lock().unwrap();
            return Ok(json_response(
                200,
                &serde_json::json!({
                    "access_token": format!("token-{n}"),
                    "scope": "ca",
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                }),
            ));
        }
        panic!("unexpected request to {path}");
    }
}

/// A clock tests move by hand, at a fixed start.
pub struct TestClock;

impl TestClock {
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock::starting_at(datetime!(2026-11-25 09:00 +09:00)))
    }
}

pub fn client(provider: &Provider) -> Client {
    client_with_clock(provider, TestClock::new())
}

pub fn client_with_clock(provider: &Provider, clock: Arc<ManualClock>) -> Client {
    builder(provider).clock(clock).build().unwrap()
}

/// A client builder on `provider`'s scripted transport, retrying after 1 to 5 ms.
pub fn builder(provider: &Provider) -> ClientBuilder {
    Client::builder()
        .client_id("test_client")
        .client_secret("test_secret")
        .environment(Environment::single_host(BASE))
        .public_key(public_key())
        .crypto_provider(crypto())
        .transport(provider.transport())
        .retry_policy(
            RetryPolicy::builder()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5))
                .build(),
        )
}

pub fn public_key() -> String {
    include_str!("../data/test_public_key.b64")
        .trim()
        .to_owned()
}

/// The backend the tests run on: aws-lc when compiled in, RustCrypto otherwise.
pub fn crypto() -> &'static toss_crypto::CryptoProvider {
    #[cfg(feature = "aws-lc")]
    return &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(not(feature = "aws-lc"))]
    return &toss_crypto::backend::rust_crypto::PROVIDER;
}

/// The private half of the test key pair: opens what the client encrypted.
pub fn opener() -> SessionOpener {
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("../data/test_private_key.b64").trim())
        .unwrap();
    SessionOpener::from_private_key_der(&der, crypto()).unwrap()
}

pub fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(request.body()).unwrap()
}

/// The session the client put in `request`'s body.
pub fn session_of(request: &HttpRequest) -> Session {
    let body = body(request);
    opener().open(body["sessionKey"].as_str().unwrap()).unwrap()
}

pub fn json_response(status: u16, body: &impl Serialize) -> HttpResponse {
    HttpResponse::new(StatusCode::from_u16(status).unwrap())
        .with_body(serde_json::to_vec(body).unwrap())
}

pub fn ok<T: Serialize>(success: T) -> Outcome {
    Ok(json_response(200, &Envelope::ok(success)))
}

pub fn fail(status: u16, code: &str) -> Outcome {
    let code: ErrorCode = serde_json::from_value(Value::String(code.to_owned())).unwrap();
    Ok(json_response(
        status,
        &Envelope::<Value>::fail(ApiError::new(code, "refused in a test")),
    ))
}

pub fn raw(status: u16, body: &'static str) -> Outcome {
    Ok(HttpResponse::new(StatusCode::from_u16(status).unwrap()).with_body(body))
}

pub fn requested_at() -> Timestamp {
    datetime!(2026-11-25 09:00 +09:00).into()
}

pub fn sign_success(tx_id: &str) -> Outcome {
    ok(serde_json::json!({
        "txId": tx_id,
        "appScheme": "supertoss://toss-cert/v2/sign/user/auth?txId=x",
        "androidAppUri": "null",
        "iosAppUri": "null",
        "requestedDt": "2026-11-25T09:00:00+09:00",
    }))
}

pub fn status_is(tx_id: &str, status: &str) -> Outcome {
    ok(serde_json::json!({
        "txId": tx_id,
        "status": status,
        "requestedDt": "2026-11-25T09:00:00+09:00",
    }))
}

/// A completed result for the person given, encrypted with the session the client sent.
pub fn result_for(
    tx_id: &'static str,
    doc: &'static str,
    encrypt_doc: bool,
) -> impl FnOnce(&HttpRequest) -> Outcome + Send + 'static {
    move |request| {
        let session = session_of(request);
        let enc = |s: &str| session.encrypt(s).unwrap();
        let person = PersonalData::new()
            .with_ci(enc("CI-of-hong-gildong"))
            .with_di(enc("DI-of-hong-gildong"))
            .with_name(enc("홍길동"))
            .with_birthday(enc("19930324"))
            .with_gender(enc("MALE"))
            .with_nationality(enc("LOCAL"));
        let doc = if encrypt_doc {
            enc(doc)
        } else {
            doc.to_owned()
        };
        let completed: Timestamp = datetime!(2026-11-25 09:01 +09:00).into();
        let response =
            ResultResponse::new(tx_id, doc, SIGNED_DOC.trim(), requested_at(), completed)
                .with_doc_encrypted(encrypt_doc)
                .with_personal_data(person);
        ok(response)
    }
}

pub const SIGNED_DOC: &str = include_str!("../data/seed_sign_result.signed_doc.b64");
