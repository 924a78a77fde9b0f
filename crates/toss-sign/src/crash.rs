//! Named points where crash tests kill the process (feature `crash-points`).
//!
//! With the feature on and `TOSS_CERT_CRASH_AT` naming a point, a process that reaches it
//! writes `toss-cert crash point: <name>` to stderr and stops there, so that a test can
//! `kill -9` it at exactly that line; if nobody does within two minutes it aborts. Without
//! the feature, or without the variable, the points cost nothing.

/// Stops at `name` when the crash tests asked for it.
#[cfg(feature = "crash-points")]
pub(crate) async fn point(name: &'static str) {
    use std::sync::OnceLock;
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("TOSS_CERT_CRASH_AT").ok());
    if at.as_deref() == Some(name) {
        eprintln!("toss-cert crash point: {name}");
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
        std::process::abort();
    }
}

/// Stops at `name` when the crash tests asked for it.
#[cfg(not(feature = "crash-points"))]
#[allow(clippy::unused_async)]
pub(crate) async fn point(_name: &'static str) {}
