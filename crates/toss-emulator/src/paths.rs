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
