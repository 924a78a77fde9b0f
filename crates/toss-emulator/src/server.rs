//! Starting and stopping the HTTP server, and the handle a test holds.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use toss_crypto::SessionOpener;
use toss_model::SignStatus;
use tower::ServiceExt as _;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use zeroize::Zeroizing;

use crate::ca::TestCa;
use crate::clock::{Clock, ManualClock};
use crate::config::{
    CaSource, ClientCredentials, ControlAccess, EmulatorBuilder, EmulatorConfig, ServerLimits,
    UserBehaviour,
};
use crate::error::Error;
use crate::listing::{self, TransactionList, TransactionSummary};
use crate::paths;
use crate::request_log::{Log, RequestLog};
use crate::revocation::{self, Revocation, RevocationReason, RevokeFailure};
use crate::routes::observed::{self, DropConnection, DroppedByFault};
use crate::routes::{self, app, control, pki};
use crate::scenario::{Faults, Scenario};
use crate::state::{Action, ControlFailure, Signer, Tokens, Transactions};
use crate::stats::{ClientCounters, Counters, Stats};
use crate::tsa::Tsa;

/// The header every response carries, with the emulator's version.
pub const VERSION_HEADER: &str = "x-toss-emulator-version";

/// How long [`EmulatorHandle::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How often the background sweeper frees what is due, and how much it looks at each time:
/// 20,000 deadlines a second at most, in short lock holds.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);
const SWEEP_BUDGET: usize = 2048;

/// How long the accept loop pauses after an error such as running out of file
/// descriptors, so that it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) opener: SessionOpener,
    /// Never empty: the configured clients, or the provider's test client.
    pub(crate) clients: Vec<ClientCredentials>,
    pub(crate) token_lifetime: Duration,
    /// The key access tokens are MAC'd with (they are JWT-shaped like the provider's).
    pub(crate) token_key: Zeroizing<Vec<u8>>,
    pub(crate) default_expire_seconds: u32,
    pub(crate) behaviour: RwLock<UserBehaviour>,
    pub(crate) ca: TestCa,
    pub(crate) tsa: Tsa,
    pub(crate) tokens: Tokens,
    pub(crate) transactions: Transactions,
    pub(crate) stats: Counters,
    /// Per client, indexed like `clients`.
    pub(crate) client_counters: Vec<ClientCounters>,
    pub(crate) base_url: String,
    pub(crate) control: ControlAccess,
    /// One permit per core for RSA work on the blocking pool, so that a burst of requests
    /// queues here instead of starting hundreds of threads.
    pub(crate) rsa_permits: Semaphore,
    /// Per-signer behaviour.
    pub(crate) scenario: Scenario,
    /// Injected faults.
    pub(crate) faults: Faults,
    /// The provider API's calls.
    pub(crate) requests: Log,
    /// The largest request body read.
    pub(crate) body_limit: usize,
}

impl AppState {
    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The first client's id and secret (`clients` is never empty; the defaults keep this
    /// total all the same).
    pub(crate) fn first_client(&self) -> (&str, &str) {
        self.clients.first().map_or(
            (
                crate::config::DEFAULT_CLIENT_ID,
                crate::config::DEFAULT_CLIENT_SECRET,
            ),
            |client| (client.id.as_str(), client.secret.as_str()),
        )
    }

    /// The counts, and what is remembered now.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.stats.snapshot();
        let counts = self.transactions.counts();
        stats.live_transactions = counts.remembered as u64;
        stats.retained_transactions = counts.retained as u64;
        stats.live_tokens = self.tokens.count() as u64;
        stats
    }

    /// Frees what is due, looking at up to `budget` deadlines of each store.
    pub(crate) fn sweep(&self, budget: usize) {
        let now = self.now();
        self.transactions.sweep(now, budget);
        self.tokens.sweep(now, budget);
    }

    /// Runs `work` on the blocking pool, at most one job per core at a time.
    pub(crate) async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Self) -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.rsa_permits.acquire().await.ok()?;
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || work(&state)).await.ok()
    }

    /// What the user of a new request for `signer` does: the scenario's rule for them, or
    /// the emulator's behaviour.
    pub(crate) fn behaviour_for(&self, signer: &Signer) -> UserBehaviour {
        if let Some(behaviour) = self.scenario.behaviour_for(signer) {
            return behaviour.clone();
        }
        self.behaviour
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets every transaction, token, count and logged call, and starts the faults'
    /// draws again from the seed. Keys, the CA and its revocations stay.
    pub(crate) fn reset(&self) {
        self.transactions.clear();
        self.tokens.clear();
        self.stats.reset();
        for counters in &self.client_counters {
            counters.reset();
        }
        self.requests.clear();
        self.faults.reseed();
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
        config.scenario.check()?;

        // Key generation takes a while (seconds for RSA-4096): keep it off the runtime.
        let key_config = config.clone();
        let (opener, ca, tsa) = tokio::task::spawn_blocking(move || make_keys(&key_config))
            .await
            .map_err(Error::Task)??;

        let listener =
            listen(config.listen, config.limits.backlog).map_err(|source| Error::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
        let base_url = format!("http://{local_addr}");
        let public_key_base64 = opener.public_key_base64().map_err(Error::ProviderKey)?;
        let state = Arc::new(app_state(&config, opener, ca, tsa, base_url.clone())?);

        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state), &config.limits);
        let task = tokio::spawn(serve(listener, app, config.limits, shutdown_rx));
        let sweeper = tokio::spawn(sweep_periodically(Arc::clone(&state)));

        Ok(EmulatorHandle {
            state,
            local_addr,
            base_url,
            public_key_base64,
            manual_clock: config.manual_clock,
            shutdown: Some(shutdown_tx),
            task: Some(task),
            sweeper,
        })
    }
}

/// What the handlers of an emulator configured by `config` share.
fn app_state(
    config: &EmulatorConfig,
    opener: SessionOpener,
    ca: TestCa,
    tsa: Tsa,
    base_url: String,
) -> Result<AppState, Error> {
    let mut token_key = Zeroizing::new(vec![0u8; 32]);
    toss_crypto::backend::aws_lc::PROVIDER
        .secure_random
        .fill(&mut token_key)
        .map_err(Error::ProviderKey)?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let clients = config.clients_or_default().into_owned();
    Ok(AppState {
        clock: Arc::clone(&config.clock),
        opener,
        client_counters: ClientCounters::for_clients(clients.len()),
        clients,
        token_lifetime: config.token_lifetime,
        token_key,
        default_expire_seconds: config.default_expire_seconds,
        behaviour: RwLock::new(config.user_behaviour.clone()),
        ca,
        tsa,
        tokens: Tokens::default(),
        transactions: Transactions::new(config.retention, config.refuse_reused_session_keys),
        stats: Counters::default(),
        base_url,
        control: config.control,
        rsa_permits: Semaphore::new(cores),
        faults: Faults::new(&config.scenario),
        scenario: config.scenario.clone(),
        requests: Log::default(),
        body_limit: config.limits.body_limit,
    })
}

fn make_keys(config: &EmulatorConfig) -> Result<(SessionOpener, TestCa, Tsa), Error> {
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
    .map_err(|error| Error::Ca(error.0))?
    .with_crl_validity(config.crl_validity);
    let tsa = Tsa::new(&ca, config.clock.now()).map_err(|error| Error::Ca(error.0))?;
    Ok((opener, ca, tsa))
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

/// A listening socket with the given backlog (`TcpListener::bind` fixes it at 1,024).
fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does, so that a restarted emulator can take its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Accepts connections until `shutdown`, at most `max_connections` at once, each served by
/// hyper's HTTP/1 with a header-read timeout; then lets open connections finish for up to
/// [`SHUTDOWN_GRACE`].
async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        // Take a slot before accepting: at the cap, new connections wait in the backlog.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(_) => {
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let answered = app.clone().oneshot(request.map(Body::new));
            async move {
                let response = match answered.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                // An injected fault: hyper closes the connection on a service error,
                // without writing an answer.
                if response.extensions().get::<DropConnection>().is_some() {
                    return Err(DroppedByFault);
                }
                Ok(response)
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection that fails (reset, timed out) concerns only its client.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Errors of one connection, after which accepting goes on at once (as axum::serve does).
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Frees expired tokens and finished transactions while the emulator runs, reading the
/// emulator's clock (so a [`ManualClock`] moved by a test takes effect within a tick).
async fn sweep_periodically(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        state.sweep(SWEEP_BUDGET);
    }
}

/// Whether `peer` may use the control endpoints under `access`.
pub(crate) fn control_allowed(access: ControlAccess, peer: IpAddr) -> Result<(), StatusCode> {
    match access {
        ControlAccess::Anyone => Ok(()),
        ControlAccess::Off => Err(StatusCode::NOT_FOUND),
        ControlAccess::LoopbackOnly => {
            // An IPv4 peer on a dual-stack socket arrives as ::ffff:127.x.y.z, which the
            // canonical form turns back into 127.x.y.z.
            if peer.to_canonical().is_loopback() {
                Ok(())
            } else {
                Err(StatusCode::FORBIDDEN)
            }
        }
    }
}

fn router(state: Arc<AppState>, limits: &ServerLimits) -> Router {
    routes::provider_api()
        .layer(from_fn_with_state(Arc::clone(&state), observed::observe))
        .merge(app::routes())
        .route(paths::HEALTH, get(control::health))
        .route(paths::RESET, post(control::reset))
        .route(paths::REQUESTS, get(control::requests))
        .route(paths::TX_ACTION, post(control::act))
        .route(paths::TX_REVOKE, post(control::revoke))
        .route(paths::STATS, get(control::stats))
        .route(paths::TRANSACTIONS, get(control::transactions))
        .route(paths::PUBLIC_KEY, get(control::public_key))
        .route(paths::CA_CERTIFICATE, get(control::ca_certificate))
        .route(paths::CRL, get(pki::crl))
        .route(paths::TSA, post(pki::time_stamp))
        .fallback(control::not_found)
        .method_not_allowed_fallback(control::method_not_allowed)
        // Innermost first: the extractors' own limit, a declared or streamed body over the
        // limit refused (413 before reading it), a bounded number of requests at once, a
        // bounded time for each (waiting for a slot and reading the body included), and
        // the version header on every answer, these refusals included.
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        // `Router::layer` wraps every route (and the fallback) on its own: the global layer's
        // copies share one semaphore, so the limit holds across all endpoints together
        // (a plain `ConcurrencyLimitLayer` would give each route a limit of its own).
        .layer(GlobalConcurrencyLimitLayer::new(
            limits.concurrency_limit.max(1),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
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
    sweeper: JoinHandle<()>,
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

    /// Where the test CA's CRL is served (`{base_url}/crl/emulator-ca.crl`, DER): the URL
    /// every user certificate names in its CRL distribution points.
    #[must_use]
    pub fn crl_url(&self) -> String {
        format!("{}{}", self.base_url, paths::CRL)
    }

    /// Where the RFC 3161 time-stamping authority answers (`{base_url}/tsa`).
    #[must_use]
    pub fn tsa_url(&self) -> String {
        format!("{}{}", self.base_url, paths::TSA)
    }

    /// The time-stamping authority's certificate as PEM (issued by the test CA, so
    /// [`ca_certificate_pem`](Self::ca_certificate_pem) is its trust anchor); tokens carry
    /// it only when the request asks (`certReq`).
    #[must_use]
    pub fn tsa_certificate_pem(&self) -> &str {
        self.state.tsa.certificate_pem()
    }

    /// The `client_id` the token endpoint accepts (the first one, when several are
    /// configured).
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.state.first_client().0
    }

    /// Every `client_id` the token endpoint accepts, in the order they were configured.
    #[must_use]
    pub fn client_ids(&self) -> Vec<&str> {
        self.state
            .clients
            .iter()
            .map(|client| client.id.as_str())
            .collect()
    }

    /// The `client_secret` of [`client_id`](Self::client_id).
    #[must_use]
    pub fn client_secret(&self) -> &str {
        self.state.first_client().1
    }

    /// The counts of calls answered so far, and how many transactions and tokens are
    /// remembered now.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Every transaction remembered now, of every client, with its status and the results
    /// it served, and per client the sign requests and results since the start: what
    /// `GET /emulator/v1/transactions` answers (whatever [`ControlAccess`] says, since only
    /// the process that started the emulator holds the handle).
    #[must_use]
    pub fn transactions(&self) -> TransactionList {
        listing::list(&self.state)
    }

    /// Transaction `tx_id` as [`transactions`](Self::transactions) lists it, whatever its
    /// client; `None` when it is unknown or was freed.
    #[must_use]
    pub fn transaction(&self, tx_id: &str) -> Option<TransactionSummary> {
        listing::one(&self.state, tx_id)
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

    /// The user declines transaction `tx_id` now (취소): it is never signed and stays
    /// `IN_PROGRESS` until it expires, as the provider has no declined status.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], or [`Error::Transition`] once it is completed or
    /// expired.
    pub fn decline(&self, tx_id: &str) -> Result<SignStatus, Error> {
        self.control(tx_id, Action::Decline)
    }

    /// The provider API's calls so far (at most
    /// [`REQUEST_LOG_CAPACITY`](crate::REQUEST_LOG_CAPACITY), oldest first): what
    /// `GET /emulator/v1/requests` answers.
    #[must_use]
    pub fn requests(&self) -> RequestLog {
        self.state.requests.snapshot()
    }

    /// Forgets every transaction, token, count and logged call, and starts the faults'
    /// draws again from the scenario's seed: what `POST /emulator/v1/reset` does. Keys, the
    /// CA, the certificates issued and the revocations stay (a CA does not take back a
    /// revocation).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// The signing screen of the Toss app for `tx_id` (`{base_url}/app/sign/{txId}`),
    /// where a person signs (서명하기) or declines (취소) in a browser.
    #[must_use]
    pub fn app_sign_url(&self, tx_id: &str) -> String {
        format!("{}{}", self.base_url, paths::app_sign(tx_id))
    }

    /// The Toss app's inbox (`{base_url}/app/inbox`): the pending push requests of a signer.
    #[must_use]
    pub fn app_inbox_url(&self) -> String {
        format!("{}{}", self.base_url, paths::APP_INBOX)
    }

    /// Transaction `tx_id` expires now (→ `EXPIRED`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], or [`Error::Transition`] once it is completed.
    pub fn expire(&self, tx_id: &str) -> Result<SignStatus, Error> {
        self.control(tx_id, Action::Expire)
    }

    /// Revokes the certificate that signed transaction `tx_id`, as of `revoked_at` (now when
    /// `None`; it may be in the past or the future), for `reason`, and issues a new CRL:
    /// what `POST /emulator/v1/tx/{txId}/revoke` does.
    ///
    /// The transaction's `signedDoc` keeps its certificate; the person's next signature gets
    /// a new key and certificate. A completed transaction whose result was not fetched yet
    /// gets its `signedDoc` made now (RSA work on the calling thread, and a key generation
    /// if the person had no certificate yet).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTransaction`], [`Error::NotSigned`] before the user signed (or when
    /// the transaction expired, or its result window closed with no `signedDoc` made),
    /// [`Error::Revocation`] for a `revoked_at` before 1970 or after 9999, or when the
    /// emulator cannot sign.
    pub fn revoke(
        &self,
        tx_id: &str,
        reason: RevocationReason,
        revoked_at: Option<time::OffsetDateTime>,
    ) -> Result<Revocation, Error> {
        revocation::revoke(&self.state, tx_id, reason, revoked_at).map_err(
            |failure| match failure {
                RevokeFailure::UnknownTx => Error::UnknownTransaction,
                RevokeFailure::NotSigned => Error::NotSigned,
                RevokeFailure::DateOutOfRange => {
                    Error::Revocation("the revocation date must be within 1970 to 9999")
                }
                RevokeFailure::Internal(reason) => Error::Revocation(reason),
            },
        )
    }

    fn control(&self, tx_id: &str, action: Action) -> Result<SignStatus, Error> {
        let now = self.state.now();
        self.state
            .transactions
            .control(tx_id, action, now)
            .map(|(progress, _)| progress.status())
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
        self.sweeper.abort();
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
        self.sweeper.abort();
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
            .field("client_id", &self.client_id())
            .field("manual_clock", &self.manual_clock.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    /// The answer of `router` to a control call from `peer` (`None`: no peer known), as
    /// status and body: hyper's server loop is the only other thing between it and a client.
    async fn control_call(app: &Router, peer: Option<SocketAddr>) -> (StatusCode, String) {
        call(app, "POST", "/emulator/v1/tx/no-such-tx/open", peer).await
    }

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        peer: Option<SocketAddr>,
    ) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(peer) = peer {
            request = request.extension(ConnectInfo(peer));
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(response.headers().contains_key(VERSION_HEADER));
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_control_endpoints_refuse_remote_peers_over_http() {
        let remote: SocketAddr = "10.0.0.7:40000".parse().unwrap();
        let mapped_remote: SocketAddr = "[::ffff:192.168.1.2]:40000".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        for (access, peer, status, code) in [
            (ControlAccess::LoopbackOnly, Some(remote), 403, "CE3000"),
            (
                ControlAccess::LoopbackOnly,
                Some(mapped_remote),
                403,
                "CE3000",
            ),
            (ControlAccess::LoopbackOnly, None, 403, "CE3000"),
            // Let through, the call reaches the transactions: unknown txId.
            (ControlAccess::LoopbackOnly, Some(loopback), 404, "CE3100"),
            (ControlAccess::Anyone, Some(remote), 404, "CE3100"),
            (ControlAccess::Off, Some(loopback), 404, "CE3000"),
        ] {
            let config = Emulator::builder()
                .rsa_bits(2048)
                .control_endpoints(access)
                .build();
            let (opener, ca, tsa) = make_keys(&config).unwrap();
            let state = app_state(&config, opener, ca, tsa, "http://emulator".to_owned()).unwrap();
            let app = router(Arc::new(state), &config.limits);
            let (got, body) = control_call(&app, peer).await;
            assert_eq!(got.as_u16(), status, "{access:?} {peer:?}: {body}");
            assert!(body.contains(code), "{access:?} {peer:?}: {body}");

            // The transactions listing follows the same rule; let through, it lists.
            let (got, body) = call(&app, "GET", "/emulator/v1/transactions", peer).await;
            let (status, code) = match (status, code) {
                (404, "CE3100") => (200, "\"transactions\":[]"),
                other => other,
            };
            assert_eq!(got.as_u16(), status, "listing {access:?} {peer:?}: {body}");
            assert!(body.contains(code), "listing {access:?} {peer:?}: {body}");
        }
    }

    #[test]
    fn control_access_by_peer() {
        let loopback: [IpAddr; 4] = [
            Ipv4Addr::LOCALHOST.into(),
            Ipv4Addr::new(127, 1, 2, 3).into(),
            Ipv6Addr::LOCALHOST.into(),
            Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
        ];
        let remote: [IpAddr; 4] = [
            Ipv4Addr::new(10, 0, 0, 7).into(),
            Ipv4Addr::new(192, 168, 1, 2).into(),
            Ipv4Addr::UNSPECIFIED.into(),
            "2001:db8::1".parse::<Ipv6Addr>().unwrap().into(),
        ];
        for peer in loopback {
            assert_eq!(control_allowed(ControlAccess::LoopbackOnly, peer), Ok(()));
            assert_eq!(control_allowed(ControlAccess::Anyone, peer), Ok(()));
            assert_eq!(
                control_allowed(ControlAccess::Off, peer),
                Err(StatusCode::NOT_FOUND)
            );
        }
        for peer in remote {
            assert_eq!(
                control_allowed(ControlAccess::LoopbackOnly, peer),
                Err(StatusCode::FORBIDDEN),
                "{peer}"
            );
            assert_eq!(control_allowed(ControlAccess::Anyone, peer), Ok(()));
            assert_eq!(
                control_allowed(ControlAccess::Off, peer),
                Err(StatusCode::NOT_FOUND)
            );
        }
    }
}
