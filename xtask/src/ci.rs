//! `cargo xtask ci`: the checks of `.github/workflows/ci.yml`, locally.

use crate::run::run as cmd;

/// Packages whose features choose a crypto backend.
const CRYPTO_PACKAGES: [&str; 2] = ["toss-crypto", "toss-cli"];

/// Feature sets each package with backends is checked and tested under.
const CRYPTO_FEATURE_SETS: [&[&str]; 3] = [
    &[],
    &["--no-default-features", "--features", "rustcrypto"],
    &["--all-features"],
];

/// Packages whose feature-gated suites (both transports, mocks, test utilities, the
/// PostgreSQL store) run only with every feature on.
const ALL_FEATURE_PACKAGES: [&str; 5] = [
    "toss-model",
    "toss-transport",
    "toss-sign",
    "toss-signed-doc",
    "toss-tx-store",
];

/// Packages with a default backend feature that can be turned off, tested without it too
/// (toss-signed-doc: `aws-lc` by default, the pure Rust `rsa` crate without).
const NO_DEFAULT_FEATURE_PACKAGES: [&str; 1] = ["toss-signed-doc"];

/// Feature combinations that must at least build without warnings.
const CHECKED_FEATURE_SETS: [(&str, &[&str]); 4] = [
    (
        "toss-sign",
        &["--no-default-features", "--features", "rustcrypto,hyper"],
    ),
    ("toss-transport", &["--no-default-features"]),
    ("toss-signed-doc", &["--no-default-features", "--benches"]),
    (
        "toss-transport",
        &["--no-default-features", "--features", "hyper"],
    ),
];

pub(crate) fn run() -> Result<(), String> {
    let deny = [
        ("RUSTFLAGS", "-D warnings"),
        ("RUSTDOCFLAGS", "-D warnings"),
    ];
    cmd("cargo", &["fmt", "--all", "--", "--check"], &[])?;
    cmd(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    for package in CRYPTO_PACKAGES {
        for features in CRYPTO_FEATURE_SETS {
            let mut args = vec!["test", "-p", package];
            args.extend_from_slice(features);
            cmd("cargo", &args, &deny)?;
        }
    }
    for package in ALL_FEATURE_PACKAGES {
        cmd("cargo", &["test", "-p", package, "--all-features"], &deny)?;
    }
    for package in NO_DEFAULT_FEATURE_PACKAGES {
        cmd(
            "cargo",
            &["test", "-p", package, "--no-default-features"],
            &deny,
        )?;
    }
    for (package, features) in CHECKED_FEATURE_SETS {
        let mut args = vec!["check", "-p", package];
        args.extend_from_slice(features);
        cmd("cargo", &args, &deny)?;
    }
    cmd("cargo", &["test", "--workspace"], &deny)?;
    cmd(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &deny,
    )?;
    Ok(())
}
