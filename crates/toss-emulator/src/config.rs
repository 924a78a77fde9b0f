//! What an emulator is started with: address, keys, credentials, lifetimes, the simulated user.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::error::Error;
use crate::scenario::Scenario;
use crate::server::{Emulator, EmulatorHandle};

/// The provider's published test `client_id`, accepted by default.
pub const DEFAULT_CLIENT_ID: &str = "test_a8e23336d673ca70922b485fe806eb2d";

/// The provider's published test `client_secret`, accepted by default.
pub const DEFAULT_CLIENT_SECRET: &str = "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3";

/// How long tokens live by default: 31,536,000 s (one year), as in the provider's test
/// environment.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(31_536_000);

/// The size of the emulator's own RSA key by default, the size of the provider's key.
pub const DEFAULT_RSA_BITS: usize = 4096;

/// `expireSeconds` when a sign request does not give one. The provider does not publish its
/// default; the emulator uses five minutes.
pub const DEFAULT_EXPIRE_SECONDS: u32 = 300;

/// How long a finished transaction is remembered for status answers by default: one hour.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3600);

/// How long a connection may take to send a request's headers, and may sit idle between
/// requests, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request may take, body included, by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request body accepted by default: 256 KiB, far above any sign request (the
/// provider recommends documents of at most 2,000 characters, and a PDF travels as its
/// hash), and small enough that a thousand stalled bodies stay within a few hundred MB.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// How many connections are served at once by default; further ones wait in the listen
/// backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How many requests are handled at once by default; further ones wait.
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 1024;

/// The listen backlog by default.
pub const DEFAULT_BACKLOG: u32 = 4096;

/// How long each CRL of the test CA is current (thisUpdate to nextUpdate) by default: 24
/// hours.
pub const DEFAULT_CRL_VALIDITY: Duration = Duration::from_secs(24 * 3600);

/// Who may use the control endpoints (`POST /emulator/v1/tx/{txId}/{action}`), which move
/// transactions without a token, and the transactions listing
/// (`GET /emulator/v1/transactions`), which names every client's txIds.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlAccess {
    /// Peers on a loopback address (127.0.0.0/8, `::1`); others get HTTP 403.
    #[default]
    LoopbackOnly,
    /// Any peer, for an emulator reached across containers; nothing else protects them.
    Anyone,
    /// Nobody: the control endpoints and the listing answer HTTP 404.
    Off,
}

/// A `client_id` and `client_secret` the token endpoint accepts.
#[derive(Clone)]
pub(crate) struct ClientCredentials {
    pub(crate) id: String,
    pub(crate) secret: Zeroizing<String>,
}

/// The limits the HTTP server enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLimits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) body_limit: usize,
    pub(crate) max_connections: usize,
    pub(crate) concurrency_limit: usize,
    pub(crate) backlog: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
            backlog: DEFAULT_BACKLOG,
        }
    }
}

/// What the simulated user of each new transaction does.
///
/// The status of a transaction is computed from its timestamps when it is queried, so these
/// delays cost nothing while nobody asks. Whatever the behaviour, the control endpoints and
/// [`EmulatorHandle::open`], [`complete`](EmulatorHandle::complete) and
/// [`expire`](EmulatorHandle::expire) move a transaction by hand (earlier than planned).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserBehaviour {
    /// The user opens the request `open_after` it was made (status `IN_PROGRESS`) and
    /// signs `complete_after` it was made (status `COMPLETED`); both are measured from the
    /// request and may be zero. If `complete_after` is shorter than `open_after`, the user
    /// opens and signs at once. A user who would sign after `expireSeconds` is too late: the
    /// request expires.
    Completes {
        /// From the request until the user opens it.
        open_after: Duration,
        /// From the request until the user signs.
        complete_after: Duration,
    },
    /// The user never opens the request; it expires after `expireSeconds`.
    NeverAnswers,
    /// The user opens the request `after` it was made and declines it (취소): it is never
    /// signed, and stays `IN_PROGRESS` until it expires (the provider has no declined
    /// status).
    Declines {
        /// From the request until the user opens and declines it.
        after: Duration,
    },
    /// The user opens the request `open_after` it was made and lets it expire.
    OpensAndExpires {
        /// From the request until the user opens it.
        open_after: Duration,
    },
    /// The user does nothing by themselves: the request stays `REQUESTED` until it is moved
    /// with the control endpoints or handle methods, or expires.
    Manual,
}

impl UserBehaviour {
    /// [`UserBehaviour::Completes`] with the given delays.
    #[must_use]
    pub fn completes(open_after: Duration, complete_after: Duration) -> Self {
        Self::Completes {
            open_after,
            complete_after,
        }
    }
}

impl Default for UserBehaviour {
    /// Opens after 300 ms and signs after 600 ms.
    fn default() -> Self {
        Self::completes(Duration::from_millis(300), Duration::from_millis(600))
    }
}

/// Where the emulator's test CA comes from.
#[derive(Clone)]
pub(crate) enum CaSource {
    /// A new CA, generated at start.
    Generate,
    /// A CA certificate and its PKCS#8 RSA private key, both PEM.
    Pem {
        certificate: String,
        private_key: Zeroizing<String>,
    },
}

/// The full configuration of an emulator; build it with [`EmulatorConfig::builder`] (or
/// [`Emulator::builder`], which can also start it).
#[derive(Clone)]
pub struct EmulatorConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) rsa_bits: usize,
    pub(crate) provider_private_key: Option<Zeroizing<String>>,
    /// Empty means the provider's test credentials.
    pub(crate) clients: Vec<ClientCredentials>,
    pub(crate) token_lifetime: Duration,
    pub(crate) user_behaviour: UserBehaviour,
    pub(crate) default_expire_seconds: u32,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual_clock: Option<ManualClock>,
    pub(crate) ca: CaSource,
    pub(crate) retention: Duration,
    pub(crate) crl_validity: Duration,
    pub(crate) limits: ServerLimits,
    pub(crate) control: ControlAccess,
    pub(crate) refuse_reused_session_keys: bool,
    pub(crate) scenario: Scenario,
}

impl EmulatorConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The address to listen on.
    #[must_use]
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The first (or only) `client_id` the token endpoint accepts.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.clients
            .first()
            .map_or(DEFAULT_CLIENT_ID, |client| &client.id)
    }

    /// Every `client_id` the token endpoint accepts, in the order they were added.
    #[must_use]
    pub fn client_ids(&self) -> Vec<&str> {
        if self.clients.is_empty() {
            return vec![DEFAULT_CLIENT_ID];
        }
        self.clients
            .iter()
            .map(|client| client.id.as_str())
            .collect()
    }

    /// The configured clients, or the provider's test client when none was given.
    pub(crate) fn clients_or_default(&self) -> std::borrow::Cow<'_, [ClientCredentials]> {
        if self.clients.is_empty() {
            std::borrow::Cow::Owned(vec![ClientCredentials {
                id: DEFAULT_CLIENT_ID.to_owned(),
                secret: Zeroizing::new(DEFAULT_CLIENT_SECRET.to_owned()),
            }])
        } else {
            std::borrow::Cow::Borrowed(&self.clients)
        }
    }

    /// The simulated user of new transactions.
    #[must_use]
    pub fn user_behaviour(&self) -> &UserBehaviour {
        &self.user_behaviour
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
            rsa_bits: DEFAULT_RSA_BITS,
            provider_private_key: None,
            clients: Vec::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            user_behaviour: UserBehaviour::default(),
            default_expire_seconds: DEFAULT_EXPIRE_SECONDS,
            clock: Arc::new(SystemClock),
            manual_clock: None,
            ca: CaSource::Generate,
            retention: DEFAULT_RETENTION,
            crl_validity: DEFAULT_CRL_VALIDITY,
            limits: ServerLimits::default(),
            control: ControlAccess::default(),
            refuse_reused_session_keys: true,
            scenario: Scenario::default(),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("rsa_bits", &self.rsa_bits)
            .field(
                "provider_private_key",
                &self.provider_private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("client_ids", &self.client_ids())
            .field("client_secrets", &"<redacted>")
            .field("token_lifetime", &self.token_lifetime)
            .field("user_behaviour", &self.user_behaviour)
            .field("default_expire_seconds", &self.default_expire_seconds)
            .field("clock", &self.clock)
            .field(
                "ca",
                &match self.ca {
                    CaSource::Generate => "generated",
                    CaSource::Pem { .. } => "from PEM",
                },
            )
            .field("retention", &self.retention)
            .field("crl_validity", &self.crl_validity)
            .field("limits", &self.limits)
            .field("control", &self.control)
            .field(
                "refuse_reused_session_keys",
                &self.refuse_reused_session_keys,
            )
            .field("scenario", &self.scenario)
            .finish()
    }
}

/// Builds an [`EmulatorConfig`] and starts the emulator.
///
/// ```no_run
/// # async fn demo() -> Result<(), toss_emulator::Error> {
/// use std::time::Duration;
/// use toss_emulator::clock::ManualClock;
/// use toss_emulator::{Emulator, UserBehaviour};
///
/// let clock = ManualClock::new();
/// let emulator = Emulator::builder()
///     .rsa_bits(2048) // quicker to generate than the default 4096
///     .manual_clock(clock.clone())
///     .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::from_secs(5)))
///     .start()
///     .await?;
/// println!("{} {}", emulator.base_url(), emulator.public_key_base64());
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Debug, Clone, Default)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
}

impl EmulatorBuilder {
    /// The address to listen on. Defaults to `127.0.0.1:0` (a free port; read it back with
    /// [`EmulatorHandle::base_url`]).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// The size in bits of the emulator's RSA key (2048, 3072 or 4096). Defaults to 4096, as
    /// the provider's; 2048 is much quicker to generate, for tests.
    pub fn rsa_bits(mut self, bits: usize) -> Self {
        self.config.rsa_bits = bits;
        self
    }

    /// Use this RSA private key (PEM `PRIVATE KEY` or base64 DER PKCS#8) instead of
    /// generating one, so that its public key stays the same between runs.
    pub fn provider_private_key(mut self, pem_or_base64: impl Into<String>) -> Self {
        self.config.provider_private_key = Some(Zeroizing::new(pem_or_base64.into()));
        self
    }

    /// Adds client credentials the token endpoint accepts. Without any, it accepts the
    /// provider's published test credentials ([`DEFAULT_CLIENT_ID`],
    /// [`DEFAULT_CLIENT_SECRET`]); the first call replaces those, and each further call adds
    /// a client. A transaction is visible only to tokens of the client that created it;
    /// another client's token gets `CE3100`, as for an unknown `txId`. Adding a `client_id`
    /// again replaces its secret.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        let id = client_id.into();
        let secret = Zeroizing::new(client_secret.into());
        match self
            .config
            .clients
            .iter_mut()
            .find(|client| client.id == id)
        {
            Some(client) => client.secret = secret,
            None => self.config.clients.push(ClientCredentials { id, secret }),
        }
        self
    }

    /// How long a transaction that can no longer change or be fetched (expired, second
    /// result served, or past the 60-minute result window) is still remembered for status
    /// answers before it is freed. Defaults to [`DEFAULT_RETENTION`] (one hour).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.config.retention = retention;
        self
    }

    /// How long each CRL of the test CA is current: its nextUpdate is its thisUpdate plus
    /// this. The CA issues a new CRL on every revocation, and when the current one has
    /// passed its nextUpdate at a request for it (reading the emulator's clock). Defaults to
    /// [`DEFAULT_CRL_VALIDITY`] (24 hours).
    pub fn crl_validity(mut self, validity: Duration) -> Self {
        self.config.crl_validity = validity;
        self
    }

    /// How long a connection may take to send a request's headers (against slowloris) and
    /// may sit idle between requests: hyper starts this timer whenever a connection waits
    /// for a request head, so it is also the keep-alive idle timeout. Defaults to
    /// [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.header_read_timeout = timeout;
        self
    }

    /// How long one request may take from its headers to its answer, reading the body
    /// included; a slower one gets HTTP 408. Defaults to [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.request_timeout = timeout;
        self
    }

    /// The largest request body accepted, in bytes; a larger declared `Content-Length` is
    /// refused with HTTP 413 before the body is read, and a chunked body that grows past it
    /// with a FAIL body (HTTP 400, CE3000) as soon as it does. Defaults to
    /// [`DEFAULT_BODY_LIMIT`].
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.limits.body_limit = bytes;
        self
    }

    /// How many connections are served at once; while that many are open, new ones wait in
    /// the listen backlog. Defaults to [`DEFAULT_MAX_CONNECTIONS`].
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.limits.max_connections = connections;
        self
    }

    /// How many requests are handled at once; further ones wait (within the request
    /// timeout). Defaults to [`DEFAULT_CONCURRENCY_LIMIT`].
    pub fn concurrency_limit(mut self, requests: usize) -> Self {
        self.config.limits.concurrency_limit = requests;
        self
    }

    /// The listen backlog: connections the kernel completes before they are accepted.
    /// Defaults to [`DEFAULT_BACKLOG`] (the kernel may cap it, at `net.core.somaxconn`).
    pub fn backlog(mut self, connections: u32) -> Self {
        self.config.limits.backlog = connections;
        self
    }

    /// How long each CRL of the test CA is current (thisUpdate to nextUpdate) by default: 24
    /// hours.
    pub const DEFAULT_CRL_VALIDITY: Duration = Duration::from_secs(24 * 3600);

    /// Who may use the control endpoints that move transactions, and the transactions
    /// listing. Defaults to [`ControlAccess::LoopbackOnly`].
    pub fn control_endpoints(mut self, access: ControlAccess) -> Self {
        self.config.control = access;
        self
    }

    /// Whether a sign request or result call whose session (its `sessionKey`, or another
    /// sealing of the same session) was used by an earlier accepted request is refused with
    /// `CE3000`, as the API document requires a new session key for every request. On by
    /// default. The sessions used are remembered as long as their transaction is.
    pub fn refuse_reused_session_keys(mut self, refuse: bool) -> Self {
        self.config.refuse_reused_session_keys = refuse;
        self
    }

    /// How long issued tokens live. Defaults to [`DEFAULT_TOKEN_LIFETIME`] (one year).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.token_lifetime = lifetime;
        self
    }

    /// Per-signer behaviour and injected faults (see [`Scenario`]). None by default.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.config.scenario = scenario;
        self
    }

    /// What the simulated user of each new transaction does, unless the
    /// [`scenario`](Self::scenario) has a rule for their signer. Defaults to
    /// [`UserBehaviour::default`] (opens after 300 ms, signs after 600 ms).
    pub fn user_behaviour(mut self, behaviour: UserBehaviour) -> Self {
        self.config.user_behaviour = behaviour;
        self
    }

    /// `expireSeconds` for sign requests that give none. Defaults to
    /// [`DEFAULT_EXPIRE_SECONDS`].
    pub fn default_expire_seconds(mut self, seconds: u32) -> Self {
        self.config.default_expire_seconds = seconds;
        self
    }

    /// Read the time from `clock`. Defaults to [`SystemClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self.config.manual_clock = None;
        self
    }

    /// Read the time from a [`ManualClock`]; the handle gives it back with
    /// [`EmulatorHandle::clock`].
    pub fn manual_clock(mut self, clock: ManualClock) -> Self {
        self.config.clock = Arc::new(clock.clone());
        self.config.manual_clock = Some(clock);
        self
    }

    /// Use this CA (certificate PEM and PKCS#8 RSA private key PEM) to issue the users'
    /// certificates, instead of one generated at start.
    pub fn ca_from_pem(
        mut self,
        certificate_pem: impl Into<String>,
        private_key_pem: impl Into<String>,
    ) -> Self {
        self.config.ca = CaSource::Pem {
            certificate: certificate_pem.into(),
            private_key: Zeroizing::new(private_key_pem.into()),
        };
        self
    }

    /// The configuration built so far.
    #[must_use]
    pub fn build(self) -> EmulatorConfig {
        self.config
    }

    /// Starts an emulator with this configuration; see [`Emulator::start`].
    ///
    /// # Errors
    ///
    /// As [`Emulator::start`].
    pub async fn start(self) -> Result<EmulatorHandle, Error> {
        Emulator::start(self.config).await
    }
}
