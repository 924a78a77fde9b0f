//! The Toss app's screens, served by the emulator so that a person (or a browser test) can
//! sign: the signing screen the app links lead to, the universal link that opens it, and
//! the inbox of push requests.
//!
//! Opening the signing screen opens the request (`REQUESTED` → `IN_PROGRESS`), 서명하기
//! completes it and 취소 declines it: the same state changes as the control endpoints,
//! whatever the user behaviour. The signing screen answers anyone who has the txId (an
//! unguessable UUID, as in the app's own links); the inbox lists people's requests by phone
//! or CI, so it follows the control endpoints' rule.

mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::rejection::{ExtensionRejection, FormRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::control::refusal;
use crate::paths;
use crate::scenario::SignerMatch;
use crate::server::AppState;
use crate::state::{Action, ControlFailure, Screen};
use crate::user::Stage;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(paths::APP_SIGN, get(show).post(answer))
        .route(paths::APP_INBOX, get(inbox_form).post(inbox))
        .route(paths::UNIVERSAL_LINK, get(universal_link))
}

/// `GET /app/sign/{txId}`: the signing screen; opening it opens the request.
async fn show(State(state): State<Arc<AppState>>, Path(tx_id): Path<String>) -> Response {
    // Seeing the screen is opening the request, as in the app; refused moves (already
    // completed or expired) leave it as it is.
    let _ = state
        .transactions
        .control(&tx_id, Action::Open, state.now());
    screen(&state, &tx_id, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct Answer {
    action: String,
}

/// `POST /app/sign/{txId}`: 서명하기 (`action=sign`) or 취소 (`action=cancel`); then to the
/// service's callback, or back to the screen when it gave none.
async fn answer(
    State(state): State<Arc<AppState>>,
    Path(tx_id): Path<String>,
    form: Result<Form<Answer>, FormRejection>,
) -> Response {
    let action = match form
        .as_ref()
        .ok()
        .map(|Form(answer)| answer.action.as_str())
    {
        Some("sign") => Action::Complete,
        Some("cancel") => Action::Decline,
        _ => {
            return screen(
                &state,
                &tx_id,
                Some("알 수 없는 동작이에요."),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    match state.transactions.control(&tx_id, action, state.now()) {
        Ok(_) => {
            let callbacks = state.transactions.callbacks(&tx_id).unwrap_or_default();
            let callback = match action {
                Action::Complete => callbacks.success,
                _ => callbacks.fail,
            };
            match callback.as_deref().and_then(redirect_to) {
                Some(redirect) => redirect,
                None => Redirect::to(&paths::app_sign(&tx_id)).into_response(),
            }
        }
        Err(ControlFailure::UnknownTx) => screen(&state, &tx_id, None, StatusCode::NOT_FOUND),
        Err(ControlFailure::NotAllowed(Stage::Expired)) => screen(
            &state,
            &tx_id,
            Some("만료되어 서명할 수 없어요."),
            StatusCode::CONFLICT,
        ),
        Err(ControlFailure::NotAllowed(_)) => screen(
            &state,
            &tx_id,
            Some("이 요청은 더 이상 서명하거나 취소할 수 없어요."),
            StatusCode::CONFLICT,
        ),
    }
}

/// A 303 to a service's callback; `None` for a URL a browser must not be sent to from
/// here (a script or data URL) or one that cannot be a header.
fn redirect_to(url: &str) -> Option<Response> {
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    if matches!(scheme.as_str(), "javascript" | "data" | "vbscript" | "file") {
        return None;
    }
    let location = HeaderValue::from_str(url).ok()?;
    Some((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

fn screen(state: &AppState, tx_id: &str, notice: Option<&str>, status: StatusCode) -> Response {
    let now = state.now();
    let page = match state.transactions.screen(tx_id, now) {
        Some(Screen::Live(view)) => page::sign_screen(&paths::app_sign(tx_id), &view, now, notice),
        Some(Screen::Finished(stage)) => page::finished_screen(Some(stage)),
        None => {
            return html(StatusCode::NOT_FOUND, page::finished_screen(None));
        }
    };
    html(status, page)
}

fn html(status: StatusCode, page: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(page::CONTENT_SECURITY_POLICY),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        Html(page),
    )
        .into_response()
}

#[derive(Deserialize)]
struct UniversalLink {
    scheme: Option<String>,
}

/// `GET /ul?scheme=supertoss://…?txId=…`: what `https://ul.toss.im` does on a phone with
/// the app — opens its signing screen.
async fn universal_link(Query(link): Query<UniversalLink>) -> Response {
    let tx_id = link.scheme.as_deref().and_then(|scheme| {
        let query = scheme.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("txId="))
            .filter(|tx_id| {
                !tx_id.is_empty() && tx_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            .map(str::to_owned)
    });
    match tx_id {
        Some(tx_id) => Redirect::to(&paths::app_sign(&tx_id)).into_response(),
        None => html(StatusCode::NOT_FOUND, page::finished_screen(None)),
    }
}

/// `GET /app/inbox`: asks whose requests to show.
async fn inbox_form(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    html(StatusCode::OK, page::inbox(paths::APP_INBOX, None))
}

#[derive(Deserialize)]
struct Whose {
    phone: Option<String>,
    ci: Option<String>,
}

/// `POST /app/inbox` with `phone` or `ci`: the push requests that person can still sign,
/// as the push notifications would have brought them. A form post, so that the number
/// stays out of URLs and access logs.
async fn inbox(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
    form: Result<Form<Whose>, FormRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    let whose = form.ok().map(|Form(whose)| {
        (
            Zeroizing::new(whose.phone.unwrap_or_default()),
            Zeroizing::new(whose.ci.unwrap_or_default()),
        )
    });
    let signer = match &whose {
        Some((phone, _)) if !phone.trim().is_empty() => SignerMatch::phone(phone),
        Some((_, ci)) if !ci.trim().is_empty() => SignerMatch::ci(ci.trim()),
        _ => return html(StatusCode::OK, page::inbox(paths::APP_INBOX, None)),
    };
    let now = state.now();
    let rows: Vec<page::InboxRow> = state
        .transactions
        .inbox(&signer, now)
        .into_iter()
        .map(|item| page::InboxRow {
            href: paths::app_sign(&item.tx_id),
            time_left: page::time_left(item.expires_at, now),
            doc_title: item.doc_title,
            service_name: item.service_name,
        })
        .collect();
    html(StatusCode::OK, page::inbox(paths::APP_INBOX, Some(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_callbacks_are_followed() {
        let location = |url: &str| {
            redirect_to(url).map(|response| {
                assert_eq!(response.status(), StatusCode::SEE_OTHER);
                response.headers()[header::LOCATION]
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
        };
        assert_eq!(
            location("https://shop.example/return?order=1").as_deref(),
            Some("https://shop.example/return?order=1")
        );
        assert_eq!(
            location("myapp://sign/done").as_deref(),
            Some("myapp://sign/done")
        );
        assert_eq!(location("javascript:alert(1)"), None);
        assert_eq!(location("JavaScript:alert(1)"), None);
        assert_eq!(location("data:text/html,x"), None);
        assert_eq!(location("no scheme"), None);
        assert_eq!(location("https://a.example/\n"), None);
    }
}
