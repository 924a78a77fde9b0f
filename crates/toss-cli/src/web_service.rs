//! The reference web service: a small axum service wired the way a signature flow should
//! be, meant to be read and copied.
//!
//! 1. `GET /` is a form; `POST /signatures` asks for a signature with `APP_SCHEME`, an
//!    idempotency key of its own making and callbacks to itself, and answers at once with
//!    the Toss app links (the request is kept in the transaction store before it is sent).
//! 2. The customer signs in the Toss app, which returns to `…/{key}/return`
//!    (successCallbackUrl) or `…/{key}/cancelled` (failCallbackUrl).
//! 3. The return only wakes the [`Reconciler`] (`notify_returned`): it fetches the result,
//!    verifies it, collects the evidence and stores it, in whichever process claims it —
//!    the request handler never fetches, so a crash or a second instance loses nothing.
//! 4. `GET /signatures/{key}` shows where it stands, then the verified proof and every file
//!    of the evidence bundle to download.
//!
//! There is no login here: a real service shows a proof only to the customer and staff it
//! belongs to. Nothing personal is put in a URL, a log or a page beyond the masked name.

mod pages;

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use time::Date;
use time::macros::format_description;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use toss_evidence::Bundle;
use toss_sign::runtime::tx::{IdempotencyKey, TxRecord, TxState};
use toss_sign::{
    Client, Document, Reconciler, Schedule, SignatureRequest, Signer, Trigger, TrustAnchors,
};
use zeroize::Zeroizing;

/// The service name shown in the Toss app.
const SERVICE_NAME: &str = "토스인증 예제 서비스";

/// A running reference service.
pub(crate) struct WebService {
    url: String,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    reconciler: JoinHandle<Result<(), toss_sign::Error>>,
}

struct App {
    client: Client,
    reconciler: Arc<Reconciler>,
    anchors: Option<TrustAnchors>,
    url: String,
}

impl WebService {
    /// Serves on `listen` with `client` (which must have a transaction store), and runs a
    /// reconciler over the same store.
    pub(crate) async fn start(
        client: Client,
        listen: SocketAddr,
    ) -> Result<Self, Box<dyn Error + Send + Sync>> {
        let listener = TcpListener::bind(listen).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let reconciler = Arc::new(
            Reconciler::builder(client.clone())
                .schedule(Schedule::with_notify())
                .idle_interval(Duration::from_millis(500))
                .build()?,
        );
        let app = Arc::new(App {
            anchors: client.trust_anchors().cloned(),
            client,
            reconciler: Arc::clone(&reconciler),
            url: url.clone(),
        });
        let (stop, stopped) = watch::channel(false);
        let router = Router::new()
            .route("/", get(form))
            .route("/signatures", axum::routing::post(request))
            .route("/signatures/{key}", get(proof))
            .route("/signatures/{key}/return", get(returned))
            .route("/signatures/{key}/cancelled", get(cancelled))
            .route("/signatures/{key}/evidence/{file}", get(evidence_file))
            .with_state(app);
        let mut server_stop = stopped.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = server_stop.wait_for(|stop| *stop).await;
                })
                .await
        });
        let mut reconciler_stop = stopped;
        let reconciler = tokio::spawn(async move {
            reconciler
                .run(async move {
                    let _ = reconciler_stop.wait_for(|stop| *stop).await;
                })
                .await
        });
        Ok(Self {
            url,
            stop,
            server,
            reconciler,
        })
    }

    /// Where it listens: `http://ip:port`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving and lets the reconciler finish its pass (bounded).
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        let bound = Duration::from_secs(10);
        let _ = tokio::time::timeout(bound, self.server).await;
        let _ = tokio::time::timeout(bound, self.reconciler).await;
    }
}

async fn form() -> Response {
    page(StatusCode::OK, pages::form(None))
}

/// The form's fields. `Debug` is not derived: they are personal data.
#[derive(Deserialize)]
struct SignForm {
    name: Zeroizing<String>,
    phone: Zeroizing<String>,
    birthday: Zeroizing<String>,
    title: String,
    doc_type: String,
    document: Zeroizing<String>,
    expire_seconds: Option<u64>,
}

/// `POST /signatures`: the sign request, answered at once with the app links.
async fn request(
    State(app): State<Arc<App>>,
    form: Result<Form<SignForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            pages::form(Some("입력한 내용을 읽을 수 없어요.")),
        );
    };
    let key = match new_key() {
        Ok(key) => key,
        Err(_) => return failure("요청 번호를 만들 수 없어요."),
    };
    let request = match build_request(&app.url, &key, &form) {
        Ok(request) => request,
        Err(problem) => return page(StatusCode::BAD_REQUEST, pages::form(Some(problem))),
    };
    match app.client.request_signature(&request).await {
        Ok(requested) => page(StatusCode::OK, pages::links(&key, &requested)),
        Err(error) => {
            log_failure(&error);
            failure("서명 요청을 보내지 못했어요. 잠시 후 다시 시도해 주세요.")
        }
    }
}

fn build_request(url: &str, key: &str, form: &SignForm) -> Result<SignatureRequest, &'static str> {
    let birthday = parse_birthday(&form.birthday).ok_or("생년월일은 YYYY-MM-DD로 적어 주세요.")?;
    let signer = Signer::personal(form.name.as_str(), form.phone.as_str(), birthday)
        .map_err(|_| "이름과 휴대폰 번호를 확인해 주세요.")?;
    let document = match form.doc_type.as_str() {
        "html" => Document::html(form.document.as_str()),
        _ => Document::text(form.document.as_str()),
    }
    .map_err(|_| "문서를 확인해 주세요.")?;
    SignatureRequest::builder()
        .signer(signer)
        .trigger(Trigger::AppScheme {
            success_url: Some(format!("{url}/signatures/{key}/return")),
            fail_url: Some(format!("{url}/signatures/{key}/cancelled")),
        })
        .document(document)
        .service_name(SERVICE_NAME)
        .title(form.title.trim())
        .expires_in(Duration::from_secs(
            form.expire_seconds
                .unwrap_or(300)
                .clamp(1, u64::from(toss_model::EXPIRE_SECONDS_MAX)),
        ))
        .idempotency_key(key)
        .build()
        .map_err(|_| "요청 내용을 확인해 주세요 (제목은 비워 둘 수 없어요).")
}

fn parse_birthday(text: &str) -> Option<Date> {
    let text = text.trim();
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .or_else(|_| Date::parse(text, format_description!("[year][month][day]")))
        .ok()
}

/// A key of our own for the request: unguessable, since it names the proof page.
fn new_key() -> Result<String, toss_crypto::Error> {
    let mut bytes = [0u8; 16];
    crate::backend::crypto_provider()
        .secure_random
        .fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// `GET /signatures/{key}/return` (successCallbackUrl): the customer is back; wake the
/// reconciler and show where it stands.
async fn returned(State(app): State<Arc<App>>, Path(key): Path<String>) -> Response {
    if let Ok(Some(record)) = record(&app, &key).await
        && let Some(tx_id) = record.tx_id.as_ref()
    {
        let tx_id = toss_sign::TxId::new(tx_id.as_str());
        let _ = app.reconciler.notify_returned(&tx_id).await;
    }
    Redirect::to(&format!("/signatures/{key}")).into_response()
}

/// `GET /signatures/{key}/cancelled` (failCallbackUrl).
async fn cancelled(State(app): State<Arc<App>>, Path(key): Path<String>) -> Response {
    match record(&app, &key).await {
        Ok(Some(_)) => page(StatusCode::OK, pages::cancelled()),
        Ok(None) => page(StatusCode::NOT_FOUND, pages::unknown()),
        Err(()) => failure("저장소를 읽을 수 없어요."),
    }
}

/// `GET /signatures/{key}`: the status while the result is awaited, then the proof.
async fn proof(State(app): State<Arc<App>>, Path(key): Path<String>) -> Response {
    let record = match record(&app, &key).await {
        Ok(Some(record)) => record,
        Ok(None) => return page(StatusCode::NOT_FOUND, pages::unknown()),
        Err(()) => return failure("저장소를 읽을 수 없어요."),
    };
    if record.state != TxState::ResultStored {
        return page(StatusCode::OK, pages::waiting(record.state));
    }
    match bundle(&app, &record).await {
        Ok((signed, bundle)) => page(StatusCode::OK, pages::proof(&key, &signed, &bundle)),
        Err(problem) => failure(problem),
    }
}

/// `GET /signatures/{key}/evidence/{file}`: one file of the evidence bundle.
async fn evidence_file(
    State(app): State<Arc<App>>,
    Path((key, file)): Path<(String, String)>,
) -> Response {
    let record = match record(&app, &key).await {
        Ok(Some(record)) if record.state == TxState::ResultStored => record,
        _ => return page(StatusCode::NOT_FOUND, pages::unknown()),
    };
    let bundle = match bundle(&app, &record).await {
        Ok((_, bundle)) => bundle,
        Err(problem) => return failure(problem),
    };
    let Some(name) = bundle.names().find(|name| *name == file) else {
        return page(StatusCode::NOT_FOUND, pages::unknown());
    };
    let bytes = bundle.file(name).map(<[u8]>::to_vec).unwrap_or_default();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(name)),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            // The signed HTML document is the requester's, not ours: should a browser
            // show a download after all, nothing in it may run here.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("json") => "application/json",
        // The report is ours and escaped; the signed document is shown as its source.
        _ if name == toss_evidence::REPORT => "text/html; charset=utf-8",
        Some("html" | "txt") => "text/plain; charset=utf-8",
        Some("pem") => "application/x-pem-file",
        Some("crl") => "application/pkix-crl",
        Some("tsr") => "application/timestamp-reply",
        Some("p7s") => "application/pkcs7-signature",
        _ => "application/octet-stream",
    }
}

/// The stored result (read from the store, not the provider) and its evidence bundle,
/// verified with the client's trust anchors.
async fn bundle(
    app: &App,
    record: &TxRecord,
) -> Result<(toss_sign::SignedDocument, Bundle), &'static str> {
    let tx_id = record
        .tx_id
        .as_ref()
        .map(|tx_id| toss_sign::TxId::new(tx_id.as_str()))
        .ok_or("거래 번호가 없어요.")?;
    let signed = app
        .client
        .result(&tx_id)
        .await
        .map_err(|_| "저장된 결과를 읽을 수 없어요.")?;
    let evidence = signed
        .evidence
        .as_ref()
        .ok_or("증거가 아직 수집되지 않았어요.")?;
    let bundle = Bundle::assemble(&signed.signed_doc.der, evidence, app.anchors.as_ref())
        .map_err(|_| "증거 묶음을 만들 수 없어요.")?;
    Ok((signed, bundle))
}

async fn record(app: &App, key: &str) -> Result<Option<TxRecord>, ()> {
    let Ok(key) = IdempotencyKey::new(key) else {
        return Ok(None);
    };
    let store = app.client.tx_store().await.map_err(|_| ())?.ok_or(())?;
    store.get_by_key(&key).await.map_err(|_| ())
}

fn page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(pages::CONTENT_SECURITY_POLICY),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Html(html),
    )
        .into_response()
}

fn failure(message: &str) -> Response {
    page(StatusCode::SERVICE_UNAVAILABLE, pages::failure(message))
}

/// What went wrong, on stderr: the SDK's errors name no personal data.
fn log_failure(error: &toss_sign::Error) {
    eprintln!("reference service: sign request failed: {error}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(birthday: &str, doc_type: &str, document: &str) -> SignForm {
        SignForm {
            name: Zeroizing::new("홍길동".to_owned()),
            phone: Zeroizing::new("010-1234-5678".to_owned()),
            birthday: Zeroizing::new(birthday.to_owned()),
            title: " 동의서 ".to_owned(),
            doc_type: doc_type.to_owned(),
            document: Zeroizing::new(document.to_owned()),
            expire_seconds: Some(5000),
        }
    }

    #[test]
    fn a_form_becomes_an_app_scheme_request_with_callbacks_to_the_service() {
        let request =
            build_request("http://svc", "k1", &form("1990-01-01", "html", "<b>x</b>")).unwrap();
        assert_eq!(request.idempotency_key(), Some("k1"));
        let plain = request.plain();
        let debug = format!("{plain:?}");
        assert!(!debug.contains("홍길동"), "{debug}");
        let wire = format!("{:?}", plain.trigger());
        assert!(wire.contains("http://svc/signatures/k1/return"), "{wire}");
        assert!(
            wire.contains("http://svc/signatures/k1/cancelled"),
            "{wire}"
        );
        assert!(build_request("http://svc", "k", &form("19900101", "text", "x")).is_ok());
        assert!(build_request("http://svc", "k", &form("1990-13-01", "text", "x")).is_err());
        assert!(build_request("http://svc", "k", &form("1990-01-01", "text", "")).is_err());
    }

    #[test]
    fn only_our_report_is_served_as_html() {
        assert_eq!(
            content_type(toss_evidence::REPORT),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(toss_evidence::DOCUMENT_HTML),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("evidence.json"), "application/json");
        assert_eq!(content_type("x.bin"), "application/octet-stream");
        assert_eq!(new_key().unwrap().len(), 32);
        assert_ne!(new_key().unwrap(), new_key().unwrap());
    }
}
