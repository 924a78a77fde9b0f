//! The emulator's own paths (the provider's live in `toss-model`), each written once: the
//! router, the handle's URLs and the certificates' extensions all read them from here.

/// Moves a transaction by hand: `open`, `complete` or `expire`.
pub(crate) const TX_ACTION: &str = "/emulator/v1/tx/{tx_id}/{action}";
/// Revokes the certificate that signed a transaction.
pub(crate) const TX_REVOKE: &str = "/emulator/v1/tx/{tx_id}/revoke";
/// The counts of calls answered.
pub(crate) const STATS: &str = "/emulator/v1/stats";
/// Every remembered transaction.
pub(crate) const TRANSACTIONS: &str = "/emulator/v1/transactions";
/// The key clients seal session keys with.
pub(crate) const PUBLIC_KEY: &str = "/emulator/v1/public-key";
/// The test CA's certificate.
pub(crate) const CA_CERTIFICATE: &str = "/emulator/v1/ca-certificate";
/// The test CA's CRL, named in every user certificate's CRL distribution points.
pub(crate) const CRL: &str = "/crl/emulator-ca.crl";
/// The OCSP responder named in every user certificate's authority information access.
///
/// Nothing answers here: the provider answers OCSP only for its contracted users, so the
/// URL is there for the certificates' shape, and the CRL is the emulator's way of telling
/// revocations.
pub(crate) const OCSP: &str = "/ocsp";
/// The RFC 3161 time-stamping authority.
pub(crate) const TSA: &str = "/tsa";
/// Whether the emulator is up.
pub(crate) const HEALTH: &str = "/emulator/v1/health";
/// Forgets every transaction, token, count and logged call.
pub(crate) const RESET: &str = "/emulator/v1/reset";
/// The log of the provider API's calls.
pub(crate) const REQUESTS: &str = "/emulator/v1/requests";
/// The Toss app's signing screen of one transaction.
pub(crate) const APP_SIGN: &str = "/app/sign/{tx_id}";
/// The Toss app's list of pending push requests, per signer.
pub(crate) const APP_INBOX: &str = "/app/inbox";
/// The universal link the iOS app link points at (the provider's `https://ul.toss.im`).
pub(crate) const UNIVERSAL_LINK: &str = "/ul";

/// The signing screen of `tx_id` ([`APP_SIGN`]).
pub(crate) fn app_sign(tx_id: &str) -> String {
    APP_SIGN.replace("{tx_id}", tx_id)
}
