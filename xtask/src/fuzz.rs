//! `cargo xtask fuzz`: every cargo-fuzz target of the workspace for a bounded time each.
//!
//! Each `fuzz/` crate keeps its committed inputs in `seeds/<target>` (seeds and minimized finds)
//! and `regressions/<target>` (crashes once found); the ordinary test suite replays them. Here
//! libFuzzer starts from them and writes what it finds to the ignored `corpus/<target>`, and a
//! crash to `artifacts/<target>`, failing the task.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{root, run_in};

/// The crates with a `fuzz/` directory.
const FUZZ_CRATES: [&str; 1] = ["crates/toss-signed-doc"];

pub(crate) fn run(seconds: u32) -> Result<(), String> {
    if !has_cargo_fuzz() {
        return Err("cargo-fuzz is not installed: `cargo install cargo-fuzz --locked`".into());
    }
    // libFuzzer's instrumentation needs nightly flags; a stable toolchain accepts them with
    // RUSTC_BOOTSTRAP, which is what cargo-fuzz's own docs suggest without a nightly.
    let nightly = has_nightly();
    let max_time = format!("-max_total_time={seconds}");
    for krate in FUZZ_CRATES {
        let dir = root().join(krate).join("fuzz");
        for target in targets(&dir)? {
            let corpus = format!("corpus/{target}");
            fs::create_dir_all(dir.join(&corpus)).map_err(|e| format!("{corpus}: {e}"))?;
            let mut args: Vec<&str> = Vec::new();
            if nightly {
                args.push("+nightly");
            }
            args.extend(["fuzz", "run", &target, &corpus]);
            let seeds = format!("seeds/{target}");
            let regressions = format!("regressions/{target}");
            for kept in [&seeds, &regressions] {
                if dir.join(kept).is_dir() {
                    args.push(kept);
                }
            }
            args.extend(["--", &max_time, "-print_final_stats=1"]);
            let env: &[(&str, &str)] = if nightly {
                &[]
            } else {
                &[("RUSTC_BOOTSTRAP", "1")]
            };
            run_in(&dir, "cargo", &args, env)?;
        }
    }
    Ok(())
}

/// The names of the `fuzz_targets/*.rs` files.
fn targets(dir: &Path) -> Result<Vec<String>, String> {
    let targets_dir = dir.join("fuzz_targets");
    let entries =
        fs::read_dir(&targets_dir).map_err(|e| format!("{}: {e}", targets_dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|path: PathBuf| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}

fn has_cargo_fuzz() -> bool {
    Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

fn has_nightly() -> bool {
    Command::new("cargo")
        .args(["+nightly", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}
