//! `cargo xtask ci`: every check CI makes, in one list (`.github/workflows/ci.yml` and `.ci/run` run this).

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
const ALL_FEATURE_PACKAGES: [&str; 6] = [
    "toss-model",
    "toss-runtime",
    "toss-transport",
    "toss-sign",
    "toss-signed-doc",
    "toss-tx-store",
];

/// Packages with a default backend feature that can be turned off, tested without it too
/// (toss-signed-doc: `aws-lc` by default, the pure Rust `rsa` crate without).
const NO_DEFAULT_FEATURE_PACKAGES: [&str; 1] = ["toss-signed-doc"];

/// Feature combinations that must at least build without warnings, beyond what the tests
/// and `cargo hack --each-feature` (below) build already.
const CHECKED_FEATURE_SETS: [(&str, &[&str]); 1] =
    [("toss-signed-doc", &["--no-default-features", "--benches"])];

pub(crate) fn run() -> Result<(), String> {
    // Incremental artefacts are no use to a one-off run and would take a third of the disk.
    let deny = [
        ("RUSTFLAGS", "-D warnings"),
        ("RUSTDOCFLAGS", "-D warnings"),
        ("CARGO_INCREMENTAL", "0"),
    ];
    cmd("cargo", &["fmt", "--all", "--", "--check"], &[])?;
    crate::paths::check()?;
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
        &[("CARGO_INCREMENTAL", "0")],
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
    for features in WITHOUT_AWS_LC {
        without_aws_lc(features)?;
        cmd(
            "cargo",
            &[
                "test",
                "-p",
                "toss-sign",
                "--no-default-features",
                "--features",
                features,
            ],
            &deny,
        )?;
    }
    each_feature(&deny)?;
    cmd("cargo", &["test", "--workspace"], &deny)?;
    cmd(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &deny,
    )?;
    cmd("cargo", &["doc", "--workspace", "--no-deps"], &deny)?;
    // Every crate packaged and built as crates.io would (unpublished workspace crates
    // through cargo's local overlay), in dependency order.
    cmd(
        "cargo",
        &[
            "publish",
            "--workspace",
            "--exclude",
            "xtask",
            "--dry-run",
            "--allow-dirty",
        ],
        &[("CARGO_INCREMENTAL", "0")],
    )?;
    Ok(())
}

/// The client's feature sets that must build without aws-lc-rs: pure Rust crypto, TLS on
/// ring, either HTTP backend.
const WITHOUT_AWS_LC: [&str; 2] = ["rustcrypto,hyper", "rustcrypto,reqwest"];

/// The library crates whose features are checked one at a time.
const LIBRARIES: [&str; 10] = [
    "toss-crypto",
    "toss-model",
    "toss-runtime",
    "toss-transport",
    "toss-signed-doc",
    "toss-evidence",
    "toss-sign",
    "toss-token-redis",
    "toss-tx-store",
    "toss-emulator",
];

/// Fails if `cargo tree` of toss-sign with `features` (and no default ones) names an
/// aws-lc crate among its normal dependencies.
fn without_aws_lc(features: &str) -> Result<(), String> {
    let output = std::process::Command::new("cargo")
        .args([
            "tree",
            "-p",
            "toss-sign",
            "--no-default-features",
            "--features",
            features,
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(crate::run::root())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for toss-sign {features}"));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let aws_lc: Vec<&str> = tree
        .lines()
        .filter(|line| line.contains("aws-lc"))
        .collect();
    if aws_lc.is_empty() {
        eprintln!("toss-sign --features {features}: no aws-lc crate in the tree");
        Ok(())
    } else {
        Err(format!(
            "toss-sign --no-default-features --features {features} links aws-lc: {aws_lc:?}"
        ))
    }
}

/// Each feature of each library alone builds without a warning (`cargo hack`, from
/// crates.io; `.ci/run` installs it).
fn each_feature(deny: &[(&str, &str)]) -> Result<(), String> {
    for package in LIBRARIES {
        cmd(
            "cargo",
            &[
                "hack",
                "check",
                "-p",
                package,
                "--each-feature",
                "--no-dev-deps",
            ],
            deny,
        )?;
    }
    Ok(())
}
