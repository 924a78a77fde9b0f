//! Servers on 127.0.0.1 for the transport tests: an axum app for well-behaved HTTP, raw
//! sockets for misbehaviour (silence, trickling bodies, resets) and a small proxy.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The well-behaved server: `/echo` answers with what it received, `/status/{code}`
/// with that status, `/slow/{ms}` after a delay, `/bytes/{n}` with `n` bytes (and their
/// `Content-Length`), `/redirect` with a 302 to its `x-location` header.
pub async fn http_server() -> SocketAddr {
    http_server_at("127.0.0.1:0").await
}

/// [`http_server`] bound to `bind`, for example `[::1]:0`.
pub async fn http_server_at(bind: &str) -> SocketAddr {
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/status/{code}", any(status))
        .route("/slow/{ms}", get(slow))
        .route("/bytes/{n}", get(bytes))
        .route("/redirect", any(redirect));
    let listener = TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let json = format!(
        r#"{{"method":"{method}","path":"{}","contentType":"{}","userAgent":"{}","authorization":"{}","xTest":"{}","body":{}}}"#,
        uri.path(),
        header("content-type"),
        header("user-agent"),
        header("authorization"),
        header("x-test"),
        serde_json_string(&String::from_utf8_lossy(&body)),
    );
    (
        [("content-type", "application/json"), ("x-echo", "yes")],
        json,
    )
}

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

async fn status(Path(code): Path<u16>) -> impl IntoResponse {
    let status = StatusCode::from_u16(code).unwrap();
    (status, [("retry-after", "1")], format!("status {code}"))
}

async fn bytes(Path(n): Path<usize>) -> Vec<u8> {
    vec![b'x'; n]
}

async fn redirect(headers: HeaderMap) -> impl IntoResponse {
    let location = headers["x-location"].clone();
    (StatusCode::FOUND, [("location", location)], "moved")
}

async fn slow(Path(ms): Path<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "finally"
}

/// How a raw server misbehaves after reading the request head.
#[derive(Clone, Copy, Debug)]
pub enum Misbehaviour {
    /// Reads the request and never answers.
    Silent,
    /// Sends the head and a body of `chunks` × 10 bytes, one chunk every `every`.
    Trickle { chunks: usize, every: Duration },
    /// Sends the head, 10 of the announced 100 body bytes, then resets the connection.
    ResetMidBody,
    /// Sends a head announcing `length` body bytes, then nothing.
    Announce { length: u64 },
    /// Sends a chunked body (no `Content-Length`) of `bytes` bytes in 1000-byte chunks,
    /// then the last chunk, or nothing more when `stall`.
    Chunked { bytes: usize, stall: bool },
}

/// A raw HTTP/1.1 server that misbehaves in one way on every connection; returns its
/// address and a counter of accepted connections.
pub async fn raw_server(how: Misbehaviour) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                read_head(&mut socket).await;
                match how {
                    Misbehaviour::Silent => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Misbehaviour::Trickle { chunks, every } => {
                        let head =
                            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", chunks * 10);
                        socket.write_all(head.as_bytes()).await.ok();
                        for _ in 0..chunks {
                            tokio::time::sleep(every).await;
                            if socket.write_all(b"0123456789").await.is_err() {
                                return;
                            }
                        }
                    }
                    Misbehaviour::ResetMidBody => {
                        socket
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                            .await
                            .ok();
                        socket.flush().await.ok();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let std = socket.into_std().unwrap();
                        socket2::SockRef::from(&std)
                            .set_linger(Some(Duration::ZERO))
                            .ok();
                        drop(std);
                    }
                    Misbehaviour::Announce { length } => {
                        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n");
                        socket.write_all(head.as_bytes()).await.ok();
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Misbehaviour::Chunked { bytes, stall } => {
                        let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                        socket.write_all(head.as_bytes()).await.ok();
                        let mut left = bytes;
                        while left > 0 {
                            let n = left.min(1000);
                            let chunk = format!("{n:x}\r\n{}\r\n", "y".repeat(n));
                            if socket.write_all(chunk.as_bytes()).await.is_err() {
                                return;
                            }
                            left -= n;
                        }
                        if stall {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        } else {
                            socket.write_all(b"0\r\n\r\n").await.ok();
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

async fn read_head(socket: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}

/// An address on which nothing listens.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A forward proxy: `CONNECT host:port` opens a tunnel; an absolute-form request is
/// relayed to its origin. Returns its address, the connections accepted and the first
/// line of every request it saw.
pub async fn proxy() -> (
    SocketAddr,
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Vec<String>>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (counter, seen) = (accepted.clone(), lines.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = read_head(&mut client).await;
                let text = String::from_utf8_lossy(&head).to_string();
                let first = text.lines().next().unwrap_or("").to_owned();
                seen.lock().unwrap().push(first.clone());
                let mut parts = first.split_whitespace();
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if method == "CONNECT" {
                    let Ok(mut origin) = TcpStream::connect(target).await else {
                        return;
                    };
                    client
                        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        .await
                        .ok();
                    tokio::io::copy_bidirectional(&mut client, &mut origin)
                        .await
                        .ok();
                } else {
                    let uri: Uri = target.parse().unwrap();
                    let authority = uri.authority().unwrap().to_string();
                    let Ok(mut origin) = TcpStream::connect(authority).await else {
                        return;
                    };
                    origin.write_all(&head).await.ok();
                    tokio::io::copy_bidirectional(&mut client, &mut origin)
                        .await
                        .ok();
                }
            });
        }
    });
    (addr, accepted, lines)
}

/// The TLS provider the tests build transports with: the one compiled in, aws-lc when
/// both are (a feature alone never picks one, so the tests say which).
#[allow(unreachable_code)]
pub fn tls() -> toss_transport::TlsProvider {
    #[cfg(feature = "aws-lc")]
    return toss_transport::TlsProvider::AwsLc;
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    return toss_transport::TlsProvider::Ring;
    panic!("the tests that build a backend need the aws-lc or the ring feature")
}
