//! Building a [`Client`].

use std::sync::Arc;
use std::time::Duration;

use toss_crypto::{Algorithm, CryptoProvider, DataKey, DataKeyRing, SessionGenerator};
use toss_model::Host;
use toss_runtime::clock::{Clock, SystemClock};
use toss_runtime::retry::{RetryBudget, RetryPolicy};
use toss_runtime::token::{InMemoryTokenStore, TokenStore};
use toss_transport::{HttpBackend, HttpTransport, SharedHttpTransport, TlsProvider};

use super::api::Transport;
use super::ledger::ResultLedger;
use super::{Client, Inner};
use crate::credentials::{ClientSecret, Environment};
use crate::env;
use crate::error::Error;
use crate::poll::PollPolicy;
use crate::token::{DEFAULT_LOCK_TTL, DEFAULT_STORE_TIMEOUT, TokenManager};

/// Builds a [`Client`]. Setters take and return the builder; every error waits for
/// [`build`](Self::build).
///
/// ```no_run
/// # async fn run() -> Result<(), toss_sign::Error> {
/// use toss_sign::{Client, Environment};
///
/// let client = Client::builder()
///     .client_id("test_a8e23336d673ca70922b485fe806eb2d")
///     .client_secret("test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3")
///     .environment(Environment::Production)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
#[derive(Debug, Default)]
pub struct ClientBuilder {
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    environment: Option<Environment>,
    public_key: Option<String>,
    crypto_provider: Option<&'static CryptoProvider>,
    session_algorithm: Algorithm,
    transport: super::api::TransportConfig,
    poll_policy: PollPolicy,
    token_store: Option<Arc<dyn TokenStore>>,
    token_lock_ttl: Option<Duration>,
    token_store_timeout: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    trust_anchors: Option<toss_signed_doc::TrustAnchors>,
    store: Option<super::durable::StoreHandle>,
    data_keys: Option<DataKeyRing>,
    data_keys_env: Option<EnvDataKeys>,
    lease_holder: Option<String>,
    result_lease_ttl: Option<Duration>,
    evidence: super::evidence::EvidenceSettings,
}

/// `TOSS_CERT_DATA_KEY` and `TOSS_CERT_DATA_KEY_PREVIOUS` as read by
/// [`ClientBuilder::from_env`], decoded in [`build`](ClientBuilder::build): only there is
/// the crypto provider known, which a build with both backends must be given first.
struct EnvDataKeys {
    current: zeroize::Zeroizing<String>,
    previous: Option<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for EnvDataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvDataKeys(<redacted>)")
    }
}

impl ClientBuilder {
    /// The client id the provider issued. Required.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The client secret the provider issued. Required.
    pub fn client_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Where calls go. Defaults to [`Environment::Production`] (test credentials use the
    /// same hosts).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The provider's RSA public key, PEM or base64 DER. Defaults to the key the provider
    /// publishes, embedded in `toss-crypto`.
    pub fn public_key(mut self, pem_or_base64: impl Into<String>) -> Self {
        self.public_key = Some(pem_or_base64.into());
        self
    }

    /// The crypto provider for session keys. Defaults to the one the crate features name;
    /// required when both `aws-lc` and `rustcrypto` are enabled.
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.crypto_provider = Some(provider);
        self
    }

    /// The algorithm of the sessions the client makes. Defaults to `AES_GCM`, the provider's
    /// default.
    pub fn session_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.session_algorithm = algorithm;
        self
    }

    /// How long to wait for a connection. Defaults to 5 s.
    pub fn timeout_connect(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = timeout;
        self
    }

    /// How long one call may take in all. Defaults to 30 s.
    pub fn timeout_request(mut self, timeout: Duration) -> Self {
        self.transport.request_timeout = timeout;
        self
    }

    /// The HTTP transport every call goes through. Defaults to toss-transport's default
    /// backend (reqwest, or hyper when only that feature is on) built with this
    /// builder's timeouts. A transport given here keeps its own connect timeout; each call
    /// still carries [`timeout_request`](Self::timeout_request) as its request timeout.
    pub fn transport(mut self, transport: impl HttpTransport + 'static) -> Self {
        self.transport.transport = Some(SharedHttpTransport::new(transport));
        self
    }

    /// Which HTTP stack the built-in transport uses. Needed when both the `reqwest` and
    /// `hyper` features are on (the build fails with an [`Error::Config`] naming this
    /// method otherwise); defaults to the one compiled in. Not used with
    /// [`transport`](Self::transport).
    pub fn http_backend(mut self, backend: HttpBackend) -> Self {
        self.transport.backend = Some(backend);
        self
    }

    /// Where the built-in transport's TLS gets its cryptography. Needed when both the
    /// `aws-lc` and `rustcrypto` (ring) features are on; defaults to the one compiled in.
    pub fn tls_provider(mut self, provider: TlsProvider) -> Self {
        self.transport.tls_provider = Some(provider);
        self
    }

    /// How many attempts a call may take, and how long to wait between them. Defaults to
    /// [`RetryPolicy::default`]: 3 attempts. Which failures are sent again is the retry
    /// classifiers' (`toss_runtime::retry`): whatever the policy, a sign request or a
    /// result fetch that may have reached the provider is never sent twice.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.transport.retry = policy;
        self
    }

    /// The budget every retry of this client draws from: give several clients one to
    /// bound their retries together. Defaults to a budget of the client's own
    /// ([`RetryBudget::default`]: 500 tokens, 5 a retry, 10 after a timeout).
    pub fn retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.transport.retry_budget = Some(budget);
        self
    }

    /// **Dangerous:** lets the client use plain `http` base URLs to hosts other than
    /// loopback, so that the client secret, tokens and encrypted personal data cross the
    /// network without TLS, readable and alterable by anyone on the path. Only for a test
    /// provider on a trusted network. Without it, [`build`](Self::build) refuses such a
    /// URL, and every call is checked again before it leaves (custom transports
    /// included). Plain `http` to `localhost`, `127.0.0.0/8` or `::1` (the emulator) is
    /// always allowed. Defaults to `false`.
    pub fn danger_allow_insecure_http(mut self, allow: bool) -> Self {
        self.transport.danger_allow_insecure_http = allow;
        self
    }

    /// The longest response body the built-in transport reads, in bytes; a longer one
    /// fails the call with a [`Error::Transport`] whose source says so, and is read no
    /// further. A transport given with [`transport`](Self::transport) applies its own
    /// limit. Defaults to 1 MiB, far above the provider's largest answer.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.transport.max_response_body = bytes;
        self
    }

    /// How [`wait`](Client::wait) polls when the caller gives no policy of its own. Defaults
    /// to [`PollPolicy::default`].
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.poll_policy = policy;
        self
    }

    /// Where access tokens are kept. Defaults to an [`InMemoryTokenStore`]; share a store
    /// between processes so a fleet uses one token.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// How long the fleet-wide token refresh lock of a shared [`TokenStore`] lives if its
    /// holder dies before releasing it: the longest the other processes wait before one
    /// of them fetches instead. Keep it above a token request's usual duration. Defaults
    /// to 10 seconds.
    pub fn token_lock_ttl(mut self, ttl: Duration) -> Self {
        self.token_lock_ttl = Some(ttl);
        self
    }

    /// The longest the client waits for one [`TokenStore`] operation before it goes on
    /// without the store (with its own token, or one it fetches for itself). A backstop
    /// for stores without a timeout of their own; keep it above the store's. Defaults to
    /// 2 seconds.
    pub fn token_store_timeout(mut self, timeout: Duration) -> Self {
        self.token_store_timeout = Some(timeout);
        self
    }

    /// The wall clock for token lifetimes and the 60-minute result window. Defaults to the
    /// system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The CA certificates the client checks a result's signer certificate against in
    /// [`Client::verify`] and [`Client::verify_trusted`]. Without them the client can
    /// prove what was signed, but not by whom. None is built in: the provider publishes
    /// Toss CA1 at <https://ca.cert.toss.im/toss-ca1.pem> and Toss Root CA1 at
    /// <https://root-ca.cert.toss.im/toss-root-ca1.pem>; give both (its signedDocs carry no
    /// intermediate).
    pub fn trust_anchors(mut self, anchors: toss_signed_doc::TrustAnchors) -> Self {
        self.trust_anchors = Some(anchors);
        self
    }

    /// The transaction store the client writes ahead to: sign requests become idempotent
    /// (see [`SignatureRequestBuilder::idempotency_key`](crate::SignatureRequestBuilder::idempotency_key)),
    /// every txId is stored right after the provider's answer, result fetches are leased,
    /// counted and stored before they are decrypted, and statuses seen while waiting are
    /// recorded. Needs a [`data_key`](Self::data_key). Share one store between the
    /// processes of a fleet (`toss-tx-store`'s PostgreSQL backend) so they share its
    /// leases and counts.
    pub fn store(mut self, store: Arc<dyn toss_runtime::tx::TxStore>) -> Self {
        self.store = Some(super::durable::StoreHandle::Ready(store));
        self
    }

    /// [`store`](Self::store) by location, opened on first use: a `postgres://` URL
    /// (feature `postgres`) or a SQLite file path (feature `sqlite`), as `TOSS_CERT_STORE`.
    pub fn store_location(mut self, location: impl Into<String>) -> Self {
        self.store = Some(super::durable::StoreHandle::location(location.into()));
        self
    }

    /// The application's data key, under which the store's copies of personal data (the
    /// request summary, the sign answer, the result body and its session) are sealed with
    /// AES-256-GCM. A ring also opens what older keys sealed; see
    /// [`DataKeyRing`](toss_crypto::DataKeyRing). Required with a store.
    pub fn data_key(mut self, keys: impl Into<DataKeyRing>) -> Self {
        self.data_keys = Some(keys.into());
        self.data_keys_env = None;
        self
    }

    /// The name this process takes leases under in the store. Defaults to one made of the
    /// process id and a random part; set it to a stable name (a pod name) to read leases
    /// in the store more easily.
    pub fn lease_holder(mut self, holder: impl Into<String>) -> Self {
        self.lease_holder = Some(holder.into());
        self
    }

    /// How long the fleet-wide lease a result fetch takes on its txId lasts: the longest
    /// another process waits before it may fetch when the holder died mid-fetch. It need
    /// only cover counting the fetch (a body that arrives later is still stored unless
    /// another process took the txId since). Defaults to the request timeout and 5 s.
    pub fn result_lease_ttl(mut self, ttl: Duration) -> Self {
        self.result_lease_ttl = Some(ttl);
        self
    }

    /// A builder filled from the `TOSS_CERT_*` variables (see [`Client::from_env`]), to
    /// adjust before [`build`](Self::build).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming a required variable that is missing.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| {
            var(name).ok_or_else(|| Error::Config(format!("{name} is not set")))
        };
        let mut builder = Self::default()
            .client_id(required(env::CLIENT_ID)?)
            .client_secret(required(env::CLIENT_SECRET)?);
        builder = match (var(env::OAUTH_BASE), var(env::API_BASE)) {
            (None, None) => builder,
            (Some(oauth_base), Some(api_base)) => builder.environment(Environment::Custom {
                oauth_base,
                api_base,
            }),
            (None, Some(base)) | (Some(base), None) => {
                builder.environment(Environment::single_host(base))
            }
        };
        if let Some(key) = var(env::PUBLIC_KEY) {
            builder = builder.public_key(key);
        }
        if let Some(path) = var(env::TRUST_ANCHORS) {
            builder = builder.trust_anchors(read_trust_anchors(&path)?);
        }
        if let Some(url) = var(env::TSA_URL) {
            builder = builder.tsa_url(url);
        }
        if let Some(location) = var(env::STORE) {
            builder = builder.store_location(location);
        }
        if let Some(seconds) = var(env::RESULT_LEASE_SECS) {
            let seconds = seconds
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| {
                    Error::Config(format!(
                        "{} must be 1 to 3600 seconds",
                        env::RESULT_LEASE_SECS
                    ))
                })?;
            builder = builder.result_lease_ttl(Duration::from_secs(seconds));
        }
        if let Some(key) = var(env::DATA_KEY) {
            builder.data_keys_env = Some(EnvDataKeys {
                current: key.into(),
                previous: var(env::DATA_KEY_PREVIOUS).map(Into::into),
            });
        }
        Ok(builder)
    }

    /// An RFC 3161 time-stamping authority (`http(s)://…`, `TOSS_CERT_TSA_URL`): after each
    /// result the client asks it for a timestamp over the signature, kept with the evidence
    /// and added to the exported signedDoc as the unsigned attribute
    /// signatureTimeStampToken (CAdES-T), which leaves the user's signature untouched. The
    /// request carries only a digest and may go over plain http. Defaults to none: no
    /// timestamp.
    pub fn tsa_url(mut self, url: impl Into<String>) -> Self {
        self.evidence.tsa_url = Some(url.into());
        self
    }

    /// Whether a client with a transaction store collects [evidence](Client::collect_evidence)
    /// after each result and stores it with the proof. Defaults to true; without a store,
    /// evidence is collected only when asked.
    pub fn collect_evidence(mut self, collect: bool) -> Self {
        self.evidence.enabled = collect;
        self
    }

    /// Whether the CRL of each distribution point is kept until its nextUpdate (a CA
    /// issues one a day) and used for every result until then. Defaults to true; with
    /// false every result's evidence fetches the CRL anew: the newest list, and one more
    /// call per result.
    pub fn cache_crls(mut self, cache: bool) -> Self {
        self.evidence.cache_crls = cache;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for missing credentials, an unusable public key, a base URL that is
    /// not `http(s)://…` or is plain `http` to a host other than loopback (see
    /// [`danger_allow_insecure_http`](Self::danger_allow_insecure_http)), or two crypto
    /// backends with none chosen; a store without a data key, or a `TOSS_CERT_DATA_KEY`
    /// (or `TOSS_CERT_DATA_KEY_PREVIOUS`) read by [`from_env`](Self::from_env) that is not
    /// base64 of 32 bytes.
    pub fn build(self) -> Result<Client, Error> {
        let client_id = self
            .client_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::Config("the client id is required".into()))?;
        let client_secret = self
            .client_secret
            .filter(|secret| !secret.expose_secret().is_empty())
            .ok_or_else(|| Error::Config("the client secret is required".into()))?;
        let environment = self.environment.unwrap_or(Environment::Production);
        for (which, base) in [
            ("OAuth", environment.base(Host::OAuth)),
            ("API", environment.base(Host::Api)),
        ] {
            self.transport.check_base(which, base)?;
        }
        if let Some(url) = &self.evidence.tsa_url {
            self.transport.check_public("TSA", url)?;
        }
        let provider = match self.crypto_provider {
            Some(provider) => provider,
            None => CryptoProvider::from_crate_features().ok_or_else(|| {
                Error::Config(
                    "both crypto backends are enabled: choose one with `.crypto_provider(...)`"
                        .into(),
                )
            })?,
        };
        let mut sessions = SessionGenerator::builder().crypto_provider(provider);
        if let Some(key) = self.public_key {
            sessions = sessions.public_key(key);
        }
        let sessions = sessions
            .build()
            .map_err(|e| Error::Config(format!("the provider public key is unusable: {e}")))?;
        let data_keys = match (self.data_keys, self.data_keys_env) {
            (Some(keys), _) => Some(keys),
            (None, Some(env)) => Some(read_data_keys(
                &env.current,
                env.previous.as_deref().map(String::as_str),
                provider,
            )?),
            (None, None) => None,
        };
        let durable = match (self.store, data_keys) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::Config(
                    "a transaction store needs a data key (ClientBuilder::data_key, \
                     TOSS_CERT_DATA_KEY) to seal what it keeps"
                        .into(),
                ));
            }
            (Some(store), Some(keys)) => Some(super::durable::Durable {
                store,
                sealer: super::durable::Sealer::new(keys, provider),
                holder: self.lease_holder.unwrap_or_else(default_holder),
                result_lease_ttl: self
                    .result_lease_ttl
                    .unwrap_or(self.transport.request_timeout + Duration::from_secs(5)),
            }),
        };
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let store = self
            .token_store
            .unwrap_or_else(|| Arc::new(InMemoryTokenStore::new()));
        Ok(Client {
            inner: Arc::new(Inner {
                client_id,
                client_secret,
                environment,
                sessions,
                transport: Transport::new(self.transport)?,
                tokens: TokenManager::with_settings(
                    store,
                    clock.clone(),
                    self.token_lock_ttl.unwrap_or(DEFAULT_LOCK_TTL),
                    self.token_store_timeout.unwrap_or(DEFAULT_STORE_TIMEOUT),
                ),
                clock,
                poll_policy: self.poll_policy,
                ledger: ResultLedger::default(),
                durable,
                algorithm: self.session_algorithm,
                evidence: self.evidence,
                crl_cache: super::evidence::CrlCache::default(),
                trust_anchors: self.trust_anchors,
            }),
        })
    }
}

/// `TOSS_CERT_DATA_KEY` (base64 of 32 bytes) and the comma-separated older keys of
/// `TOSS_CERT_DATA_KEY_PREVIOUS`, which open what they sealed. The messages never quote a
/// key.
fn read_data_keys(
    current: &str,
    previous: Option<&str>,
    provider: &'static CryptoProvider,
) -> Result<DataKeyRing, Error> {
    let key = |name: &str, text: &str| {
        DataKey::from_base64_with_provider(text, provider)
            .map_err(|e| Error::Config(format!("{name}: {e}")))
    };
    let mut ring = DataKeyRing::new(key(env::DATA_KEY, current)?);
    for text in previous
        .iter()
        .flat_map(|p| p.split(','))
        .filter(|t| !t.trim().is_empty())
    {
        ring = ring
            .with_previous(key(env::DATA_KEY_PREVIOUS, text)?)
            .map_err(|e| Error::Config(format!("{}: {e}", env::DATA_KEY_PREVIOUS)))?;
    }
    Ok(ring)
}

/// `pid<process id>-<random>`: unique enough among the processes of a fleet.
fn default_holder() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!(
        "pid{}-{:08x}",
        std::process::id(),
        hasher.finish() & 0xffff_ffff
    )
}

/// The CA certificates of the PEM file `TOSS_CERT_TRUST_ANCHORS` names.
fn read_trust_anchors(path: &str) -> Result<toss_signed_doc::TrustAnchors, Error> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("{}: cannot read {path}: {e}", env::TRUST_ANCHORS)))?;
    toss_signed_doc::TrustAnchors::from_pem(&pem)
        .map_err(|e| Error::Config(format!("{}: {path}: {e}", env::TRUST_ANCHORS)))
}
