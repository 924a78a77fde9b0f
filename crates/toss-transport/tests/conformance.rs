//! One suite, both backends: each case runs against reqwest and hyper, talking to real
//! servers on 127.0.0.1 spawned by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use toss_transport::http::StatusCode;
use toss_transport::{
    HttpRequest, HttpTransport, HyperTransport, Proxy, ReqwestTransport, SharedHttpTransport,
    TransportSettings,
};

use support::Misbehaviour;

type Make = fn(TransportSettings) -> SharedHttpTransport;

fn settings() -> toss_transport::TransportSettingsBuilder {
    TransportSettings::builder()
        .tls_provider(support::tls())
        .proxy(Proxy::none())
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(5))
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

async fn json_body_and_headers(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().build());
    let request = HttpRequest::post(&format!("http://{addr}/echo"))
        .bearer_auth("secret-token")
        .header("x-test", "hello")
        .json(r#"{"name":"홍길동"}"#)
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-echo"], "yes");
    let echoed = json(response.body());
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["contentType"], "application/json");
    assert_eq!(echoed["authorization"], "Bearer secret-token");
    assert_eq!(echoed["xTest"], "hello");
    assert_eq!(echoed["body"], r#"{"name":"홍길동"}"#);
    let user_agent = echoed["userAgent"].as_str().unwrap();
    assert_eq!(
        user_agent,
        format!("toss-cert-rs/{}", env!("CARGO_PKG_VERSION"))
    );
}

async fn form_body(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().build());
    let request = HttpRequest::post(&format!("http://{addr}/echo"))
        .form("grant_type=client_credentials&scope=ca")
        .build()
        .unwrap();
    let echoed = json(transport.send(request).await.unwrap().body());
    assert_eq!(echoed["contentType"], "application/x-www-form-urlencoded");
    assert_eq!(echoed["body"], "grant_type=client_credentials&scope=ca");
}

async fn status_codes_are_responses(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().build());
    for code in [201, 400, 401, 404, 429, 500, 502, 503] {
        let request = HttpRequest::get(&format!("http://{addr}/status/{code}"))
            .build()
            .unwrap();
        let response = transport.send(request).await.unwrap();
        assert_eq!(response.status().as_u16(), code);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(&response.body()[..], format!("status {code}").as_bytes());
    }
}

async fn request_timeout(make: Make) {
    let addr = support::http_server().await;
    let transport = make(
        settings()
            .request_timeout(Duration::from_millis(200))
            .build(),
    );
    let request = HttpRequest::get(&format!("http://{addr}/slow/5000"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.may_have_been_sent());
}

async fn per_request_timeout_overrides(make: Make) {
    let addr = support::http_server().await;
    let transport = make(
        settings()
            .request_timeout(Duration::from_millis(50))
            .build(),
    );
    let request = HttpRequest::get(&format!("http://{addr}/slow/200"))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(&response.body()[..], b"finally");
}

async fn silent_server_times_out(make: Make) {
    let (addr, _) = support::raw_server(Misbehaviour::Silent).await;
    let transport = make(
        settings()
            .request_timeout(Duration::from_millis(200))
            .build(),
    );
    let request = HttpRequest::post(&format!("http://{addr}/x"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.may_have_been_sent());
}

async fn connection_refused(make: Make) {
    let addr = support::closed_port().await;
    let transport = make(settings().build());
    let request = HttpRequest::post(&format!("http://{addr}/x"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(error.never_connected());
}

async fn reset_mid_response(make: Make) {
    let (addr, _) = support::raw_server(Misbehaviour::ResetMidBody).await;
    let transport = make(settings().build());
    let request = HttpRequest::get(&format!("http://{addr}/x"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_io(), "{error:?}");
    assert!(error.may_have_been_sent());
}

async fn slow_body_within_the_timeout(make: Make) {
    let how = Misbehaviour::Trickle {
        chunks: 5,
        every: Duration::from_millis(40),
    };
    let (addr, _) = support::raw_server(how).await;
    let transport = make(settings().build());
    let request = HttpRequest::get(&format!("http://{addr}/x"))
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.body().len(), 50);
}

async fn slow_body_past_the_timeout(make: Make) {
    let how = Misbehaviour::Trickle {
        chunks: 50,
        every: Duration::from_millis(40),
    };
    let (addr, _) = support::raw_server(how).await;
    let transport = make(
        settings()
            .request_timeout(Duration::from_millis(300))
            .build(),
    );
    let request = HttpRequest::get(&format!("http://{addr}/x"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.may_have_been_sent());
}

async fn through_a_proxy_with_pooled_connections(make: Make) {
    let addr = support::http_server().await;
    let (proxy, accepted, lines) = support::proxy().await;
    let transport = make(
        settings()
            .proxy(Proxy::url(format!("http://{proxy}")))
            .build(),
    );
    for _ in 0..3 {
        let request = HttpRequest::post(&format!("http://{addr}/echo"))
            .json("{}")
            .build()
            .unwrap();
        let response = transport.send(request).await.unwrap();
        assert_eq!(json(response.body())["path"], "/echo");
    }
    // Keep-alive: three requests, one connection to the proxy.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let first = lines.lock().unwrap()[0].clone();
    assert!(first.contains(&addr.port().to_string()), "{first}");
}

/// Within a second: the refusal comes before any DNS lookup or connection, which for
/// these hosts would fail slowly or differently (a DNS error, a connect timeout).
const REFUSED_WITHIN: Duration = Duration::from_secs(1);

async fn cleartext_to_remote_hosts_is_refused_unsent(make: Make) {
    let (proxy, accepted, _) = support::proxy().await;
    let direct = make(settings().build());
    // Through a proxy every request would reach the proxy's listener, whatever its host:
    // an accepted connection there would be a byte that left.
    let proxied = make(
        settings()
            .proxy(Proxy::url(format!("http://{proxy}")))
            .build(),
    );
    for transport in [&direct, &proxied] {
        for url in [
            "http://example.invalid/token",
            "http://10.255.255.1/token",
            "http://oauth2.cert.toss.im/token",
        ] {
            let request = HttpRequest::post(url)
                .form("client_secret=never-in-clear")
                .build()
                .unwrap();
            let error = tokio::time::timeout(REFUSED_WITHIN, transport.send(request))
                .await
                .expect("refused at once")
                .unwrap_err();
            assert!(error.is_cleartext_refused(), "{url}: {error:?}");
            assert!(
                !error.is_connect() && !error.is_timeout(),
                "{url}: {error:?}"
            );
            assert!(error.never_connected(), "{url}");
            assert!(!error.to_string().contains("never-in-clear"));
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "a connection was made");
}

async fn the_opt_in_lets_cleartext_through(make: Make) {
    let (proxy, accepted, lines) = support::proxy().await;
    let transport = make(
        settings()
            .proxy(Proxy::url(format!("http://{proxy}")))
            .request_timeout(Duration::from_millis(500))
            .danger_allow_insecure_http(true)
            .build(),
    );
    let request = HttpRequest::get("http://example.invalid/x")
        .build()
        .unwrap();
    // The proxy cannot reach example.invalid; what matters is that the request left.
    let error = transport.send(request).await.unwrap_err();
    assert!(!error.is_cleartext_refused(), "{error:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let first = lines.lock().unwrap()[0].clone();
    assert!(first.contains("example.invalid"), "{first}");
}

async fn cleartext_to_loopback_works(make: Make) {
    let v4 = support::http_server().await;
    let v6 = support::http_server_at("[::1]:0").await;
    let transport = make(settings().build());
    for url in [
        format!("http://127.0.0.1:{}/echo", v4.port()),
        format!("http://localhost:{}/echo", v4.port()),
        format!("http://[::1]:{}/echo", v6.port()),
    ] {
        let request = HttpRequest::get(&url).build().unwrap();
        let response = transport.send(request).await.unwrap();
        assert_eq!(json(response.body())["path"], "/echo", "{url}");
    }
}

async fn redirects_are_returned_not_followed(make: Make) {
    let addr = support::http_server().await;
    let (elsewhere, visits) = support::raw_server(Misbehaviour::Silent).await;
    let transport = make(settings().build());
    let location = format!("http://{elsewhere}/echo");
    let request = HttpRequest::post(&format!("http://{addr}/redirect"))
        .header("x-location", &location)
        .json("{}")
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], location.as_str());
    assert_eq!(&response.body()[..], b"moved");
    assert_eq!(
        visits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

async fn bodies_up_to_the_limit_are_read(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().max_response_body(1000).build());
    let at_limit = HttpRequest::get(&format!("http://{addr}/bytes/1000"))
        .build()
        .unwrap();
    assert_eq!(transport.send(at_limit).await.unwrap().body().len(), 1000);
    let (chunked, _) = support::raw_server(Misbehaviour::Chunked {
        bytes: 1000,
        stall: false,
    })
    .await;
    let request = HttpRequest::get(&format!("http://{chunked}/"))
        .build()
        .unwrap();
    assert_eq!(transport.send(request).await.unwrap().body().len(), 1000);
}

async fn bodies_over_the_limit_are_refused(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().max_response_body(1000).build());
    let request = HttpRequest::get(&format!("http://{addr}/bytes/1001"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_body_too_large(), "{error:?}");
    assert!(error.may_have_been_sent());
    assert_eq!(
        error.to_string(),
        "response body exceeds 1000 bytes (the server may have received it)"
    );
    let (chunked, _) = support::raw_server(Misbehaviour::Chunked {
        bytes: 1001,
        stall: false,
    })
    .await;
    let request = HttpRequest::get(&format!("http://{chunked}/"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_body_too_large(), "{error:?}");
}

async fn the_default_limit_is_one_mebibyte(make: Make) {
    let addr = support::http_server().await;
    let transport = make(settings().build());
    let request = HttpRequest::get(&format!("http://{addr}/bytes/1048576"))
        .build()
        .unwrap();
    assert_eq!(transport.send(request).await.unwrap().body().len(), 1 << 20);
    let request = HttpRequest::get(&format!("http://{addr}/bytes/1048577"))
        .build()
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(error.is_body_too_large(), "{error:?}");
    assert!(error.to_string().contains("1048576 bytes"), "{error}");
}

/// A body announced too long is refused from its `Content-Length`, without waiting
/// for a byte of it; one without a length as soon as the count passes the limit. Both
/// servers then stall, so reading on would end in the request timeout instead.
async fn oversized_bodies_are_refused_without_reading_on(make: Make) {
    let transport = make(
        settings()
            .max_response_body(1000)
            .request_timeout(Duration::from_secs(3))
            .build(),
    );
    for how in [
        Misbehaviour::Announce { length: 1 << 30 },
        Misbehaviour::Chunked {
            bytes: 1001,
            stall: true,
        },
    ] {
        let (addr, _) = support::raw_server(how).await;
        let request = HttpRequest::get(&format!("http://{addr}/"))
            .build()
            .unwrap();
        let error = tokio::time::timeout(Duration::from_secs(1), transport.send(request))
            .await
            .expect("refused before the request timeout")
            .unwrap_err();
        assert!(error.is_body_too_large(), "{how:?}: {error:?}");
    }
}

macro_rules! conformance {
    ($($backend:ident => $make:expr;)*) => {$(
        mod $backend {
            use super::*;

            const MAKE: Make = $make;

            #[tokio::test]
            async fn json_body_and_headers() { super::json_body_and_headers(MAKE).await }
            #[tokio::test]
            async fn form_body() { super::form_body(MAKE).await }
            #[tokio::test]
            async fn status_codes_are_responses() { super::status_codes_are_responses(MAKE).await }
            #[tokio::test]
            async fn request_timeout() { super::request_timeout(MAKE).await }
            #[tokio::test]
            async fn per_request_timeout_overrides() { super::per_request_timeout_overrides(MAKE).await }
            #[tokio::test]
            async fn silent_server_times_out() { super::silent_server_times_out(MAKE).await }
            #[tokio::test]
            async fn connection_refused() { super::connection_refused(MAKE).await }
            #[tokio::test]
            async fn reset_mid_response() { super::reset_mid_response(MAKE).await }
            #[tokio::test]
            async fn slow_body_within_the_timeout() { super::slow_body_within_the_timeout(MAKE).await }
            #[tokio::test]
            async fn slow_body_past_the_timeout() { super::slow_body_past_the_timeout(MAKE).await }
            #[tokio::test]
            async fn through_a_proxy_with_pooled_connections() {
                super::through_a_proxy_with_pooled_connections(MAKE).await
            }
            #[tokio::test]
            async fn cleartext_to_remote_hosts_is_refused_unsent() {
                super::cleartext_to_remote_hosts_is_refused_unsent(MAKE).await
            }
            #[tokio::test]
            async fn the_opt_in_lets_cleartext_through() {
                super::the_opt_in_lets_cleartext_through(MAKE).await
            }
            #[tokio::test]
            async fn cleartext_to_loopback_works() { super::cleartext_to_loopback_works(MAKE).await }
            #[tokio::test]
            async fn redirects_are_returned_not_followed() {
                super::redirects_are_returned_not_followed(MAKE).await
            }
            #[tokio::test]
            async fn bodies_up_to_the_limit_are_read() {
                super::bodies_up_to_the_limit_are_read(MAKE).await
            }
            #[tokio::test]
            async fn bodies_over_the_limit_are_refused() {
                super::bodies_over_the_limit_are_refused(MAKE).await
            }
            #[tokio::test]
            async fn the_default_limit_is_one_mebibyte() {
                super::the_default_limit_is_one_mebibyte(MAKE).await
            }
            #[tokio::test]
            async fn oversized_bodies_are_refused_without_reading_on() {
                super::oversized_bodies_are_refused_without_reading_on(MAKE).await
            }
        }
    )*};
}

conformance! {
    reqwest => |settings| SharedHttpTransport::new(ReqwestTransport::new(&settings).unwrap());
    hyper => |settings| SharedHttpTransport::new(HyperTransport::new(&settings).unwrap());
}

#[test]
fn bad_proxy_urls_are_refused_at_build() {
    let settings = TransportSettings::builder()
        .tls_provider(support::tls())
        .proxy(Proxy::url("::not a url::"))
        .build();
    let error = ReqwestTransport::new(&settings).unwrap_err();
    assert!(error.is_user());
}

#[test]
fn building_a_backend_installs_nothing_process_wide() {
    let settings = settings().build();
    let _reqwest = ReqwestTransport::new(&settings).unwrap();
    let _hyper = HyperTransport::new(&settings).unwrap();
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "a library installed a process-wide rustls provider"
    );
}

#[test]
fn with_both_backends_compiled_in_the_settings_must_name_one() {
    let unnamed = settings().build();
    let error = toss_transport::default_transport(&unnamed).unwrap_err();
    assert!(error.is_user());
    let choice = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<toss_transport::ChoiceError>());
    assert_eq!(choice, Some(&toss_transport::ChoiceError::AmbiguousBackend));
    let named = settings()
        .backend(toss_transport::HttpBackend::Hyper)
        .build();
    assert!(toss_transport::default_transport(&named).is_ok());
}

#[cfg(all(feature = "aws-lc", feature = "ring"))]
#[test]
fn with_both_tls_providers_compiled_in_the_settings_must_name_one() {
    let unnamed = TransportSettings::builder().proxy(Proxy::none()).build();
    let error = ReqwestTransport::new(&unnamed).unwrap_err();
    let choice = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<toss_transport::ChoiceError>());
    assert_eq!(
        choice,
        Some(&toss_transport::ChoiceError::AmbiguousTlsProvider)
    );
    for provider in [
        toss_transport::TlsProvider::AwsLc,
        toss_transport::TlsProvider::Ring,
    ] {
        let named = TransportSettings::builder()
            .proxy(Proxy::none())
            .tls_provider(provider)
            .build();
        assert!(ReqwestTransport::new(&named).is_ok(), "{provider:?}");
        assert!(HyperTransport::new(&named).is_ok(), "{provider:?}");
    }
}
