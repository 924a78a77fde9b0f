//! A private PostgreSQL server per test: `initdb` into a temp dir, `pg_ctl start` on a
//! free port of 127.0.0.1, stopped on drop. As root (CI), the server runs as the
//! `postgres` user, since `initdb` and `pg_ctl` refuse root.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::Connection as _;

const INSTALL_HINT: &str = "PostgreSQL is needed for these tests: `.ci/run` installs the Debian \
    package `postgresql` (or put initdb and pg_ctl on PATH)";

#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    port: u16,
    bindir: Option<PathBuf>,
    as_postgres: bool,
}

/// Where `initdb` and `pg_ctl` are: `pg_config --bindir`, else the newest
/// /usr/lib/postgresql/*/bin, else PATH (`None`).
fn bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PgServer {
    fn program(&self, name: &str) -> Command {
        let program = match &self.bindir {
            Some(dir) => dir.join(name).into_os_string(),
            None => name.into(),
        };
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts a server with a database `txstore`, or panics saying why.
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("toss-tx-store-pg")
            .tempdir()
            .unwrap();
        let mut server = Self {
            dir,
            port: 0,
            bindir: bindir(),
            as_postgres: is_root(),
        };
        if server.as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown to postgres failed: {INSTALL_HINT}");
        }
        let out = server
            .program("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run initdb ({e}): {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "initdb failed: {}\n{INSTALL_HINT}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The port may be taken between probing and binding: a few tries.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match server.pg_ctl_start(port) {
                Ok(()) => {
                    server.port = port;
                    server.create_database().await;
                    return server;
                }
                Err(e) => last = e,
            }
        }
        panic!("pg_ctl start failed: {last}");
    }

    fn pg_ctl_start(&self, port: u16) -> Result<(), String> {
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            self.dir.path().display()
        );
        let out = self
            .program("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            // -w waits for the server to accept connections, -t bounds the wait.
            .args(["-w", "-t", "30", "start"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run pg_ctl ({e}): {INSTALL_HINT}"));
        if out.status.success() {
            Ok(())
        } else {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            Err(format!("{}\n{log}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    async fn create_database(&self) {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut conn = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            sqlx::PgConnection::connect(&url),
        )
        .await
        .expect("connected within 30 s")
        .unwrap();
        sqlx::query("CREATE DATABASE txstore")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    /// `postgres://postgres@127.0.0.1:<port>/txstore`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/txstore", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.port != 0 {
            // Immediate: the data is thrown away with the directory.
            let _ = self
                .program("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "20", "stop"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
