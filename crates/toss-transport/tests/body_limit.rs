//! A hostile server streams 1 GiB; each backend refuses it while its memory stays small.
//!
//! The server runs here, on 127.0.0.1; the client runs in a child process (this test
//! binary again, with only [`client_in_child_process`] selected), so that the peak
//! resident set it reports (`VmHWM`) is the client's alone, not the server's or that of
//! tests running alongside.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use toss_transport::{
    DEFAULT_MAX_RESPONSE_BODY, HttpRequest, HttpTransport, HyperTransport, Proxy, ReqwestTransport,
    SharedHttpTransport, TransportSettings,
};

/// What the child is to do: `<backend> <url> <max_response_body>`.
const CHILD_ENV: &str = "TOSS_TRANSPORT_BODY_LIMIT_CHILD";
const GIB: u64 = 1 << 30;
/// The bound the client's peak RSS must stay under: 64 MB.
const RSS_LIMIT_KB: u64 = 64_000_000 / 1024;
/// How long a child may run before it is killed and the test fails.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
enum Framing {
    ContentLength,
    Chunked,
}

/// A server that answers every request with `total` bytes, framed as asked, written as
/// fast as the client takes them; returns its address and the body bytes written.
async fn streaming_server(framing: Framing, total: u64) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = match framing {
                    Framing::ContentLength => {
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {total}\r\n\r\n")
                    }
                    Framing::Chunked => {
                        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
                    }
                };
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let data = vec![b'z'; 64 * 1024];
                let mut left = total;
                while left > 0 {
                    let n = usize::try_from(left.min(data.len() as u64)).unwrap();
                    let sent = match framing {
                        Framing::ContentLength => socket.write_all(&data[..n]).await,
                        Framing::Chunked => {
                            let mut chunk = format!("{n:x}\r\n").into_bytes();
                            chunk.extend_from_slice(&data[..n]);
                            chunk.extend_from_slice(b"\r\n");
                            socket.write_all(&chunk).await
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                    left -= n as u64;
                }
                if let Framing::Chunked = framing {
                    socket.write_all(b"0\r\n\r\n").await.ok();
                }
            });
        }
    });
    (addr, written)
}

/// What the child reported.
#[derive(Debug)]
struct ChildReport {
    outcome: String,
    vmhwm_kb: u64,
}

/// Runs the client half in a child process against `url` and waits for its report.
fn run_child(backend: &str, url: &str, limit: usize) -> ChildReport {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "client_in_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{backend} {url} {limit}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHILD_DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("the client process ran past {CHILD_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success(), "client process failed: {stdout}");
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.split_once(name).map(|(_, value)| value))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_owned()
    };
    ChildReport {
        outcome: field("outcome="),
        vmhwm_kb: field("vmhwm_kb=").parse().unwrap(),
    }
}

async fn a_gib_is_refused_in_bounded_memory(backend: &'static str, framing: Framing) {
    let (addr, written) = streaming_server(framing, GIB).await;
    let url = format!("http://{addr}/result");
    let report =
        tokio::task::spawn_blocking(move || run_child(backend, &url, DEFAULT_MAX_RESPONSE_BODY))
            .await
            .unwrap();
    eprintln!(
        "{backend} {framing:?}: {report:?}, server wrote {} bytes",
        written.load(Ordering::SeqCst)
    );
    assert_eq!(
        report.outcome,
        "body_too_large: response body exceeds 1048576 bytes (the server may have received it)",
        "{backend} {framing:?}"
    );
    assert!(
        report.vmhwm_kb < RSS_LIMIT_KB,
        "{backend} {framing:?}: peak RSS {} kB",
        report.vmhwm_kb
    );
    // Reading stopped at the limit: the rest of the gigabyte was never accepted (what
    // the server got out is what the socket buffers took before the client closed).
    assert!(written.load(Ordering::SeqCst) < 64 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_refuses_a_gib_with_content_length() {
    a_gib_is_refused_in_bounded_memory("reqwest", Framing::ContentLength).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_refuses_a_chunked_gib() {
    a_gib_is_refused_in_bounded_memory("reqwest", Framing::Chunked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_refuses_a_gib_with_content_length() {
    a_gib_is_refused_in_bounded_memory("hyper", Framing::ContentLength).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_refuses_a_chunked_gib() {
    a_gib_is_refused_in_bounded_memory("hyper", Framing::Chunked).await;
}

/// The measurement itself: with the limit raised above a 128 MiB body, the same child
/// reads it whole and its peak RSS shows it, so the bound above is not met by accident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_measurement_sees_a_body_that_is_read() {
    const BODY: u64 = 128 << 20;
    let (addr, _) = streaming_server(Framing::Chunked, BODY).await;
    let url = format!("http://{addr}/result");
    let report = tokio::task::spawn_blocking(move || run_child("hyper", &url, 256 << 20))
        .await
        .unwrap();
    eprintln!("hyper, limit 256 MiB, 128 MiB body: {report:?}");
    assert_eq!(report.outcome, format!("ok {BODY}"));
    assert!(report.vmhwm_kb > BODY / 1024, "{report:?}");
}

/// The client half, run by the tests above in a child process: one GET, then the
/// outcome and the process's peak RSS on stdout.
#[test]
#[ignore = "run in a child process by the tests of this file"]
fn client_in_child_process() {
    let spec = std::env::var(CHILD_ENV).expect("run by the tests of this file");
    let mut parts = spec.split(' ');
    let (backend, url, limit) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let settings = TransportSettings::builder()
        .tls_provider(support::tls())
        .proxy(Proxy::none())
        .request_timeout(Duration::from_secs(30))
        .max_response_body(limit)
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let transport = match backend {
            "reqwest" => SharedHttpTransport::new(ReqwestTransport::new(&settings).unwrap()),
            "hyper" => SharedHttpTransport::new(HyperTransport::new(&settings).unwrap()),
            other => panic!("unknown backend {other}"),
        };
        let request = HttpRequest::get(url).build().unwrap();
        match transport.send(request).await {
            Ok(response) => format!("ok {}", response.body().len()),
            Err(error) if error.is_body_too_large() => format!("body_too_large: {error}"),
            Err(error) => format!("other error: {error:?}"),
        }
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let vmhwm_kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .map(|kb| kb.trim().parse::<u64>().unwrap())
        .expect("VmHWM in /proc/self/status");
    // On lines of their own: the harness prints the test's name before them.
    println!("\noutcome={outcome}");
    println!("vmhwm_kb={vmhwm_kb}");
}
