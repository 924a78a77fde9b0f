//! `POST /token`: OAuth 2.0 client credentials, answered with a JWT-shaped bearer token.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use toss_model::{FormError, GrantType, Scope, TokenRequest, TokenResponse};

use crate::clock::saturating_add as add;
use crate::server::AppState;
use crate::stats::Counter;

/// An OAuth 2.0 error (RFC 6749 § 5.2), which the token endpoint answers instead of a
/// `FAIL` envelope.
#[derive(Debug, Serialize)]
struct OAuthError {
    error: &'static str,
    error_description: &'static str,
}

fn oauth_error(
    state: &AppState,
    status: StatusCode,
    error: &'static str,
    error_description: &'static str,
) -> Response {
    state.stats.bump(Counter::Errors);
    (
        status,
        Json(OAuthError {
            error,
            error_description,
        }),
    )
        .into_response()
}

/// Issues a token for the configured client credentials.
///
/// Refusals, as an OAuth server answers them: a malformed form or a missing field
/// `invalid_request` (400), wrong credentials `invalid_client` (401), a grant type other
/// than `client_credentials` `unsupported_grant_type` (400), a scope other than `ca`
/// `invalid_scope` (400).
pub(crate) async fn issue(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return oauth_error(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            super::UNREADABLE_BODY,
        );
    };
    let request = match TokenRequest::from_form(&body) {
        Ok(request) => request,
        Err(FormError::MissingField { .. }) => {
            return oauth_error(
                &state,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type, client_id, client_secret and scope are required",
            );
        }
        Err(_) => {
            return oauth_error(
                &state,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the form is malformed",
            );
        }
    };
    // Every client is compared, so that the time taken does not tell which id exists.
    let mut client = None;
    for (index, known) in state.clients.iter().enumerate() {
        let id_ok = constant_time_eq(request.client_id().as_bytes(), known.id.as_bytes());
        let secret_ok =
            constant_time_eq(request.client_secret().as_bytes(), known.secret.as_bytes());
        if id_ok & secret_ok {
            client = Some(index);
        }
    }
    let Some(client) = client else {
        return oauth_error(
            &state,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };
    if *request.grant_type() != GrantType::ClientCredentials {
        return oauth_error(
            &state,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    if *request.scope() != Scope::Ca {
        return oauth_error(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "only scope ca is supported",
        );
    }

    let now = state.now();
    let lifetime_secs = state.token_lifetime.as_secs();
    let expires_at = add(now, state.token_lifetime);
    let client_id = state
        .clients
        .get(client)
        .map_or("", |known| known.id.as_str());
    let Some(token) = make_token(
        &state,
        client_id,
        now.unix_timestamp(),
        expires_at.unix_timestamp(),
    ) else {
        return oauth_error(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the token could not be made",
        );
    };
    state.tokens.insert(token.clone(), client, expires_at, now);
    state.stats.bump(Counter::TokensIssued);
    Json(TokenResponse::new(token, lifetime_secs)).into_response()
}

/// A JWT-shaped token (`header.claims.mac`, HS256 under a key of this emulator) carrying
/// the claims the provider's tokens carry. Clients must treat it as opaque; the emulator
/// accepts only tokens it remembers issuing.
fn make_token(
    state: &AppState,
    client_id: &str,
    issued_at: i64,
    expires_at: i64,
) -> Option<String> {
    let mut jti = [0u8; 16];
    toss_crypto::backend::aws_lc::PROVIDER
        .secure_random
        .fill(&mut jti)
        .ok()?;
    let jti = uuid::Builder::from_random_bytes(jti).into_uuid();
    let header = serde_json::json!({"kid": "toss-emulator", "alg": "HS256"});
    let claims = serde_json::json!({
        "sub": client_id,
        "aud": client_id,
        "nbf": issued_at,
        "scope": ["ca"],
        "iss": state.base_url,
        "exp": expires_at,
        "iat": issued_at,
        "jti": jti.hyphenated().to_string(),
    });
    let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).ok()?);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(&claims).ok()?, &mut token);
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.token_key).ok()?;
    mac.update(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
    Some(token)
}

/// Compares without stopping at the first difference (the lengths may leak; they are not
/// secret here).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
