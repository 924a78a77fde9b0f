//! The three sign endpoints: `POST /api/v2/sign/doc/request`, `.../status` and
//! `.../result`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use toss_crypto::Session;
use toss_model::plain::{Birthday, Ci, Document, Phone, SignerName};
use toss_model::{
    DocType, ErrorCode, PersonalData, RequestType, ResultRequest, ResultResponse,
    SignRequestBuilder, SignResponse, SignatureType, StatusRequest, StatusResponse, TriggerType,
    TxId, ValidationError,
};
use zeroize::Zeroizing;

use super::{Fail, answer, authorize, parse_json, timestamp};
use crate::clock::saturating_add as add;
use crate::cms_sign::{self, Content};
use crate::paths;
use crate::server::AppState;
use crate::state::{
    Callbacks, ClientIndex, Entry, Finished, MAX_RESULTS, RESULT_WINDOW, SessionReused, SignedDoc,
    Signer, Store, Transaction, doc_held,
};
use crate::stats::Counter;
use crate::user::{Person, SimulatedUser, Stage};

/// `POST /api/v2/sign/doc/request`.
pub(crate) async fn request(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome =
        match authorize(&state, &headers).and_then(|client| Ok((client, read_body(body)?))) {
            // Opening the session is RSA work: off the async runtime, as the rest of the
            // request's decryption and checks, which are quick next to it.
            Ok((client, body)) => state
                .blocking(move |state| handle_request(state, client, &body))
                .await
                .unwrap_or_else(|| Err(Fail::internal("the request task failed"))),
            Err(fail) => Err(fail),
        };
    answer(&state, Counter::SignRequests, outcome)
}

/// `POST /api/v2/sign/doc/status`.
pub(crate) async fn status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = handle_status(&state, &headers, body);
    answer(&state, Counter::StatusCalls, outcome)
}

/// `POST /api/v2/sign/doc/result`.
pub(crate) async fn result(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = handle_result(&state, &headers, body).await;
    answer(&state, Counter::Results, outcome)
}

fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Fail> {
    body.map_err(|_| Fail::unreadable_body())
}

fn handle_request(
    state: &AppState,
    client: ClientIndex,
    body: &[u8],
) -> Result<SignResponse, Fail> {
    // The builder, not `SignRequest`, so that a broken rule gives its own message.
    let builder: SignRequestBuilder = parse_json(body)?;
    let request = builder
        .build()
        .map_err(|error| Fail::invalid(error.to_string()))?;

    if !matches!(
        request.request_type(),
        RequestType::UserPersonal | RequestType::UserCi
    ) {
        return Err(Fail::invalid(
            "requestType must be USER_PERSONAL or USER_CI",
        ));
    }
    if !matches!(
        request.trigger_type(),
        TriggerType::Push | TriggerType::AppScheme
    ) {
        return Err(Fail::invalid("triggerType must be PUSH or APP_SCHEME"));
    }
    if !matches!(
        request.doc_type(),
        DocType::Text | DocType::Html | DocType::Pdf
    ) {
        return Err(Fail::invalid("docType must be TEXT, HTML or PDF"));
    }
    let signature_type = request.signature_type().clone();
    if !matches!(
        signature_type,
        SignatureType::Pkcs7 | SignatureType::Pkcs7NoContentWithAttr
    ) {
        return Err(Fail::invalid(
            "signatureType must be PKCS7 or PKCS7_NO_CONTENT_WITH_ATTR",
        ));
    }

    // Validation guarantees a session key for both request types.
    let session_key = request
        .session_key()
        .ok_or_else(|| Fail::invalid("sessionKey is required"))?;
    let session = open_session(state, session_key)?;
    if state.transactions.refuses_reused_sessions()
        && state.transactions.lock().session_used(session.id())
    {
        return Err(Fail::session_reused());
    }
    let decrypt = |field: &'static str, value: Option<&str>| {
        let value = value.ok_or_else(|| Fail::invalid(format!("{field} is required")))?;
        session.decrypt(value).map_err(|_| {
            Fail::undecryptable(format!(
                "{field} does not decrypt with the request's session"
            ))
        })
    };

    let signer = if *request.request_type() == RequestType::UserPersonal {
        let name = decrypt("userName", request.user_name())?;
        let phone = decrypt("userPhone", request.user_phone())?;
        let birthday = decrypt("userBirthday", request.user_birthday())?;
        // The client's parsers, on what was decrypted; the wire takes the phone's digits
        // only, not the hyphens and spaces a person types.
        SignerName::parse(name.as_str()).map_err(rule)?;
        if Phone::parse(&phone).map_err(rule)?.as_str() != phone.as_str() {
            return Err(rule(ValidationError::InvalidUserPhone));
        }
        Birthday::parse(&birthday).map_err(rule)?;
        Signer::Personal {
            name,
            phone,
            birthday,
        }
    } else {
        let ci = decrypt("userCi", request.user_ci())?;
        Ci::parse(ci.as_str()).map_err(rule)?;
        Signer::Ci { ci }
    };

    let doc = if request.doc_encrypted() {
        decrypt("doc", Some(request.doc()))?
    } else {
        Zeroizing::new(request.doc().to_owned())
    };
    Document::from_wire(&doc_held(request.doc_type(), &signature_type), &doc).map_err(rule)?;

    let now = state.now();
    let expire_seconds = request
        .expire_seconds()
        .unwrap_or(state.default_expire_seconds);
    let expires_at = add(now, Duration::from_secs(u64::from(expire_seconds)));
    let tx_id = new_tx_id()?;
    let transaction = Transaction {
        owner: client,
        requested_at: now,
        doc_title: request.doc_title().to_owned(),
        service_name: request.service_name().to_owned(),
        push: *request.trigger_type() == TriggerType::Push,
        callbacks: Callbacks {
            success: request.success_callback_url().map(str::to_owned),
            fail: request.fail_callback_url().map(str::to_owned),
        },
        user: SimulatedUser::new(&state.behaviour_for(&signer), now, expires_at),
        signer,
        doc,
        doc_type: request.doc_type().clone(),
        signature_type,
        doc_encrypted: request.doc_encrypted(),
        request_session_id: session.id().to_owned(),
        results_served: 0,
        result_session_ids: Vec::new(),
        signed_doc: None,
    };
    state
        .transactions
        .insert(tx_id.clone(), transaction, now)
        .map_err(|SessionReused| Fail::session_reused())?;
    if let Some(counters) = state.client_counters.get(client) {
        counters.bump_sign_requests();
    }

    let mut response = SignResponse::new(TxId::new(tx_id.clone()), timestamp(now));
    if *request.trigger_type() == TriggerType::AppScheme {
        let (app_scheme, android, ios) = app_links(&state.base_url, &tx_id);
        response = response.with_app_links(app_scheme, android, ios);
    }
    Ok(response)
}

fn handle_status(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusResponse, Fail> {
    let client = authorize(state, headers)?;
    let body = read_body(body)?;
    let request: StatusRequest = parse_json(&body)?;
    let now = state.now();
    let store = state.transactions.lock();
    let entry = store
        .get(request.tx_id().as_str(), client)
        .ok_or_else(Fail::unknown_tx)?;
    Ok(StatusResponse::new(
        request.tx_id().clone(),
        entry.stage(now).status(),
        timestamp(entry.requested_at()),
    ))
}

/// The live transaction `tx_id` of `client`, or why its result cannot be had.
fn live<'a>(store: &'a Store, tx_id: &str, client: ClientIndex) -> Result<&'a Transaction, Fail> {
    match store.get(tx_id, client) {
        Some(Entry::Live(transaction)) => Ok(transaction),
        Some(Entry::Retained(retained)) => Err(finished_fail(retained.finished)),
        None => Err(Fail::unknown_tx()),
    }
}

async fn handle_result(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ResultResponse, Fail> {
    let client = authorize(state, headers)?;
    let body = read_body(body)?;
    let request: ResultRequest = parse_json(&body)?;
    let tx_id = request.tx_id().as_str().to_owned();
    let now = state.now();

    let request_session_id = {
        let store = state.transactions.lock();
        let transaction = live(&store, &tx_id, client)?;
        result_allowed(transaction, now)?;
        transaction.request_session_id.clone()
    };

    let session_key = request
        .session_key()
        .ok_or_else(|| {
            Fail::invalid("sessionKey is required: the result is encrypted with its session")
        })?
        .to_owned();
    let session = state
        .blocking(move |state| open_session(state, &session_key))
        .await
        .unwrap_or_else(|| Err(Fail::internal("the result task failed")))?;
    if session.id() == request_session_id {
        return Err(Fail::invalid(
            "the result call must use a new session, not the sign request's",
        ));
    }

    // Take one of the two results now, so that concurrent calls cannot both take the last.
    let (transaction, completed_at) = {
        let mut store = state.transactions.lock();
        let completed_at = result_allowed(live(&store, &tx_id, client)?, now)?;
        let refuse = state.transactions.refuses_reused_sessions();
        store
            .use_result_session(&tx_id, session.id(), refuse)
            .map_err(|SessionReused| Fail::session_reused())?;
        let transaction = store
            .get_live_mut(&tx_id, client)
            .ok_or_else(Fail::unknown_tx)?;
        transaction.results_served += 1;
        (transaction.clone(), completed_at)
    };

    let outcome = async {
        let signed_doc = match &transaction.signed_doc {
            Some(signed_doc) => signed_doc.clone(),
            None => {
                let made = make_signed_doc(state, &transaction, completed_at).await?;
                state.transactions.lock().keep_signed_doc(&tx_id, made)
            }
        };
        let response = result_response(
            &transaction,
            &tx_id,
            &session,
            &signed_doc.base64,
            completed_at,
        )?;
        Ok::<_, Fail>((response, signed_doc))
    }
    .await;

    if outcome.is_ok()
        && let Some(counters) = state.client_counters.get(client)
    {
        counters.bump_results();
    }
    let mut store = state.transactions.lock();
    let stored = store.get_live_mut(&tx_id, client);
    match (outcome, stored) {
        (Ok((response, signed_doc)), Some(stored)) => {
            stored.signed_doc.get_or_insert(signed_doc);
            if stored.results_served >= MAX_RESULTS {
                // Both results are out: only the status is left to answer.
                let retention = state.transactions.retention();
                store.retire(&tx_id, Finished::ResultsServed, state.now(), retention);
            }
            Ok(response)
        }
        (Ok((response, _)), None) => Ok(response),
        (Err(fail), stored) => {
            if let Some(stored) = stored {
                stored.results_served = stored.results_served.saturating_sub(1);
            }
            Err(fail)
        }
    }
}

/// What a result call for a transaction kept only for status answers gets.
fn finished_fail(finished: Finished) -> Fail {
    match finished {
        Finished::Expired => expired_fail(),
        Finished::WindowClosed => window_closed_fail(),
        Finished::ResultsServed => results_served_fail(),
    }
}

fn expired_fail() -> Fail {
    Fail::new(StatusCode::OK, ErrorCode::Ce3103, "만료된 요청입니다")
}

fn window_closed_fail() -> Fail {
    Fail::new(
        StatusCode::OK,
        ErrorCode::Ce3103,
        "서명 완료 후 60분이 지나 결과를 조회할 수 없습니다",
    )
}

fn results_served_fail() -> Fail {
    Fail::new(
        StatusCode::OK,
        ErrorCode::Ce3101,
        "최종 결과는 2회만 조회할 수 있습니다.",
    )
}

/// Whether the result may be fetched at `now`; the completion time if so.
fn result_allowed(transaction: &Transaction, now: OffsetDateTime) -> Result<OffsetDateTime, Fail> {
    match transaction.progress(now) {
        Stage::Requested | Stage::InProgress => Err(Fail::new(
            StatusCode::OK,
            ErrorCode::Ce3102,
            "서명이 완료되지 않은 요청입니다",
        )),
        Stage::Expired => Err(expired_fail()),
        Stage::Completed { at } => {
            if transaction.results_served >= MAX_RESULTS {
                return Err(results_served_fail());
            }
            if now > add(at, RESULT_WINDOW) {
                return Err(window_closed_fail());
            }
            Ok(at)
        }
    }
}

/// Signs the document as the person behind the transaction, at the moment they completed.
/// Key generation and RSA signing run off the async runtime.
async fn make_signed_doc(
    state: &Arc<AppState>,
    transaction: &Transaction,
    completed_at: OffsetDateTime,
) -> Result<SignedDoc, Fail> {
    let transaction = transaction.clone();
    state
        .blocking(move |state| sign_transaction(state, &transaction, completed_at))
        .await
        .unwrap_or_else(|| Err(Fail::internal("the signing task failed")))
}

/// Signs the document of `transaction` as the person behind it, at `completed_at`, with
/// their current certificate (issued now when they have none). RSA work: call it off the
/// async runtime.
pub(crate) fn sign_transaction(
    state: &AppState,
    transaction: &Transaction,
    completed_at: OffsetDateTime,
) -> Result<SignedDoc, Fail> {
    let person = Person::of(&transaction.signer);
    let identity = state
        .ca
        .identity(
            &person.identity_key,
            &person.name,
            state.now(),
            &state.base_url,
        )
        .map_err(|_| Fail::internal("the emulator could not issue the signer's certificate"))?;
    let doc = &transaction.doc;
    let der = if transaction.signature_type == SignatureType::Pkcs7NoContentWithAttr {
        let document = Document::from_wire(&DocType::Pdf, doc)
            .map_err(|_| Fail::internal("the stored document hash is not 32 bytes"))?;
        let hash = document.pdf_digest().copied().unwrap_or_default();
        cms_sign::sign(&identity, Content::Detached { sha256: &hash }, completed_at)
    } else {
        cms_sign::sign(&identity, Content::Embedded(doc.as_bytes()), completed_at)
    }
    .map_err(|_| Fail::internal("the emulator could not sign the document"))?;
    Ok(SignedDoc {
        base64: STANDARD.encode(der),
        signer_serial: identity.certificate.tbs_certificate.serial_number.clone(),
    })
}

/// The result: personal data and (when it travelled encrypted) the document, encrypted with
/// the result call's session.
fn result_response(
    transaction: &Transaction,
    tx_id: &str,
    session: &Session,
    signed_doc: &str,
    completed_at: OffsetDateTime,
) -> Result<ResultResponse, Fail> {
    let encrypt = |value: &str| {
        session
            .encrypt(value)
            .map_err(|_| Fail::internal("the emulator could not encrypt the result"))
    };
    let person = Person::of(&transaction.signer);
    let mut personal_data = PersonalData::new()
        .with_name(encrypt(&person.name)?)
        .with_birthday(encrypt(&person.birthday)?)
        .with_gender(encrypt(person.gender)?)
        .with_nationality(encrypt(person.nationality)?);
    if let Some((ci, di)) = &person.ci_di {
        personal_data = personal_data.with_ci(encrypt(ci)?).with_di(encrypt(di)?);
    }
    let doc = if transaction.doc_encrypted {
        encrypt(&transaction.doc)?
    } else {
        transaction.doc.to_string()
    };
    Ok(ResultResponse::new(
        TxId::new(tx_id),
        doc,
        signed_doc,
        timestamp(transaction.requested_at),
        timestamp(completed_at),
    )
    .with_signature_type(transaction.signature_type.clone())
    .with_doc_encrypted(transaction.doc_encrypted)
    .with_personal_data(personal_data))
}

/// A broken rule of the API document, refused with its own message.
fn rule(error: ValidationError) -> Fail {
    Fail::invalid(error.to_string())
}

fn open_session(state: &AppState, session_key: &str) -> Result<Session, Fail> {
    state.opener.open(session_key).map_err(|_| {
        Fail::undecryptable("sessionKey cannot be opened with the emulator's private key")
    })
}

/// A random UUID v4 from the crypto provider's generator.
fn new_tx_id() -> Result<String, Fail> {
    let mut bytes = [0u8; 16];
    toss_crypto::backend::aws_lc::PROVIDER
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| Fail::internal("the random number generator failed"))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// The app scheme, Android intent and iOS universal link for `triggerType=APP_SCHEME`, in
/// the provider's shapes, leading to the emulator's app screen: the app scheme is the
/// provider's (nothing opens it without the Toss app), the Android intent falls back to
/// the screen (`S.browser_fallback_url`), and the universal link is the emulator's own
/// `/ul?scheme=…` in place of `https://ul.toss.im?scheme=…`.
fn app_links(base_url: &str, tx_id: &str) -> (String, String, String) {
    let path = format!("toss-cert/v2/sign/doc?txId={tx_id}&_minVerAos=5.36.0&_minVerIos=5.10.0");
    let app_scheme = format!("supertoss://{path}");
    let screen = format!("{base_url}{}", paths::app_sign(tx_id));
    let android = format!(
        "intent://{path}#Intent;scheme=supertoss;package=viva.republica.toss;\
         S.browser_fallback_url={};end",
        percent_encode(&screen)
    );
    let ios = format!(
        "{base_url}{}?scheme={}",
        paths::UNIVERSAL_LINK,
        percent_encode(&app_scheme)
    );
    (app_scheme, android, ios)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_links_keep_the_provider_shapes_and_lead_to_the_emulator() {
        let (scheme, android, ios) = app_links(
            "http://127.0.0.1:18080",
            "e9af318d-2151-4b67-9818-def01983a623",
        );
        assert_eq!(
            scheme,
            "supertoss://toss-cert/v2/sign/doc?txId=e9af318d-2151-4b67-9818-def01983a623&_minVerAos=5.36.0&_minVerIos=5.10.0"
        );
        assert_eq!(
            android,
            "intent://toss-cert/v2/sign/doc?txId=e9af318d-2151-4b67-9818-def01983a623&_minVerAos=5.36.0&_minVerIos=5.10.0#Intent;scheme=supertoss;package=viva.republica.toss;S.browser_fallback_url=http%3A%2F%2F127.0.0.1%3A18080%2Fapp%2Fsign%2Fe9af318d-2151-4b67-9818-def01983a623;end"
        );
        assert_eq!(
            ios,
            "http://127.0.0.1:18080/ul?scheme=supertoss%3A%2F%2Ftoss-cert%2Fv2%2Fsign%2Fdoc%3FtxId%3De9af318d-2151-4b67-9818-def01983a623%26_minVerAos%3D5.36.0%26_minVerIos%3D5.10.0"
        );
    }
}
