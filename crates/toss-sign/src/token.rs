//! Access tokens: the token type, the pluggable store, and the cache in front of it.
//!
//! # How a call gets its token
//!
//! Each client keeps the token it last used in memory and uses it without asking the
//! [`TokenStore`](toss_runtime::token::TokenStore) while it is fresh (until 5 minutes, or 10 % of its lifetime, before
//! expiry). The store is read only when that copy is missing, due for refresh, or was
//! refused by the provider (HTTP 401 or `CE1000`; a refused token is never taken back
//! from the store). One caller per process does the reading and fetching; the others wait
//! for it. With a shared store, the first process to need a new token takes the store's
//! refresh lock and fetches it; the others wait for it to appear in the store.
//!
//! # When the store fails
//!
//! A store error or a store that does not answer within
//! [`ClientBuilder::token_store_timeout`](crate::ClientBuilder::token_store_timeout)
//! never fails a call. The client goes on with its own token while it is fresh; when it
//! needs a new one and the store fails, it fetches one for this process alone, keeps it,
//! and offers it to the store in the background, into an empty slot only (a failure there
//! is only logged). A stored value the store cannot read is the store's to report as
//! absent.
//!
//! After a store operation fails or times out, the client leaves the store out (and
//! fetches for this process alone) for 2 s, twice as long after each further failure in a
//! row, at most 30 s; the first success resets that. So a failing store delays calls by at
//! most one store timeout per such window, however many callers are waiting: the caller
//! that meets the failure waits for it once, and the callers queued behind it (each
//! fetching in turn if the fetch before it failed) skip the store. A queued caller still
//! waits for the token requests ahead of it, which the request timeout bounds.
//!
//! The trade-off: during an outage of a shared store each process may fetch its own
//! token, one per process per outage (it is fresh for its whole lifetime afterwards),
//! instead of one for the fleet. The provider asks for one token at a time; the
//! alternative, failing every call until the store is back, costs more. Once the store
//! answers again (and the window has passed) the fleet shares one token from the next
//! refresh on.

mod manager;

pub(crate) use manager::{DEFAULT_LOCK_TTL, DEFAULT_STORE_TIMEOUT, TokenManager};
