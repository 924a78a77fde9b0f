//! The emulator as a server under hostile or careless clients: idle connections, slowloris,
//! huge or stalled bodies, a connection cap. Raw TCP clients on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use toss_emulator::UserBehaviour;

use support::{REQUEST, STATUS, start_with};

/// Raises this process's soft limit on open files to the hard limit: the test holds both
/// ends of thousands of connections.
fn raise_open_file_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let Some(maximum) = limit.maximum {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            },
        );
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Reads until the server closes the connection (or resets it); what it sent before.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A token and a sign request, each answered within a second.
async fn healthy_calls(env: &support::Env) {
    let started = Instant::now();
    let token = timeout(Duration::from_secs(1), env.token())
        .await
        .expect("a token within 1 s");
    let (body, _) = env.personal_request();
    timeout(Duration::from_secs(1), env.sign(&token, &body))
        .await
        .expect("a sign request answered within 1 s");
    println!("healthy token + sign request in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_and_slowloris_do_not_starve_healthy_calls() {
    const IDLE: usize = 2000;
    const SLOWLORIS: usize = 4;
    const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
    let open_files = raise_open_file_limit();
    assert!(
        open_files > 2 * (IDLE + SLOWLORIS) as u64 + 200,
        "the test needs more open files than the limit of {open_files}"
    );

    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::Manual)
            .header_read_timeout(HEADER_TIMEOUT)
    })
    .await;
    let addr = env.emulator.local_addr();

    let started = Instant::now();
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    println!("{IDLE} idle connections open in {:?}", started.elapsed());

    // Slowloris: a request head, one byte a second, never finished.
    let slowloris_started = Instant::now();
    let slowloris: Vec<_> = (0..SLOWLORIS)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let head =
                    b"POST /api/v2/sign/doc/status HTTP/1.1\r\nHost: emulator\r\nX-Padding: ";
                let mut sent = 0usize;
                let mut byte = head.iter().copied().chain(std::iter::repeat(b'a'));
                // Bounded: far longer than the header timeout, in case it never fires.
                for _ in 0..30 {
                    let Some(next) = byte.next() else { break };
                    if stream.write_all(&[next]).await.is_err() {
                        break;
                    }
                    sent += 1;
                    let mut probe = [0u8; 256];
                    match timeout(Duration::from_secs(1), stream.read(&mut probe)).await {
                        // Closed (or answered, which it must not be): stop.
                        Ok(Ok(0) | Err(_)) => break,
                        Ok(Ok(n)) => panic!(
                            "a slowloris head was answered: {}",
                            String::from_utf8_lossy(&probe[..n])
                        ),
                        Err(_still_open) => {}
                    }
                }
                (sent, slowloris_started.elapsed())
            })
        })
        .collect();

    // While all of them are open, healthy clients are served promptly.
    tokio::time::sleep(Duration::from_millis(500)).await;
    healthy_calls(&env).await;
    healthy_calls(&env).await;
    assert!(
        started.elapsed() < HEADER_TIMEOUT,
        "the healthy calls must run while the idle connections are still open"
    );

    for task in slowloris {
        let (sent, closed_after) = task.await.unwrap();
        println!("slowloris sent {sent} bytes, closed after {closed_after:?}");
        assert!(
            closed_after < HEADER_TIMEOUT + Duration::from_secs(2),
            "a slowloris connection stayed open {closed_after:?}"
        );
    }

    // The idle connections were accepted and are closed by the server, not left open.
    let mut closed = 0;
    for mut stream in idle {
        let received = timeout(Duration::from_secs(5), read_until_closed(&mut stream))
            .await
            .expect("an idle connection is closed within the header timeout");
        // hyper closes a connection that sent nothing without a word.
        assert!(received.is_empty() || received.starts_with(b"HTTP/1.1 408"));
        closed += 1;
    }
    assert_eq!(closed, IDLE);
    println!("all closed {:?} after opening", started.elapsed());
    healthy_calls(&env).await;
}

/// Sends `head` (and nothing more) on a new connection; the answer's status line and
/// how long it took, reading until the server closes.
async fn answer_to(addr: SocketAddr, head: &[u8], limit: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    let started = Instant::now();
    let received = timeout(limit, read_until_closed(&mut stream))
        .await
        .expect("the server answers and closes in time");
    let text = String::from_utf8_lossy(&received).into_owned();
    let status_line = text.lines().next().unwrap_or("").to_owned();
    (status_line, started.elapsed())
}

#[tokio::test]
async fn a_claimed_gigabyte_body_is_refused_before_it_is_read() {
    let env = start_with(|builder| builder.body_limit(64 * 1024)).await;
    let token = env.token().await;
    let head = format!(
        "POST /api/v2/sign/doc/request HTTP/1.1\r\nHost: emulator\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000000000\r\n\r\n{{"
    );
    let (status, took) = answer_to(
        env.emulator.local_addr(),
        head.as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    println!("413 after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");

    // A body over the limit without a declared length is cut while streaming, on the
    // sign request as on a status call (whose body the request log reads first).
    for path in [REQUEST, STATUS] {
        let mut stream = TcpStream::connect(env.emulator.local_addr()).await.unwrap();
        let chunked = format!(
            "POST {path} HTTP/1.1\r\nHost: emulator\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        );
        stream.write_all(chunked.as_bytes()).await.unwrap();
        let chunk = vec![b' '; 16 * 1024];
        for _ in 0..8 {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&frame).await.is_err() {
                break;
            }
        }
        let received = timeout(Duration::from_secs(5), read_until_closed(&mut stream))
            .await
            .expect("answered and closed");
        let text = String::from_utf8_lossy(&received);
        // Without a declared length the limit shows only while the body is read, which
        // then fails: the emulator's 400 CE3000 for an unreadable body.
        assert!(text.starts_with("HTTP/1.1 400"), "{path}: {text:?}");
        assert!(text.contains("CE3000"), "{path}: {text}");
        assert!(
            text.contains("the request body could not be read"),
            "{path}: {text}"
        );
    }
}

#[tokio::test]
async fn the_concurrency_limit_is_shared_by_all_endpoints() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::Manual)
            .concurrency_limit(1)
            .request_timeout(Duration::from_secs(10))
    })
    .await;
    let addr = env.emulator.local_addr();
    let token = env.token().await;
    let (request, _) = env.personal_request();
    let body = serde_json::to_vec(&request).unwrap();
    let (sent_first, sent_later) = body.split_at(body.len() / 2);

    // A sign request whose body is half sent: its extractor is still reading, so it holds
    // the one slot.
    let mut first = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v2/sign/doc/request HTTP/1.1\r\nHost: emulator\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(sent_first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A token request, on another route, waits for that slot.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=ca",
        env.emulator.client_id(),
        env.emulator.client_secret()
    );
    let mut second = TcpStream::connect(addr).await.unwrap();
    let token_request = format!(
        "POST /token HTTP/1.1\r\nHost: emulator\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    second.write_all(token_request.as_bytes()).await.unwrap();
    let mut buffer = [0u8; 1024];
    let early = timeout(Duration::from_millis(500), second.read(&mut buffer)).await;
    assert!(
        early.is_err(),
        "a request on another route was answered while the only slot was taken: {:?}",
        // The status line only: the rest holds an access token.
        early.map(|read| read.map(|n| {
            let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
            text.lines().next().unwrap_or("").to_owned()
        }))
    );

    // Once the first request has its body and is answered, the second one is served.
    first.write_all(sent_later).await.unwrap();
    let answer = timeout(Duration::from_secs(5), read_until_closed(&mut first))
        .await
        .expect("the first request is answered once its body is complete");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let answer = timeout(Duration::from_secs(5), read_until_closed(&mut second))
        .await
        .expect("the token request is answered once the slot is free");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("access_token"), "{text}");
}

#[tokio::test]
async fn a_stalled_body_is_cut_by_the_request_timeout() {
    let env = start_with(|builder| builder.request_timeout(Duration::from_secs(1))).await;
    let token = env.token().await;
    let head = format!(
        "POST /api/v2/sign/doc/request HTTP/1.1\r\nHost: emulator\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n{{\"requestType\":"
    );
    let (status, took) = answer_to(
        env.emulator.local_addr(),
        head.as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    println!("408 after {took:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let env = start_with(|builder| builder.max_connections(2)).await;
    let addr = env.emulator.local_addr();
    let first = TcpStream::connect(addr).await.unwrap();
    let second = TcpStream::connect(addr).await.unwrap();
    // Both slots are taken (a moment for the server to accept them): a third connection
    // is completed by the kernel but not served.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"GET /emulator/v1/stats HTTP/1.1\r\nHost: emulator\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    assert!(
        timeout(Duration::from_millis(500), third.read(&mut buffer))
            .await
            .is_err(),
        "a connection over the cap was served"
    );
    drop(first);
    let n = timeout(Duration::from_secs(2), third.read(&mut buffer))
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
    drop(second);
}

#[tokio::test]
async fn the_listen_backlog_holds_thousands_of_pending_connections() {
    // One slot, so nothing is accepted while it is taken: every further connection waits
    // in the backlog, which must hold far more than the 1,024 of `TcpListener::bind`.
    let env = start_with(|builder| builder.max_connections(1)).await;
    raise_open_file_limit();
    let addr = env.emulator.local_addr();
    let _held = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut pending = Vec::new();
    for _ in 0..2000 {
        // Past the backlog the kernel drops the handshake and connect would hang: bound it.
        let stream = timeout(Duration::from_secs(1), TcpStream::connect(addr))
            .await
            .expect("a connection within the backlog completes at once")
            .unwrap();
        pending.push(stream);
    }
    assert_eq!(pending.len(), 2000);
    drop(pending);

    // The same with a small backlog: connections past it do not complete, so the check
    // above can fail.
    let small = start_with(|builder| builder.max_connections(1).backlog(64)).await;
    let addr = small.emulator.local_addr();
    let _held = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut pending = Vec::new();
    let mut stalled = false;
    for _ in 0..500 {
        match timeout(Duration::from_secs(1), TcpStream::connect(addr)).await {
            Ok(stream) => pending.push(stream.unwrap()),
            Err(_) => {
                stalled = true;
                break;
            }
        }
    }
    assert!(
        stalled,
        "{} connections completed past a backlog of 64",
        pending.len()
    );
}
