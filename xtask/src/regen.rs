//! `cargo xtask regen-fixtures`: fixtures made by tools independent of our code.

use std::fs;

use crate::run::{output, root};

pub(crate) fn run() -> Result<(), String> {
    let data = "crates/toss-crypto/tests/data";
    let csv = output("python3", &[&format!("{data}/make_cbc_vectors.py")])?;
    let path = root().join(data).join("aes_cbc.csv");
    fs::write(&path, csv).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
