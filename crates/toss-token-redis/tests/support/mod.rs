//! A private `redis-server` per test, and a scripted provider whose `/token` counts
//! the tokens it issues.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use toss_sign::{Client, Environment, RetryPolicy, TokenStore};
use toss_token_redis::RedisTokenStore;
use toss_transport::http::StatusCode;
use toss_transport::test_util::{FnTransport, transport_fn};
use toss_transport::{HttpResponse, TransportError};

/// The server binary; `REDIS_SERVER` overrides it.
fn redis_server_binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

/// A `redis-server` child process on a free port of 127.0.0.1, without persistence,
/// killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts a server and waits until it answers `PING`.
    pub fn start() -> Self {
        // The free port may be taken between probing and binding: try a few.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_on(port) {
                Ok(child) => return Self { child, port },
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-server: {last_error}");
    }

    /// Kills the server (SIGKILL): its connections are reset, new ones refused.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a new, empty server on the same port (after [`kill`](Self::kill)).
    pub fn restart(&mut self) {
        self.kill();
        let mut last_error = String::new();
        // The port is ours again once the old process is gone; allow a few tries.
        for _ in 0..5 {
            match spawn_on(self.port) {
                Ok(child) => {
                    self.child = child;
                    return;
                }
                Err(e) => last_error = e,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "could not restart redis-server on port {}: {last_error}",
            self.port
        );
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A store on this server.
    pub async fn store(&self, namespace: &str) -> RedisTokenStore {
        RedisTokenStore::builder(self.url())
            .namespace(namespace)
            .connect()
            .await
            .unwrap()
    }

    /// A plain connection, to look at and tamper with the keys.
    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing is answered.
    pub fn freeze(&self) {
        signal(&self.child, "-STOP");
    }

    /// Resumes a frozen server (SIGCONT).
    pub fn thaw(&self) {
        signal(&self.child, "-CONT");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A frozen server ignores SIGTERM but not SIGKILL, which `kill` sends.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} failed");
}

/// A `redis-server` on `port`, once it answers `PING`.
fn spawn_on(port: u16) -> Result<Child, String> {
    let mut child = Command::new(redis_server_binary())
        .args(["--port", &port.to_string()])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .args(["--bind", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{}` (install redis-server or set REDIS_SERVER): {e}",
                redis_server_binary()
            )
        });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if ping(port) {
            return Ok(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server exited: {status}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("redis-server did not answer PING within 10 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `INFO commandstats`: calls per command name, as counted by the server.
pub async fn command_calls(
    connection: &mut redis::aio::MultiplexedConnection,
) -> BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(connection)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

/// A namespace no other test uses.
pub fn namespace(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Loopback, which the client lets go out over plain http; the scripted transport answers
/// it without a socket.
pub const BASE: &str = "http://127.0.0.1:9";
pub const TOKEN: &str = <toss_model::IssueToken as toss_model::Endpoint>::OPERATION.path();
pub const STATUS: &str = <toss_model::esign::GetStatus as toss_model::Endpoint>::OPERATION.path();

/// A provider that issues `token-<n>` after `token_delay` and answers every status
/// call `REQUESTED`, shared by every client built on it.
#[derive(Debug, Clone)]
pub struct Provider {
    tokens: Arc<AtomicUsize>,
    status_calls: Arc<AtomicUsize>,
    bearers: Arc<Mutex<BTreeSet<String>>>,
    refused: Arc<Mutex<Option<String>>>,
    token_delay: Duration,
}

impl Provider {
    pub fn new(token_delay: Duration) -> Self {
        Self {
            tokens: Arc::default(),
            status_calls: Arc::default(),
            bearers: Arc::default(),
            refused: Arc::default(),
            token_delay,
        }
    }

    pub fn tokens_issued(&self) -> usize {
        self.tokens.load(Ordering::SeqCst)
    }

    pub fn status_calls(&self) -> usize {
        self.status_calls.load(Ordering::SeqCst)
    }

    /// From now on, refuses status calls made with `token` (HTTP 401, `CE1000`), as the
    /// provider does with a revoked or expired token.
    pub fn refuse(&self, token: &str) {
        *self.refused.lock().unwrap() = Some(format!("Bearer {token}"));
    }

    /// The distinct `Authorization` headers of the status calls.
    pub fn bearers(&self) -> BTreeSet<String> {
        self.bearers.lock().unwrap().clone()
    }

    pub fn transport(&self) -> FnTransport {
        let provider = self.clone();
        transport_fn(move |request| {
            let provider = provider.clone();
            async move {
                match request.uri().path() {
                    TOKEN => {
                        tokio::time::sleep(provider.token_delay).await;
                        let n = provider.tokens.fetch_add(1, Ordering::SeqCst) + 1;
                        Ok(json(&format!(
                            r#"{{"access_token":"token-{n}","scope":"ca","token_type":"Bearer","expires_in":3600}}"#
                        )))
                    }
                    STATUS => {
                        provider.status_calls.fetch_add(1, Ordering::SeqCst);
                        let bearer = request
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        provider.bearers.lock().unwrap().insert(bearer.clone());
                        if provider.refused.lock().unwrap().as_deref() == Some(bearer.as_str()) {
                            return Ok(HttpResponse::new(StatusCode::UNAUTHORIZED).with_body(
                                r#"{"resultType":"FAIL","error":{"errorType":0,"errorCode":"CE1000","reason":"expired token"},"success":null}"#,
                            ));
                        }
                        Ok(json(
                            r#"{"resultType":"SUCCESS","success":{"txId":"tx-1","status":"REQUESTED","requestedDt":"2026-11-25T09:00:00+09:00"}}"#,
                        ))
                    }
                    other => Err(TransportError::other(format!("unexpected path {other}"))),
                }
            }
        })
    }

    /// A client (one "process") on this provider with `store`.
    pub fn client(&self, store: Arc<dyn TokenStore>, lock_ttl: Duration) -> Client {
        Client::builder()
            .client_id("test_client")
            .client_secret("test_secret")
            .environment(Environment::single_host(BASE))
            .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
            .transport(self.transport())
            .retry_policy(
                RetryPolicy::builder()
                    .initial_backoff(Duration::from_millis(1))
                    .max_backoff(Duration::from_millis(5))
                    .build(),
            )
            .token_store(store)
            .token_lock_ttl(lock_ttl)
            .build()
            .unwrap()
    }
}

fn json(body: &str) -> HttpResponse {
    HttpResponse::new(StatusCode::OK).with_body(body.to_owned())
}
