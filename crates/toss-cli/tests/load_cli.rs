//! `tosscert load`: many flows against an embedded emulator, from several client
//! processes sharing one access token through a real Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tosscert() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tosscert"))
}

/// A `redis-server` of our own on a free port, killed on drop.
struct Redis {
    child: Child,
    url: String,
}

impl Redis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (.ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn load(args: &[&str]) -> serde_json::Value {
    let output = tosscert()
        .args(["load", "--json", "--rsa-bits", "2048"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

#[test]
fn four_processes_sharing_redis_use_one_token_for_a_thousand_flows() {
    let redis = Redis::start();
    let summary = load(&[
        "--flows",
        "1000",
        "--concurrency",
        "40",
        "--processes",
        "4",
        "--redis",
        &redis.url,
    ]);
    assert_eq!(summary["completed"], 1000, "{summary}");
    assert_eq!(summary["uniqueTxIds"], 1000, "{summary}");
    assert_eq!(summary["duplicatedTxIds"], 0, "{summary}");
    assert_eq!(summary["lostFlows"], 0, "{summary}");
    assert_eq!(summary["errors"], serde_json::json!({}), "{summary}");
    assert_eq!(summary["tokensIssued"], 1, "{summary}");
    assert_eq!(summary["tokenStore"], "redis");
}

#[test]
fn without_a_shared_store_each_process_fetches_its_own_token() {
    let summary = load(&["--flows", "60", "--concurrency", "6", "--processes", "3"]);
    assert_eq!(summary["completed"], 60, "{summary}");
    assert_eq!(summary["tokensIssued"], 3, "{summary}");
    assert!(
        summary["latencyMs"]["p99"].as_f64().unwrap() > 0.0,
        "{summary}"
    );
}
