//! Helpers for tests of this crate and of the crates built on it (feature `test-util`).
//!
//! Not for production: [`PostgresServer`] panics, saying why, where a test could not go
//! on anyway.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const INSTALL_HINT: &str = "PostgreSQL is needed for these tests: install the Debian package \
    `postgresql` (or put initdb, pg_ctl and createdb on PATH)";

/// The database every [`PostgresServer`] creates.
const DATABASE: &str = "txstore";

/// A private PostgreSQL server for one test: `initdb` into a new temporary directory,
/// `pg_ctl start` on a free port of 127.0.0.1 (and a Unix socket in that directory), with
/// an empty database `txstore` that the user `postgres` reaches without a password.
///
/// Dropping it stops the server (immediately: its data is thrown away) and removes the
/// directory. As root, as in CI, the server runs as the system user `postgres`, since
/// `initdb` and `pg_ctl` refuse to run as root.
///
/// The programs are found with `pg_config --bindir`, else in the newest
/// `/usr/lib/postgresql/*/bin`, else on `PATH`.
///
/// ```no_run
/// # async fn run() {
/// use toss_tx_store::testing::PostgresServer;
///
/// let server = PostgresServer::start().await;
/// // `postgres://postgres@127.0.0.1:<port>/txstore`: what `PostgresTxStore::connect`
/// // (feature `postgres`) or `open_location` takes.
/// let url = server.url();
/// # drop(url);
/// # }
/// ```
#[derive(Debug)]
pub struct PostgresServer {
    dir: tempfile::TempDir,
    port: u16,
    bindir: Option<PathBuf>,
    as_postgres: bool,
    tls: bool,
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
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

impl PostgresServer {
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

    /// Starts a server with an empty database `txstore`.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not installed, or the server cannot be set up or started; the
    /// message says why (with the server's log where it has one).
    pub async fn start() -> Self {
        Self::start_with(false)
    }

    /// [`start`](Self::start), with TLS on: a test CA made with the `openssl` command
    /// ([`ca_certificate`](Self::ca_certificate)) issued the server's certificate for
    /// `127.0.0.1` and `localhost`. Plain connections are still accepted, so that a test
    /// can tell what the client asked for.
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start), and when `openssl` is missing or fails.
    pub async fn start_with_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("toss-tx-store-pg")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let mut server = Self {
            dir,
            port: 0,
            bindir: bindir(),
            as_postgres: is_root(),
            tls,
        };
        if server.as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path())
                .status()
                .unwrap_or_else(|e| panic!("cannot run chown ({e}): {INSTALL_HINT}"));
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
        if tls {
            server.make_certificates();
        }
        // The port may be taken between probing and binding: a few tries.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match server.pg_ctl_start(port) {
                Ok(()) => {
                    server.port = port;
                    server.create_database();
                    return server;
                }
                Err(e) => last = e,
            }
        }
        panic!("pg_ctl start failed: {last}");
    }

    /// `ca.pem` in the server's directory, and `server.crt` / `server.key` (which
    /// PostgreSQL wants owned by its user, private) in the data directory.
    fn make_certificates(&self) {
        let dir = self.dir.path();
        let data = self.data();
        let extensions = dir.join("server.ext");
        std::fs::write(&extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", extensions.display()));
        let path = |p: PathBuf| p.into_os_string();
        let steps: [Vec<std::ffi::OsString>; 3] = [
            vec![
                "req".into(),
                "-x509".into(),
                "-newkey".into(),
                "rsa:2048".into(),
                "-nodes".into(),
                "-days".into(),
                "2".into(),
                "-subj".into(),
                "/CN=toss-tx-store test CA".into(),
                "-keyout".into(),
                path(dir.join("ca.key")),
                "-out".into(),
                path(dir.join("ca.pem")),
            ],
            vec![
                "req".into(),
                "-newkey".into(),
                "rsa:2048".into(),
                "-nodes".into(),
                "-subj".into(),
                "/CN=localhost".into(),
                "-keyout".into(),
                path(data.join("server.key")),
                "-out".into(),
                path(dir.join("server.csr")),
            ],
            vec![
                "x509".into(),
                "-req".into(),
                "-days".into(),
                "2".into(),
                "-in".into(),
                path(dir.join("server.csr")),
                "-CA".into(),
                path(dir.join("ca.pem")),
                "-CAkey".into(),
                path(dir.join("ca.key")),
                "-CAcreateserial".into(),
                "-extfile".into(),
                path(extensions),
                "-out".into(),
                path(data.join("server.crt")),
            ],
        ];
        for args in steps {
            let out = Command::new("openssl")
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl ({e}): install `openssl`"));
            assert!(
                out.status.success(),
                "openssl failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let key = data.join("server.key");
        let mut chmod = Command::new("chmod");
        chmod.arg("600").arg(&key);
        let owner = self.as_postgres.then(|| {
            let mut chown = Command::new("chown");
            chown
                .arg("postgres:postgres")
                .arg(data.join("server.crt"))
                .arg(&key);
            chown
        });
        for mut command in owner.into_iter().chain([chmod]) {
            let status = command
                .status()
                .unwrap_or_else(|e| panic!("cannot set up the server key ({e})"));
            assert!(status.success(), "cannot set up the server key");
        }
    }

    /// The test CA's certificate (PEM) that issued the server's, with
    /// [`start_with_tls`](Self::start_with_tls): for `sslrootcert=`.
    pub fn ca_certificate(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn pg_ctl_start(&self, port: u16) -> Result<(), String> {
        let tls = if self.tls {
            " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
        } else {
            ""
        };
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1{tls}",
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

    /// With PostgreSQL's own `createdb`, so that this helper needs no database driver
    /// and works whichever backend features are on.
    fn create_database(&self) {
        let out = self
            .program("createdb")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-w", DATABASE])
            // The server already accepts connections (`pg_ctl -w`); this bounds a hang.
            .env("PGCONNECT_TIMEOUT", "30")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run createdb ({e}): {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "createdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `postgres://postgres@127.0.0.1:<port>/txstore`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The server's directory: its data (`data/`), log (`log`) and Unix socket.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PostgresServer {
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
