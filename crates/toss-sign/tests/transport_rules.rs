//! The transport's safety rules seen from the client: plain http base URLs to remote
//! hosts fail at construction (builder and `from_env`) unless explicitly allowed, and the
//! response body limit set on the builder reaches the built-in transport.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::error::Error as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use toss_model::TokenResponse;
use toss_sign::{Client, ClientBuilder, Environment, Error};
use toss_transport::TransportError;

fn builder(environment: Environment) -> ClientBuilder {
    support::choice::transport_choice(Client::builder())
        .client_id("test_client")
        .client_secret("test_secret_never_in_clear")
        .environment(environment)
        .public_key(support::public_key())
        .crypto_provider(support::crypto())
}

fn custom(oauth_base: &str, api_base: &str) -> Environment {
    Environment::Custom {
        oauth_base: oauth_base.into(),
        api_base: api_base.into(),
    }
}

fn config_message(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("built a client that sends in clear"),
    }
}

#[test]
fn cleartext_to_a_remote_host_fails_at_build() {
    for (environment, which) in [
        (
            custom("http://oauth2.cert.toss.im", "https://cert.toss.im"),
            "OAuth",
        ),
        (
            custom("https://oauth2.cert.toss.im", "http://cert.toss.im"),
            "API",
        ),
        (
            Environment::single_host("http://10.255.255.1:8080"),
            "OAuth",
        ),
        (Environment::single_host("http://example.invalid"), "OAuth"),
    ] {
        let message = config_message(builder(environment).build());
        assert!(
            message.starts_with(&format!("the {which} base URL is plain http")),
            "{message}"
        );
        assert!(message.contains("danger_allow_insecure_http"), "{message}");
        assert!(!message.contains("never_in_clear"), "{message}");
    }
}

#[test]
fn base_urls_that_are_not_http_fail_at_build() {
    for (environment, which) in [
        (
            custom("ftp://oauth2.cert.toss.im", "https://cert.toss.im"),
            "OAuth",
        ),
        (custom("https://oauth2.cert.toss.im", "cert.toss.im"), "API"),
        (custom("", "https://cert.toss.im"), "OAuth"),
    ] {
        let message = config_message(builder(environment).build());
        assert!(
            message.starts_with(&format!("the {which} base URL ")),
            "{message}"
        );
        assert!(
            !message.contains("toss.im"),
            "the URL is not repeated: {message}"
        );
    }
}

#[test]
fn a_tsa_url_may_be_plain_http_to_any_host_but_must_be_http() {
    // Public requests (a digest out, a signed token back) may go over plain http.
    for url in [
        "http://tsa.example.com/tsa",
        "https://tsa.example.com",
        "http://127.0.0.1:9/tsa",
    ] {
        builder(Environment::Production)
            .tsa_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    for url in ["ftp://tsa.example.com", "tsa.example.com", "", "http://"] {
        let message = config_message(builder(Environment::Production).tsa_url(url).build());
        assert_eq!(message, "the TSA URL must be http(s)://host…", "{url}");
    }
}

#[test]
fn https_and_loopback_http_build() {
    for environment in [
        Environment::Production,
        custom("https://oauth2.cert.toss.im", "https://cert.toss.im"),
        Environment::single_host("http://127.0.0.1:8080"),
        Environment::single_host("http://[::1]:8080"),
        Environment::single_host("http://localhost:8080"),
    ] {
        builder(environment.clone())
            .build()
            .unwrap_or_else(|e| panic!("{environment:?}: {e}"));
    }
}

/// The opt-in lets the client build, and its calls go out to the cleartext URL: a
/// custom transport records the token request it was handed.
#[tokio::test]
async fn the_opt_in_permits_cleartext() {
    let provider = support::Provider::new();
    let client = builder(custom("http://oauth2.cert.toss.im", "http://cert.toss.im"))
        .danger_allow_insecure_http(true)
        .transport(provider.transport())
        .build()
        .unwrap();
    client.access_token().await.unwrap();
    let sent = provider.requests(support::TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].uri().to_string(),
        "http://oauth2.cert.toss.im/token"
    );
}

/// `TOSS_CERT_OAUTH_BASE=http://oauth2.cert.toss.im`, the misconfiguration that sent the
/// client secret in clear, now fails `Client::from_env`. The variables are set in a
/// child process (this test binary again), not in the shared test process.
#[test]
fn from_env_refuses_a_cleartext_oauth_base() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "from_env_in_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("TOSS_CERT_CHILD_FROM_ENV", "1")
        .env("TOSS_CERT_CLIENT_ID", "test_client")
        .env("TOSS_CERT_CLIENT_SECRET", "test_secret_never_in_clear")
        .env("TOSS_CERT_OAUTH_BASE", "http://oauth2.cert.toss.im")
        .env("TOSS_CERT_API_BASE", "https://cert.toss.im")
        .env_remove("TOSS_CERT_PUBLIC_KEY")
        .env_remove("TOSS_CERT_TRUST_ANCHORS")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().ok();
            child.wait().ok();
            panic!("the child process did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let message = stdout
        .lines()
        .find_map(|line| line.split_once("from_env error: ").map(|(_, m)| m))
        .unwrap_or_else(|| panic!("no report in {stdout}"));
    assert!(
        message.starts_with("invalid configuration: the OAuth base URL is plain http"),
        "{message}"
    );
    assert!(!message.contains("never_in_clear"), "{message}");
}

#[test]
#[ignore = "run in a child process by from_env_refuses_a_cleartext_oauth_base"]
fn from_env_in_child_process() {
    assert_eq!(
        std::env::var("TOSS_CERT_CHILD_FROM_ENV").as_deref(),
        Ok("1")
    );
    // With both crypto backends compiled in, from_env's build would stop at the provider
    // choice first; the builder it fills is what is checked.
    let error = support::choice::transport_choice(ClientBuilder::from_env().unwrap())
        .crypto_provider(support::crypto())
        .build()
        .expect_err("from_env must refuse the cleartext OAuth base");
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    println!("\nfrom_env error: {error}");
}

/// A `/token` endpoint on 127.0.0.1 that answers with a valid token padded to
/// `size` bytes.
async fn padded_token_server(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut body = serde_json::to_string(&TokenResponse::new("token-1", 3600)).unwrap();
    assert!(body.len() < size);
    body.push_str(&" ".repeat(size - body.len()));
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let length = String::from_utf8_lossy(&head)
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                let mut request_body = vec![0u8; length];
                socket.read_exact(&mut request_body).await.ok();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.ok();
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_builder_limit_caps_response_bodies() {
    let addr = padded_token_server(2000).await;
    let environment = Environment::single_host(format!("http://{addr}"));

    let capped = builder(environment.clone())
        .max_response_body(1000)
        .build()
        .unwrap();
    let error = capped.access_token().await.unwrap_err();
    let Error::Transport {
        may_have_been_sent, ..
    } = &error
    else {
        panic!("expected a transport error, got {error:?}");
    };
    assert!(*may_have_been_sent);
    let source = error
        .source()
        .and_then(|s| s.downcast_ref::<TransportError>())
        .expect("the transport's error as source");
    assert!(source.is_body_too_large(), "{source:?}");
    assert_eq!(
        source.to_string(),
        "response body exceeds 1000 bytes (the server may have received it)"
    );

    // The default (1 MiB) reads the same answer.
    let default = builder(environment).build().unwrap();
    let token = default.access_token().await.unwrap();
    assert_eq!(token.expose_secret(), "token-1");
}
