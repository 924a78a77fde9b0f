//! Shared helpers: start an emulator with a manual clock, and talk to it over real HTTP.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use toss_crypto::{NewSession, SessionGenerator};
use toss_emulator::clock::ManualClock;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};
use toss_model::{DocType, RequestType, SignRequest, SignatureType, TriggerType};

/// The person most tests sign as.
// The provider's paths, from the operation model.
pub const TOKEN: &str = <toss_model::IssueToken as toss_model::Endpoint>::OPERATION.path();
pub const REQUEST: &str =
    <toss_model::esign::RequestSign as toss_model::Endpoint>::OPERATION.path();
pub const STATUS: &str = <toss_model::esign::GetStatus as toss_model::Endpoint>::OPERATION.path();
pub const RESULT: &str = <toss_model::esign::GetResult as toss_model::Endpoint>::OPERATION.path();
pub const VALIDATE: &str =
    <toss_model::ValidateCertificate as toss_model::Endpoint>::OPERATION.path();

pub const NAME: &str = "홍길동";
pub const PHONE: &str = "01012345678";
pub const BIRTHDAY: &str = "19900101";
pub const DOC: &str =
    "토스 간편송금 등의 서비스를 원활하게 이용하기 위하여 출금이체 동의가 필요합니다.";

/// The callbacks of [`Env::app_request`].
pub const SUCCESS_URL: &str = "https://shop.example/sign/done?order=7";
pub const FAIL_URL: &str = "https://shop.example/sign/failed?order=7";

pub struct Env {
    pub emulator: EmulatorHandle,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub sessions: SessionGenerator,
}

/// An emulator with a 2048-bit key, a manual clock and the given user.
pub async fn start(behaviour: UserBehaviour) -> Env {
    start_with(|builder| builder.user_behaviour(behaviour)).await
}

/// An emulator configured further by `configure`.
pub async fn start_with(
    configure: impl FnOnce(toss_emulator::EmulatorBuilder) -> toss_emulator::EmulatorBuilder,
) -> Env {
    let clock = ManualClock::new();
    let builder = Emulator::builder()
        .rsa_bits(2048)
        .manual_clock(clock.clone());
    let emulator = configure(builder).start().await.expect("emulator starts");
    let sessions = SessionGenerator::builder()
        .public_key(emulator.public_key_base64())
        .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
        .build()
        .expect("the emulator's public key loads");
    Env {
        emulator,
        clock,
        http: http_client(),
        sessions,
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// POSTs the token form; the raw response.
    pub async fn token_response(&self, form: &[(&str, &str)]) -> reqwest::Response {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        self.http
            .post(self.url("/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A valid access token of the emulator's first client.
    pub async fn token(&self) -> String {
        self.token_for(self.emulator.client_id(), self.emulator.client_secret())
            .await
    }

    /// The token endpoint's raw answer to the client `id` with `secret`.
    pub async fn token_response_for(&self, id: &str, secret: &str) -> reqwest::Response {
        self.token_response(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "ca"),
        ])
        .await
    }

    /// A valid access token of the client `id` with `secret`.
    pub async fn token_for(&self, id: &str, secret: &str) -> String {
        let response = self.token_response_for(id, secret).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: toss_model::TokenResponse = response.json().await.unwrap();
        body.access_token().to_owned()
    }

    /// GETs one of the emulator's own JSON endpoints (no token).
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    /// POSTs JSON with a bearer token; status and JSON body.
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    pub fn session(&self) -> NewSession {
        self.sessions.generate().unwrap()
    }

    /// A USER_PERSONAL request for the default person, sealed with `session`: PUSH, TEXT,
    /// PKCS7, for a test to change further.
    pub fn personal_builder(&self, session: &NewSession) -> toss_model::SignRequestBuilder {
        SignRequest::builder()
            .request_type(RequestType::UserPersonal)
            .trigger_type(TriggerType::Push)
            .user_name(session.encrypt(NAME).unwrap())
            .user_phone(session.encrypt(PHONE).unwrap())
            .user_birthday(session.encrypt(BIRTHDAY).unwrap())
            .session_key(session.session_key())
            .service_name("토스 출금이체")
            .doc_title("출금이체 동의문")
            .doc(DOC)
            .doc_type(DocType::Text)
            .signature_type(SignatureType::Pkcs7)
    }

    /// A USER_PERSONAL / PUSH / TEXT request for the default person, and its session.
    pub fn personal_request(&self) -> (Value, NewSession) {
        let session = self.session();
        let request = self.personal_builder(&session).build().unwrap();
        (serde_json::to_value(request).unwrap(), session)
    }

    /// A USER_PERSONAL / APP_SCHEME request for the default person with callbacks, of the
    /// given document and type.
    pub fn app_request(&self, doc_type: DocType, doc: &str) -> Value {
        let session = self.session();
        let request = self
            .personal_builder(&session)
            .trigger_type(TriggerType::AppScheme)
            .service_name("토스증권")
            .doc_title("계좌 개설 동의서")
            .doc(doc)
            .doc_type(doc_type)
            .success_callback_url(SUCCESS_URL)
            .fail_callback_url(FAIL_URL)
            .build()
            .unwrap();
        serde_json::to_value(request).unwrap()
    }

    /// Sends a sign request that must succeed; its txId.
    pub async fn sign(&self, token: &str, body: &impl serde::Serialize) -> String {
        let (status, answer) = self.post("/api/v2/sign/doc/request", token, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["resultType"], "SUCCESS", "{answer}");
        answer["success"]["txId"].as_str().unwrap().to_owned()
    }

    /// The status of `tx_id` (must succeed).
    pub async fn status(&self, token: &str, tx_id: &str) -> String {
        let (status, answer) = self
            .post("/api/v2/sign/doc/status", token, &json!({ "txId": tx_id }))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["success"]["status"].as_str().unwrap().to_owned()
    }

    /// A result call with a new session; status, body and that session.
    pub async fn result(&self, token: &str, tx_id: &str) -> (StatusCode, Value, NewSession) {
        let session = self.session();
        let (status, answer) = self
            .post(
                "/api/v2/sign/doc/result",
                token,
                &json!({ "txId": tx_id, "sessionKey": session.session_key() }),
            )
            .await;
        (status, answer, session)
    }
}

/// The error code of a FAIL envelope.
pub fn error_code(answer: &Value) -> &str {
    assert_eq!(answer["resultType"], "FAIL", "{answer}");
    assert!(answer["success"].is_null());
    answer["error"]["errorCode"].as_str().unwrap()
}

/// A plain reqwest client. In a workspace build reqwest carries rustls without a provider
/// (toss-transport's features), so one is installed first, as toss-transport itself does.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Fails unless `openssl` runs: the cross-checks need it (`.ci/run` installs it).
pub fn require_openssl() {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(found, "`openssl` is not on PATH: install Debian's openssl");
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let mut random = [0u8; 8];
        toss_crypto::backend::aws_lc::PROVIDER
            .secure_random
            .fill(&mut random)
            .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "toss-emulator-test-{}-{}",
            std::process::id(),
            hex(&random)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
