//! A fleet on one Redis: several clients (standing for processes, each with its own
//! connection) fetch one token between them, and a lock holder that dies is taken over
//! once its lock expires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Provider, RedisServer, namespace};
use toss_sign::{TokenStore, TxId};
use toss_token_redis::RedisTokenStore;

async fn raw_get(server: &RedisServer, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut server.raw().await)
        .await
        .unwrap()
}

async fn pttl(server: &RedisServer, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut server.raw().await)
        .await
        .unwrap()
}

/// Four clients standing for four processes: each has its own store, hence its own
/// connection to Redis, and its own in-process single flight.
async fn fleet(server: &RedisServer, ns: &str, provider: &Provider) -> Vec<toss_sign::Client> {
    let mut clients = Vec::new();
    for _ in 0..4 {
        let store = server.store(ns).await;
        clients.push(provider.client(Arc::new(store), Duration::from_secs(10)));
    }
    clients
}

/// `calls` status calls spread over `clients`, all released at once; each must succeed.
async fn status_all_at_once(clients: &[toss_sign::Client], calls: usize) {
    let barrier = Arc::new(tokio::sync::Barrier::new(calls));
    let mut tasks = Vec::new();
    for i in 0..calls {
        let client = clients[i % clients.len()].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            client.status(&TxId::new("tx-1")).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_processes_two_hundred_calls_one_token() {
    let server = RedisServer::start();
    let ns = namespace("fleet");
    let provider = Provider::new(Duration::from_millis(100));
    let clients = fleet(&server, &ns, &provider).await;
    status_all_at_once(&clients, 200).await;
    assert_eq!(provider.tokens_issued(), 1, "one token for the whole fleet");
    assert_eq!(provider.status_calls(), 200);
    assert_eq!(
        provider.bearers().into_iter().collect::<Vec<_>>(),
        ["Bearer token-1"]
    );
    let store = server.store(&ns).await;
    assert!(
        raw_get(&server, store.lock_key()).await.is_none(),
        "the refresh lock was released"
    );
    assert_eq!(
        store.get().await.unwrap().unwrap().expose_secret(),
        "token-1"
    );

    // A fifth process starting later uses the stored token.
    let late = provider.client(Arc::new(server.store(&ns).await), Duration::from_secs(10));
    late.status(&TxId::new("tx-1")).await.unwrap();
    assert_eq!(provider.tokens_issued(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_token_is_replaced_once_for_the_whole_fleet() {
    let server = RedisServer::start();
    let ns = namespace("refused");
    let provider = Provider::new(Duration::from_millis(100));
    let clients = fleet(&server, &ns, &provider).await;
    clients[0].status(&TxId::new("tx-1")).await.unwrap();
    assert_eq!(provider.tokens_issued(), 1);

    // The provider stops accepting token-1: every process meets the refusal, drops the
    // token with a compare-and-set (which leaves a newer one alone) and asks for a new
    // one; one of them fetches it.
    provider.refuse("token-1");
    status_all_at_once(&clients, 100).await;
    assert_eq!(provider.tokens_issued(), 2, "one replacement for the fleet");
    let store = server.store(&ns).await;
    assert_eq!(
        store.get().await.unwrap().unwrap().expose_secret(),
        "token-2"
    );
}

const HOLDER: &str = "TOSS_REDIS_HOLDER";
const HOLDER_URL: &str = "TOSS_REDIS_HOLDER_URL";
const HOLDER_NAMESPACE: &str = "TOSS_REDIS_HOLDER_NAMESPACE";
const LOCKED: &str = "toss-redis-holder: locked";
const HOLDER_LOCK_TTL: Duration = Duration::from_secs(2);

/// Not a test on its own: run by [`a_killed_lock_holder_is_taken_over_after_the_lock_ttl`]
/// in a child process (with `TOSS_REDIS_HOLDER=1`), it takes the refresh lock, says so
/// and waits to be killed.
#[test]
#[ignore = "run in a child process by a_killed_lock_holder_is_taken_over_after_the_lock_ttl"]
fn lock_holder_child_process() {
    assert!(
        std::env::var_os(HOLDER).is_some(),
        "only run as the child process of a_killed_lock_holder_is_taken_over_after_the_lock_ttl"
    );
    let url = std::env::var(HOLDER_URL).unwrap();
    let namespace = std::env::var(HOLDER_NAMESPACE).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = RedisTokenStore::builder(url)
            .namespace(namespace)
            .connect()
            .await
            .unwrap();
        let lock = store.try_lock_refresh(HOLDER_LOCK_TTL).await.unwrap();
        assert!(lock.is_some(), "the lock was free");
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{LOCKED}").unwrap();
        stdout.flush().unwrap();
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// Kills the child if the test fails before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_lock_holder_is_taken_over_after_the_lock_ttl() {
    let server = RedisServer::start();
    let ns = namespace("killed-holder");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "--ignored",
            "lock_holder_child_process",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(HOLDER, "1")
        .env(HOLDER_URL, server.url())
        .env(HOLDER_NAMESPACE, &ns)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);

    // Wait for the child to hold the lock.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains(LOCKED) {
                let _ = tx.send(Ok(()));
                return;
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    let locked = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap();
    match locked {
        Ok(Ok(())) => {}
        Ok(Err(output)) => panic!("the holder exited without locking:\n{output}"),
        Err(e) => panic!("the holder did not lock in time: {e}"),
    }

    // SIGKILL: the holder cannot release anything.
    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "{status}");

    let store = server.store(&ns).await;
    let left = pttl(&server, store.lock_key()).await;
    assert!(
        left > 0 && left <= 2000,
        "the dead holder's lock is still there (PTTL {left})"
    );

    let provider = Provider::new(Duration::from_millis(100));
    let client = provider.client(Arc::new(store.clone()), HOLDER_LOCK_TTL);
    let started = Instant::now();
    client.status(&TxId::new("tx-1")).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "took over within the lock TTL and a margin: {took:?}"
    );
    assert!(
        took >= Duration::from_millis(u64::try_from(left).unwrap()),
        "waited for the dead holder's lock to expire: {took:?}, PTTL was {left} ms"
    );
    assert_eq!(provider.tokens_issued(), 1);
    assert_eq!(
        store.get().await.unwrap().unwrap().expose_secret(),
        "token-1"
    );
    assert!(raw_get(&server, store.lock_key()).await.is_none());
}
