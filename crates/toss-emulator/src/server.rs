//! Starting and stopping the HTTP server, and the handle a test holds.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use toss_crypto::SessionOpener;
use toss_model::SignStatus;
use zeroize::Zeroizing;

use crate::ca::TestCa;
use crate::clock::{Clock, ManualClock};
use crate::config::{CaSource, EmulatorBuilder, EmulatorConfig, UserBehaviour};
use crate::error::Error;
use crate::routes::{certificate, control, sign, token};
use crate::state::{Action, ControlFailure, Tokens, Transactions};
use crate::stats::{Counters, Stats};

/// The header every response carries, with the emulator's version.
pub const VERSION_HEADER: &str = "x-toss-emulator-version";

/// How long [`EmulatorHandle::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) opener: SessionOpener,
    pub(crate) client_id: String,
    pub(crate) client_secret: Zeroizing<String>,
    pub(crate) token_lifetime: Duration,
    /// The key access tokens are MAC'd with (they are JWT-shaped like the provider's).
    pub(crate) token_key: Zeroizing<Vec<u8>>,
    pub(crate) default_expire_seconds: u32,
    pub(crate) behaviour: RwLock<UserBehaviour>,
    pub(crate) ca: TestCa,
    pub(crate) tokens: Tokens,
    pub(crate) transactions: Transactions,
    pub(crate) stats: Counters,
    pub(crate) base_url: String,
}

impl AppState {
    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub(crate) fn behaviour(&self) -> UserBehaviour {
        self.behaviour
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("base_url", &self.base_url)
            .field("clock", &self.clock)
            .field("transactions", &self.transactions)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// The entry point: [`Emulator::builder`] or [`Emulator::start`].
#[non_exhaustive]
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder for the configuration, which can also start the emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Generates (or loads) the emulator's keys and CA, binds the listening socket and starts
    /// serving on the current tokio runtime.
    ///
    /// Returns once the socket accepts connections. The server runs until the handle is
    /// dropped or [`EmulatorHandle::shutdown`] is awaited.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unsupported RSA size or an `expireSeconds` default outside
    /// `1..=1800`, [`Error::ProviderKey`] and [`Error::Ca`] when keys or the CA cannot be
    /// made or loaded, [`Error::Bind`] when the address cannot be listened on.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, Error> {
        if !matches!(config.rsa_bits, 2048 | 3072 | 4096) {
            return Err(Error::Config("rsa_bits must be 2048, 3072 or 4096"));
        }
        if !(1..=toss_model::EXPIRE_SECONDS_MAX).contains(&config.default_expire_seconds) {
            return Err(Error::Config(
                "default_expire_seconds must be within 1..=1800",
            ));
        }

        // Key generation takes a while (seconds for RSA-4096): keep it off the runtime.
        let key_config = config.clone();
        let (opener, ca) = tokio::task::spawn_blocking(move || make_keys(&key_config))
            .await
            .map_err(Error::Task)??;

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
        let base_url = format!("http://{local_addr}");

        let mut token_key = Zeroizing::new(vec![0u8; 32]);
        toss_crypto::backend::aws_lc::PROVIDER
            .secure_random
            .fill(&mut token_key)
            .map_err(Error::ProviderKey)?;
        let public_key_base64 = opener.public_key_base64().map_err(Error::ProviderKey)?;

        let state = Arc::new(AppState {
            clock: Arc::clone(&config.clock),
            opener,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_lifetime: config.token_lifetime,
            token_key,
            default_expire_seconds: config.default_expire_seconds,
            behaviour: RwLock::new(config.user_behaviour.clone()),
            ca,
            tokens: Tokens::default(),
            transactions: Transactions::default(),
            stats: Counters::default(),
            base_url: base_url.clone(),
        });

        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // A dropped sender means the same as a sent signal.
                    let _ = shutdown_rx.await;
                })
                .await
        });

        Ok(EmulatorHandle {
            state,
            local_addr,
            base_url,
            public_key_base64,
            manual_clock: config.manual_clock,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }
}

fn make_keys(config: &EmulatorConfig) -> Result<(SessionOpener, TestCa), Error> {
    let provider = &toss_crypto::backend::aws_lc::PROVIDER;
    let opener = match &config.provider_private_key {
        Some(text) => {
            let der = private_key_der(text)?;
            SessionOpener::from_private_key_der(&der, provider).map_err(Error::ProviderKey)?
        }
        None => SessionOpener::generate_with_provider(config.rsa_bits, provider)
            .map_err(Error::ProviderKey)?,
    };
    let ca = match &config.ca {
        CaSource::Generate => TestCa::generate(config.clock.now()),
        CaSource::Pem {
            certificate,
            private_key,
        } => TestCa::from_pem(certificate, private_key),
    }
    .map_err(|error| Error::Ca(error.0))?;
    Ok((opener, ca))
}

/// The DER of a PKCS#8 key given as PEM (`PRIVATE KEY`) or bare base64.
fn private_key_der(text: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    use base64::Engine as _;
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map(Zeroizing::new)
        .map_err(|_| Error::Config("the provider private key is not PEM or base64 PKCS#8"))
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/token", post(token::issue))
        .route("/api/v2/sign/doc/request", post(sign::request))
        .route("/api/v2/sign/doc/status", post(sign::status))
        .route("/api/v2/sign/doc/result", post(sign::result))
        .route("/api/v1/certificate/validate", post(certificate::validate))
        .route("/emulator/v1/tx/{tx_id}/{action}", post(control::act))
        .route("/emulator/v1/stats", get(control::stats))
        .route("/emulator/v1/public-key", get(control::public_key))
        .route("/emulator/v1/ca-certificate", get(control::ca_certificate))
        .fallback(control::not_found)
        .method_not_allowed_fallback(control::method_not_allowed)
        .layer(map_response(add_version_header))
        .with_state(state)
}

async fn add_version_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        HeaderName::from_static(VERSION_HEADER),
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    response
}

/// A running emulator. Dropping it stops the server (open connections are cut); await
/// [`shutdown`](Self::shutdown) to stop gracefully.
pub struct EmulatorHandle {
    state: Arc<AppState>,
    local_addr: SocketAddr,
    base_url: String,
    public_key_base64: String,
    manual_clock: Option<ManualClock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl EmulatorHandle {
    /// `http://<ip>:<port>`, without a trailing slash: the base of both the OAuth host
    /// (`/token`) and the API host (`/api/...`).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The emulator's RSA public key as base64 DER `SubjectPublicKeyInfo`: give it to a
    /// client as the provider's public key, so that it seals session keys for the emulator.
    #[must_use]
    pub fn public_key_base64(&self) -> &str {
        &self.public_key_base64
    }

    /// The test CA's certificate as PEM: the trust anchor of every `signedDoc` the emulator
    /// makes.
    #[must_use]
    pub fn ca_certificate_pem(&self) -> &str {
        self.state.ca.certificate_pem()
    }

    /// The `client_id` the token endpoint accepts.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    /// The `client_secret` the token endpoint accepts.
    #[must_use]
    pub fn client_secret(&self) -> &str {
        &self.state.client_secret
    }

    /// The counts of calls answered so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// The manual clock, when the emulator was started with one
    /// ([`EmulatorBuilder::manual_clock`]).
    #[must_use]
    pub fn clock(&self) -> Option<&ManualClock> {
        self.manual_clock.as_ref()
    }

    /// Changes what the simulated user of transactions created from now on does.
    pub fn set_user_behaviour(&self, behaviour: UserBehaviour) {
        *self
            .state
            .behaviour
            .write()
            .unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// The user opens transaction `tx_id` now (`REQUESTED` → `IN_PROGRESS`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], or [`Error::Transition`] once it is completed or
    /// expired.
    pub fn open(&self, tx_id: &str) -> Result<SignStatus, Error> {
        self.control(tx_id, Action::Open)
    }

    /// The user signs transaction `tx_id` now (→ `COMPLETED`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], or [`Error::Transition`] once it expired.
    pub fn complete(&self, tx_id: &str) -> Result<SignStatus, Error> {
        self.control(tx_id, Action::Complete)
    }

    /// Transaction `tx_id` expires now (→ `EXPIRED`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], or [`Error::Transition`] once it is completed.
    pub fn expire(&self, tx_id: &str) -> Result<SignStatus, Error> {
        self.control(tx_id, Action::Expire)
    }

    fn control(&self, tx_id: &str, action: Action) -> Result<SignStatus, Error> {
        let now = self.state.now();
        self.state
            .transactions
            .control(tx_id, action, now)
            .map(|progress| progress.status())
            .map_err(|failure| match failure {
                ControlFailure::UnknownTx => Error::UnknownTransaction,
                ControlFailure::NotAllowed(progress) => Error::Transition {
                    status: progress.status(),
                },
            })
    }

    /// Stops accepting connections, lets open ones finish (for up to five seconds), and
    /// waits for the server to stop.
    ///
    /// # Errors
    ///
    /// [`Error::Serve`] when the server failed, [`Error::Task`] when its task panicked.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(joined) => joined.map_err(Error::Task)?.map_err(Error::Serve),
            Err(_elapsed) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("client_id", &self.state.client_id)
            .field("manual_clock", &self.manual_clock.is_some())
            .finish_non_exhaustive()
    }
}
