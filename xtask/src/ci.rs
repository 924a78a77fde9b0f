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
    let result = steps();
    if result.is_err() {
        // A linker killed by SIGBUS or an I/O error in a build is most often a full disk;
        // the log should say so rather than leave it to be guessed.
        disk_report();
    }
    result
}

/// Prints the free space where the build writes, and how much the target directory holds.
fn disk_report() {
    let target = crate::run::target_dir();
    let target = target.to_string_lossy();
    let _ = cmd("df", &["-h", &target], &[]);
    let _ = cmd("du", &["-sh", &target], &[]);
}

fn steps() -> Result<(), String> {
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
            let mut args = vec!["-p", package];
            args.extend_from_slice(features);
            test(&args, &deny)?;
        }
    }
    for package in ALL_FEATURE_PACKAGES {
        test(&["-p", package, "--all-features"], &deny)?;
    }
    for package in NO_DEFAULT_FEATURE_PACKAGES {
        test(&["-p", package, "--no-default-features"], &deny)?;
    }
    for (package, features) in CHECKED_FEATURE_SETS {
        let mut args = vec!["check", "-p", package];
        args.extend_from_slice(features);
        cmd("cargo", &args, &deny)?;
    }
    for features in WITHOUT_AWS_LC {
        without_aws_lc(features)?;
        test(
            &[
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
    test(&["--workspace"], &deny)?;
    cmd(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &deny,
    )?;
    cmd("cargo", &["doc", "--workspace", "--no-deps"], &deny)?;
    // Every crate packaged and built as crates.io would (unpublished workspace crates
    // through cargo's local overlay), in dependency order. A packaged crate is built
    // without the workspace's profiles, so with full debug info unless told otherwise:
    // those builds are only compiled, never run or debugged.
    forget_packaged_sources()?;
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
        &[
            ("CARGO_INCREMENTAL", "0"),
            ("CARGO_PROFILE_DEV_DEBUG", "false"),
        ],
    )?;
    Ok(())
}

/// `cargo test args…`, then the test binaries it linked are removed.
///
/// Each feature set links its own copy of every test binary (tens of megabytes each, with
/// all dependencies inside), and none is run again by a later step: kept, they more than
/// doubled the disk a clean run needs. A later step that does want one has cargo link it
/// again, since cargo rebuilds a unit whose output is missing.
fn test(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let mut command = vec!["test"];
    command.extend_from_slice(args);
    cmd("cargo", &command, env)?;
    remove_test_binaries()
}

/// Removes the executables in `target/debug/deps`: test binaries and copies of the
/// workspace's programs (`target/debug/<program>` keeps the newest of each), but not the
/// running xtask's.
fn remove_test_binaries() -> Result<(), String> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let deps = crate::run::target_dir().join("debug").join("deps");
    let Ok(entries) = std::fs::read_dir(&deps) else {
        return Ok(());
    };
    let mut freed = 0_u64;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Libraries, dep-info and proc macros all have an extension; binaries have none.
        if name.contains('.') || name.starts_with("xtask-") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        std::fs::remove_file(entry.path())
            .map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
        // A program's copy also linked as `target/debug/<program>` frees nothing.
        if meta.nlink() == 1 {
            freed += meta.len();
        }
    }
    eprintln!(
        "xtask: test binaries removed, {} MB freed",
        freed / 1_000_000
    );
    Ok(())
}

/// Removes what cargo kept of our own crates from earlier dry runs' local overlay
/// registries: the extracted sources (`$CARGO_HOME/registry/{src,cache}/-<hash>/toss-*`)
/// and what was built from them in the target directory. Cargo takes a registry crate of
/// the same name and version for unchanged, so an earlier run's `toss-signed-doc 0.1.0`
/// would be used instead of this one's (as reported in 0xMiden/miden-vm#2530).
fn forget_packaged_sources() -> Result<(), String> {
    forget_packaged_builds()?;
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(kind)) else {
            continue;
        };
        for registry in registries.flatten() {
            // Local overlays have no host in their name: `-<hash>`.
            if !registry.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for entry in std::fs::read_dir(registry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if !entry.file_name().to_string_lossy().starts_with("toss-") {
                    continue;
                }
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// The artifacts in `target/debug` built from an overlay registry's copy of one of our
/// crates (their dep-info names `registry/src/-<hash>/toss-…`), with their fingerprints.
fn forget_packaged_builds() -> Result<(), String> {
    let target = crate::run::target_dir().join("debug");
    let Ok(deps) = std::fs::read_dir(target.join("deps")) else {
        return Ok(());
    };
    let mut stale = Vec::new();
    for entry in deps.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(unit) = name.strip_suffix(".d").filter(|n| n.starts_with("toss_")) else {
            continue;
        };
        let dep_info = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if dep_info.contains("/registry/src/-") {
            stale.push(unit.to_owned());
        }
    }
    for unit in stale {
        for name in [
            format!("{unit}.d"),
            format!("lib{unit}.rlib"),
            format!("lib{unit}.rmeta"),
        ] {
            let _ = std::fs::remove_file(target.join("deps").join(name));
        }
        let fingerprint = target.join(".fingerprint").join(unit.replace('_', "-"));
        if fingerprint.exists() {
            std::fs::remove_dir_all(&fingerprint)
                .map_err(|e| format!("cannot remove {}: {e}", fingerprint.display()))?;
        }
    }
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
