//! The Toss app screen over real HTTP: the app links lead to it, 서명하기 and 취소 move the
//! transaction and return to the service's callbacks, the document is shown safely, and
//! the inbox lists a signer's push requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use support::*;
use toss_emulator::UserBehaviour;
use toss_model::DocType;

/// GET `url` without following redirects: status, Location and body.
async fn get(
    url: &str,
) -> (
    StatusCode,
    Option<String>,
    String,
    reqwest::header::HeaderMap,
) {
    let response = no_redirects().get(url).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let location = headers
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap(), headers)
}

/// Presses a button of the screen: `sign` or `cancel`.
async fn press(env: &Env, tx_id: &str, action: &str) -> (StatusCode, Option<String>, String) {
    let response = no_redirects()
        .post(env.url(&format!("/app/sign/{tx_id}")))
        .form(&[("action", action)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

#[tokio::test]
async fn the_app_links_lead_to_the_screen_and_signing_returns_to_the_service() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let (status, answer) = env
        .post(REQUEST, &token, &env.app_request(DocType::Text, DOC))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let tx_id = answer["success"]["txId"].as_str().unwrap().to_owned();
    let ios = answer["success"]["iosAppUri"].as_str().unwrap();
    let android = answer["success"]["androidAppUri"].as_str().unwrap();
    let scheme = answer["success"]["appScheme"].as_str().unwrap();
    assert!(
        scheme.starts_with("supertoss://toss-cert/v2/sign/doc?txId="),
        "{scheme}"
    );
    assert!(
        ios.starts_with(&env.url("/ul?scheme=supertoss%3A%2F%2F")),
        "{ios}"
    );
    assert!(
        android.starts_with("intent://toss-cert/v2/sign/doc?txId="),
        "{android}"
    );
    assert!(android.contains("S.browser_fallback_url=http"), "{android}");

    // The universal link opens the screen, which opens the request.
    let (status, location, _, _) = get(ios).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let screen = env.url(location.as_deref().unwrap());
    assert_eq!(screen, env.emulator.app_sign_url(&tx_id));
    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");
    let (status, _, page, headers) = get(&screen).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        !csp.contains("script-src"),
        "no script source is allowed: {csp}"
    );
    for shown in [
        "토스증권",
        "계좌 개설 동의서",
        DOC,
        "홍*동",
        "서명하기",
        "취소",
        "남은 시간",
    ] {
        assert!(page.contains(shown), "{shown} missing from the screen");
    }
    assert!(!page.contains(NAME), "the full name is not shown");
    assert_eq!(env.status(&token, &tx_id).await, "IN_PROGRESS");

    // 서명하기: completed, back to the successCallbackUrl, and the result is there.
    let (status, location, _) = press(&env, &tx_id, "sign").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(SUCCESS_URL));
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");
    let (status, result, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["resultType"], "SUCCESS", "{result}");

    // Signed: the screen says so and offers nothing more; a second press from a stale
    // screen changes nothing and returns to the service again; cancelling is refused.
    let (_, _, page, _) = get(&screen).await;
    assert!(page.contains("서명을 완료했어요"), "{page}");
    assert!(!page.contains("id=\"sign\""));
    let (status, location, _) = press(&env, &tx_id, "sign").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(SUCCESS_URL));
    let (status, location, _) = press(&env, &tx_id, "cancel").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(location, None);
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");
}

#[tokio::test]
async fn cancelling_returns_to_the_fail_callback_and_the_request_is_never_signed() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let tx_id = env.sign(&token, &env.app_request(DocType::Text, DOC)).await;
    let (status, location, _) = press(&env, &tx_id, "cancel").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(FAIL_URL));
    // The provider has no declined status: opened, unsigned, until it expires.
    assert_eq!(env.status(&token, &tx_id).await, "IN_PROGRESS");
    let (_, result, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&result), "CE3102");
    let (status, _, page) = press(&env, &tx_id, "sign").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("서명을 취소했어요"), "{page}");
    assert!(env.emulator.complete(&tx_id).is_err());
    let (status, _, _) = press(&env, &tx_id, "dance").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    env.advance(Duration::from_secs(301));
    assert_eq!(env.status(&token, &tx_id).await, "EXPIRED");
}

#[tokio::test]
async fn an_expired_request_cannot_be_signed_from_a_screen_opened_before() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let tx_id = env.sign(&token, &env.app_request(DocType::Text, DOC)).await;
    let (_, _, page, _) = get(&env.emulator.app_sign_url(&tx_id)).await;
    assert!(page.contains("id=\"sign\""));
    env.advance(Duration::from_secs(300));
    let (status, location, page) = press(&env, &tx_id, "sign").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(location, None, "no callback for an expired request");
    assert!(page.contains("만료"), "{page}");
    assert!(!page.contains("id=\"sign\""));
    assert_eq!(env.status(&token, &tx_id).await, "EXPIRED");

    let (status, _, page, _) = get(&env.emulator.app_sign_url("no-such-tx")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("존재하지 않는 요청"), "{page}");
    // A universal link without a txId, or with something else in its place, leads nowhere.
    for scheme in [
        "",
        "?scheme=supertoss%3A%2F%2Fx",
        "?scheme=x%3FtxId%3D%3Cb%3E",
    ] {
        let (status, location, _, _) = get(&env.url(&format!("/ul{scheme}"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{scheme}");
        assert_eq!(location, None);
    }
    // A press without a form is refused and moves nothing.
    let response = no_redirects()
        .post(env.emulator.app_sign_url(&tx_id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_html_document_is_sanitised_and_text_is_escaped() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let html = "<p>계좌 개설에 <b>동의</b>합니다.</p><script>document.title='pwned'</script>\
                <img src=x onerror=\"document.title='pwned'\"><a href=\"javascript:alert(1)\">링크</a>";
    let tx_id = env
        .sign(&token, &env.app_request(DocType::Html, html))
        .await;
    let (_, _, page, _) = get(&env.emulator.app_sign_url(&tx_id)).await;
    assert!(page.contains("<b>동의</b>"), "{page}");
    for removed in ["<script", "onerror", "javascript:", "pwned"] {
        assert!(!page.contains(removed), "{removed} survived: {page}");
    }

    let tx_id = env
        .sign(
            &token,
            &env.app_request(DocType::Text, "<script>alert(1)</script>"),
        )
        .await;
    let (_, _, page, _) = get(&env.emulator.app_sign_url(&tx_id)).await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
}

#[tokio::test]
async fn the_inbox_lists_a_signers_pending_push_requests() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let (push, _) = env.personal_request();
    let pushed = env.sign(&token, &push).await;
    // App-scheme requests are opened through their links, not pushed.
    env.sign(&token, &env.app_request(DocType::Text, DOC)).await;

    let inbox = |phone: &'static str| {
        let env = &env;
        async move {
            let response = env
                .http
                .post(env.emulator.app_inbox_url())
                .form(&[("phone", phone)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    let page = inbox("010-1234-5678").await;
    assert!(page.contains(&format!("/app/sign/{pushed}")), "{page}");
    assert_eq!(page.matches("/app/sign/").count(), 1, "{page}");
    assert!(
        inbox("01099998888")
            .await
            .contains("기다리는 요청이 없어요")
    );

    env.emulator.complete(&pushed).unwrap();
    assert!(inbox(PHONE).await.contains("기다리는 요청이 없어요"));

    let form = env
        .http
        .get(env.emulator.app_inbox_url())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("name=\"phone\""));
}
