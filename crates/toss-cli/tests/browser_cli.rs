//! The signing flow clicked through in headless Chromium (WebDriver, through Debian's
//! chromedriver), in a phone-sized window: `tosscert demo --web`'s reference service, the
//! emulator's Toss app screen, 서명하기 and the proof page; 취소; an expired request; and an
//! HTML document whose script must not run. Every page is kept as a screenshot under
//! `target/tmp/artifacts/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::{Killed, STARTUP, TempDir, line_after, lines_of};

/// One browser at a time: each test runs a demo, a chromedriver and a Chromium, which is
/// plenty for two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long any one page or element may take to appear.
const PAGE: Duration = Duration::from_secs(30);

/// A phone-sized window (an iPhone 12's CSS pixels).
const WINDOW: &str = "--window-size=390,844";

/// `tosscert demo --web` and a browser session driving it.
struct Session {
    browser: Client,
    /// The reference service, `http://127.0.0.1:port`.
    service: String,
    _demo: Killed,
    _driver: Killed,
    profile: TempDir,
    name: &'static str,
    shots: usize,
}

impl Session {
    fn start(name: &'static str) -> (Self, tokio::runtime::Runtime) {
        let runtime = support::runtime();
        let mut demo = support::tosscert()
            .args([
                "demo",
                "--web",
                "--listen",
                "127.0.0.1:0",
                "--rsa-bits",
                "2048",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = lines_of(demo.stdout.take().unwrap());
        let demo = Killed(demo);
        let service = line_after(&lines, "open ", STARTUP, "the demo printed its address")
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();

        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is needed: install Debian's chromium-driver");
        let driver = Killed(driver);
        let profile = TempDir::new(&format!("browser-{name}"));
        let mut args: Vec<String> = support::HEADLESS_CHROMIUM
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
        args.push(WINDOW.to_owned());
        args.push(format!("--user-data-dir={}", profile.file("")));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": which(support::chromium()),
                "args": args,
                // A phone's viewport and touch, whatever the smallest window allowed.
                "mobileEmulation": {
                    "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 1.0, "touch": true }
                },
            }
        });
        let browser = runtime.block_on(connect(port, capabilities));
        (
            Self {
                browser,
                service,
                _demo: demo,
                _driver: driver,
                profile,
                name,
                shots: 0,
            },
            runtime,
        )
    }

    async fn find(&self, css: &str) -> Element {
        self.browser
            .wait()
            .at_most(PAGE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{css} within {PAGE:?}: {error}"))
    }

    /// The text of `css` once it is there; found again should a navigation replace it
    /// between finding and reading.
    async fn text(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + PAGE;
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(error) if std::time::Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("the text of {css}: {error}"),
            }
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Keeps a screenshot of the page as `browser-<test>-<n>-<what>.png`; its path.
    async fn screenshot(&mut self, what: &str) -> PathBuf {
        self.shots += 1;
        let png = self.browser.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let path =
            support::artifacts().join(format!("browser-{}-{}-{what}.png", self.name, self.shots));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The form filled for 홍길동 with `document` of `doc_type`, sent; then the Toss app
    /// link followed to the emulator's signing screen.
    async fn request_and_open_toss(&mut self, doc_type: &str, document: &str, expire: u32) {
        self.browser.goto(&self.service).await.unwrap();
        self.fill("#name", "홍길동").await;
        self.fill("#phone", "010-1234-5678").await;
        self.fill("#birthday", "1990-01-01").await;
        self.find("#doc_type")
            .await
            .select_by_value(doc_type)
            .await
            .unwrap();
        self.fill("#document", document).await;
        self.fill("#expire_seconds", &expire.to_string()).await;
        self.screenshot("form").await;
        self.click("#request").await;
        assert!(!self.text("#tx-id").await.is_empty());
        self.screenshot("links").await;
        self.click("#open-toss").await;
        self.find("#sign").await;
        let url = self.browser.current_url().await.unwrap();
        assert!(url.path().starts_with("/app/sign/"), "{url}");
    }
}

impl Drop for Session {
    /// Chromium outlives a killed chromedriver (it is re-parented, not killed): a test that
    /// failed before closing the browser would leave it running. Its processes are the ones
    /// with this session's profile on their command line.
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.file(""))
            .status();
    }
}

async fn connect(port: u16, capabilities: serde_json::Value) -> Client {
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let url = format!("http://127.0.0.1:{port}");
    // chromedriver takes a moment to listen: try for a bounded while.
    let deadline = std::time::Instant::now() + STARTUP;
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(error) if std::time::Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("no WebDriver session within {STARTUP:?}: {error}"),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The full path of `program`, as chromedriver wants the browser binary.
fn which(program: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", "command -v \"$0\"", program])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Runs `steps` in a session of its own (one session at a time), closing the browser after.
fn in_browser(name: &'static str, steps: impl AsyncFnOnce(&mut Session)) {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut session, runtime) = Session::start(name);
    runtime.block_on(async {
        steps(&mut session).await;
    });
}

/// Copies a screenshot to `docs/<name>` when `TOSS_CERT_UPDATE_DOCS` is set, so that the
/// committed pictures can be refreshed from a real run.
fn maybe_update_docs(shot: &PathBuf, name: &str) {
    if std::env::var_os("TOSS_CERT_UPDATE_DOCS").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::copy(shot, docs.join(name)).unwrap();
    }
}

#[test]
fn a_person_signs_and_sees_the_verified_proof() {
    in_browser("sign", async |session| {
        session
            .request_and_open_toss("text", "본인은 계좌 개설 및 출금이체에 동의합니다.", 300)
            .await;
        assert_eq!(session.text("#title").await, "계좌 개설 동의서");
        assert!(
            session
                .text("#document")
                .await
                .contains("출금이체에 동의합니다")
        );
        let screen = session.screenshot("toss-screen").await;
        maybe_update_docs(&screen, "toss-app-screen.png");

        session.click("#sign").await;
        // The callback woke the reconciler; the page refreshes until the proof is stored.
        let verdict = session.text("#verdict").await;
        assert_eq!(verdict, "서명이 검증되었어요");
        let checks = session.text("#checks").await;
        for check in ["signature", "document", "chain", "revocation", "timestamp"] {
            assert!(checks.contains(check), "{check} missing: {checks}");
        }
        assert!(!checks.contains("실패"), "{checks}");
        let downloads = session.text("#downloads").await;
        for file in [
            "signed-doc.p7s",
            "evidence.json",
            "manifest.json",
            "report.html",
        ] {
            assert!(downloads.contains(file), "{file} missing: {downloads}");
        }
        let url = session.browser.current_url().await.unwrap();
        assert!(url.as_str().starts_with(&session.service), "{url}");
        let proof = session.screenshot("proof").await;
        maybe_update_docs(&proof, "proof-page.png");
    });
}

#[test]
fn cancelling_returns_to_the_service_unsigned() {
    in_browser("cancel", async |session| {
        session
            .request_and_open_toss("text", "동의합니다.", 300)
            .await;
        session.click("#cancel").await;
        assert_eq!(session.text("#cancelled").await, "서명을 취소하셨어요");
        let url = session.browser.current_url().await.unwrap();
        assert!(url.path().ends_with("/cancelled"), "{url}");
        session.screenshot("cancelled").await;
    });
}

#[test]
fn an_expired_request_cannot_be_signed() {
    in_browser("expired", async |session| {
        session
            .request_and_open_toss("text", "동의합니다.", 2)
            .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        session.click("#sign").await;
        // Whether the screen still had it live (a notice) or only its end remembered (its
        // state), it says expired; neither is on the screen the button was pressed on.
        let page = session.text("#notice, #state").await;
        assert!(page.contains("만료"), "{page}");
        assert!(session.browser.find(Locator::Css("#sign")).await.is_err());
        let url = session.browser.current_url().await.unwrap();
        assert!(url.path().starts_with("/app/sign/"), "no callback: {url}");
        session.screenshot("expired").await;
    });
}

#[test]
fn a_script_in_an_html_document_does_not_run() {
    let document = "<p>계좌 개설에 <b>동의</b>합니다.</p>\
                    <script>window.pwned = 'script'; document.title = 'pwned';</script>\
                    <img src=\"x\" onerror=\"window.pwned = 'onerror'; document.title = 'pwned';\">\
                    <svg onload=\"window.pwned = 'svg'\"></svg>";
    in_browser("script", async |session| {
        session.request_and_open_toss("html", document, 300).await;
        // Give an error handler every chance to fire: the image has failed by now.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let seen = session
            .browser
            .execute(
                "return [document.title, typeof window.pwned, \
                 document.querySelector('#document b') ? document.querySelector('#document b').textContent : null];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(seen[0], "계좌 개설 동의서", "{seen}");
        assert_eq!(seen[1], "undefined", "a script ran: {seen}");
        assert_eq!(seen[2], "동의", "the safe markup is shown: {seen}");
        session.screenshot("html-document").await;
    });
}
