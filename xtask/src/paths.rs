//! `cargo xtask ci`'s check that each path of the provider's API is written once: in
//! `toss-model`'s operation model, and in no other crate's library code.

use std::fs;
use std::path::Path;

use crate::run::root;

/// The crate whose library code may write the provider's paths.
const HOME: &str = "crates/toss-model/src";

pub(crate) fn check() -> Result<(), String> {
    let root = root();
    let mut found = Vec::new();
    let crates = fs::read_dir(root.join("crates")).map_err(|e| format!("crates/: {e}"))?;
    for entry in crates.flatten() {
        let src = entry.path().join("src");
        if src.is_dir() && !src.ends_with(HOME) {
            scan(&src, &root, &mut found)?;
        }
    }
    if found.is_empty() {
        eprintln!("provider paths: written once, in {HOME}");
        Ok(())
    } else {
        Err(format!(
            "provider paths written outside {HOME} (use the Endpoint's OPERATION.path()):\n{}",
            found.join("\n")
        ))
    }
}

fn scan(dir: &Path, root: &Path, found: &mut Vec<String>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, root, found)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for (number, line) in text.lines().enumerate() {
                if is_code(line) && writes_provider_path(line) {
                    let shown = path.strip_prefix(root).unwrap_or(&path).display();
                    found.push(format!("{shown}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    Ok(())
}

fn is_code(line: &str) -> bool {
    !line.trim_start().starts_with("//")
}

/// A string literal that is, or begins with, one of the provider's paths.
fn writes_provider_path(line: &str) -> bool {
    line.contains("\"/token\"") || line.contains("\"/api/v1/") || line.contains("\"/api/v2/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_and_comments_are_not() {
        assert!(writes_provider_path(
            r#".route("/api/v2/sign/doc/status", post(x))"#
        ));
        assert!(writes_provider_path(r#"let url = "/token";"#));
        assert!(!writes_provider_path(
            r#".route(GetStatus::OPERATION.path(), post(x))"#
        ));
        assert!(!is_code("    /// `POST /api/v2/sign/doc/status`."));
    }
}
