//! `tosscert load`: many flows against an embedded emulator, from several client
//! processes sharing one access token through a real Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::tosscert;

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

/// The processes whose parent is `parent`, from `/proc/<pid>/stat`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid …`, where comm may hold spaces and parentheses.
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

/// A worker process as seen while it ran: its pid, command line and environment.
type Worker = (u32, String, String);

/// `load`'s command line once it runs `tosscert` (right after the spawn, it may still show
/// the test's own), waiting at most 10 s for that.
fn command_line_of(load: &Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let cmdline = proc_text(load.id(), "cmdline");
        if cmdline.contains(" load --json") || Instant::now() > deadline {
            return cmdline;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Waits (at most 120 s, then kills it) for `load` to finish, watching the workers it
/// starts, and returns its output with every worker seen.
fn watch_workers(mut load: Child) -> (std::process::Output, Vec<Worker>) {
    let parent = load.id();
    let mut seen: Vec<Worker> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while load.try_wait().unwrap().is_none() && Instant::now() < deadline {
        for child in children_of(parent) {
            let cmdline = proc_text(child, "cmdline");
            // Between fork and exec a child still shows the parent's command line and
            // environment: only the worker it has become counts.
            if cmdline.contains("load --worker") && seen.iter().all(|(pid, ..)| *pid != child) {
                seen.push((child, cmdline, proc_text(child, "environ")));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = load.kill();
    (load.wait_with_output().unwrap(), seen)
}

/// `/proc/<pid>/<file>` with its NULs as spaces; empty once the process is gone.
fn proc_text(pid: u32, file: &str) -> String {
    std::fs::read(format!("/proc/{pid}/{file}"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

#[cfg(target_os = "linux")]
#[test]
fn worker_processes_get_no_secret_on_their_command_line() {
    // Not the default secret: the embedded emulator is configured with this one, so the
    // run only succeeds if the workers got it some other way.
    const SECRET: &str = "test_9f0c1d2e3b4a5968778695a4b3c2d1e0f-cmdline";
    let redis = Redis::start();
    let load = tosscert()
        .args(["load", "--json", "--rsa-bits", "2048"])
        .args(["--flows", "3000", "--concurrency", "8", "--processes", "4"])
        .args(["--client-secret", SECRET, "--redis", &redis.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Our own command line has it: the check below would see it in a worker's.
    assert!(command_line_of(&load).contains(SECRET));

    let (output, seen) = watch_workers(load);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["completed"], 3000, "{summary}");
    assert_eq!(summary["tokensIssued"], 1, "{summary}");

    assert_eq!(seen.len(), 4, "the four workers were seen: {seen:?}");
    for (pid, cmdline, environ) in &seen {
        assert!(
            !cmdline.contains(SECRET),
            "{pid}: the secret on its command line"
        );
        assert!(!cmdline.contains("--client-secret"), "{pid}: {cmdline}");
        assert!(!cmdline.contains("redis://"), "{pid}: {cmdline}");
        assert!(
            !environ.contains(SECRET),
            "{pid}: the secret in its environment"
        );
    }
}

/// The client secret from `TOSS_CERT_CLIENT_SECRET`, against an emulator that accepts only
/// that secret: the run succeeds with it and fails without it, and neither the parent's nor
/// a worker's command line, nor a worker's environment, has it.
#[cfg(target_os = "linux")]
#[test]
fn the_secret_can_come_from_the_environment() {
    const SECRET: &str = "test_0a1b2c3d4e5f60718293a4b5c6d7e8f9-from-env";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime
        .block_on(
            toss_emulator::Emulator::builder()
                .rsa_bits(2048)
                .client_credentials(toss_emulator::DEFAULT_CLIENT_ID, SECRET)
                .user_behaviour(toss_emulator::UserBehaviour::completes(
                    Duration::ZERO,
                    Duration::ZERO,
                ))
                .start(),
        )
        .unwrap();
    let run = |secret: Option<&str>| {
        let mut command = tosscert();
        command
            .args(["load", "--json", "--flows", "400", "--concurrency", "4"])
            .args(["--processes", "2", "--base-url", emulator.base_url()])
            .args(["--public-key", emulator.public_key_base64()])
            .env_remove("TOSS_CERT_CLIENT_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(secret) = secret {
            command.env("TOSS_CERT_CLIENT_SECRET", secret);
        }
        let load = command.spawn().unwrap();
        let parent = (load.id(), command_line_of(&load), String::new());
        let (output, mut seen) = watch_workers(load);
        seen.push(parent);
        (output, seen)
    };

    let (output, seen) = run(Some(SECRET));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["completed"], 400, "{summary}");
    assert!(
        seen.len() >= 2,
        "a worker and the parent were seen: {seen:?}"
    );
    for (pid, cmdline, environ) in &seen {
        assert!(
            !cmdline.contains(SECRET),
            "{pid}: the secret on its command line"
        );
        assert!(
            !environ.contains(SECRET),
            "{pid}: the secret in its environment"
        );
    }

    // Without it the default test secret is used, which this emulator refuses.
    let (output, _) = run(None);
    assert!(!output.status.success(), "the default secret was accepted");
    runtime.block_on(emulator.shutdown()).unwrap();
}
