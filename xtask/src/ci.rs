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
    cmd("cargo", &["test", "--workspace"], &deny)?;
    cmd(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &deny,
    )?;
    Ok(())
}
