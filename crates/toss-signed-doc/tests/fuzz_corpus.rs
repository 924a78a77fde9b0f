//! Replays every fuzz target's kept corpus — the seeds, the inputs a fuzzing run found worth
//! keeping (minimized) and every crash ever reproduced — through the same code the target runs,
//! so what fuzzing found stays found on a toolchain without libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../fuzz/harness/parse.rs"]
mod parse_harness;

/// What a fuzz target does with one input.
type Harness = fn(&[u8]);

/// Each fuzz target by name, with the function its `fuzz_target!` calls.
const TARGETS: [(&str, Harness); 1] = [("parse", parse_harness::run)];

/// Where a target's kept inputs live: the seeds and minimized corpus, and the crashes.
const CORPUS_DIRS: [&str; 2] = ["seeds", "regressions"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in CORPUS_DIRS {
        let Ok(entries) = fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_fuzz_target_is_replayed_here() {
    let mut on_disk: Vec<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|entry| entry.expect("fuzz target entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| {
            path.file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut replayed: Vec<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    replayed.sort();
    assert_eq!(on_disk, replayed, "a fuzz target without a corpus replay");
}

#[test]
fn every_kept_input_runs_without_panicking() {
    for (target, run) in TARGETS {
        let files = inputs(target);
        assert!(
            files.len() >= 20,
            "{target}: only {} kept inputs; the seeds are missing",
            files.len()
        );
        for path in files {
            let data = fs::read(&path).expect("corpus file");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} panics", path.display());
        }
    }
}
