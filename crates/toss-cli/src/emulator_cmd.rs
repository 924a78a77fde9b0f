//! `tosscert emulator serve`: the emulator, and with --print-env the shell lines that point
//! `tosscert request`, `status` and `result` (or any `Client::from_env`) at it.

use std::error::Error;
use std::io::Write as _;

use toss_emulator::EmulatorHandle;
use toss_emulator::serve::{banner, run_until_interrupted, serve_until_interrupted, start};
use toss_sign::env;

use crate::cli::EmulatorServeArgs;

pub(crate) async fn serve(args: EmulatorServeArgs) -> Result<String, Box<dyn Error>> {
    if !args.print_env {
        serve_until_interrupted(&args.serve).await?;
        return Ok(String::new());
    }
    let emulator = start(&args.serve).await?;
    // stdout carries only what a shell evaluates; the rest goes to stderr.
    eprintln!("{}", banner(&emulator, &args.serve));
    let trust_anchors = args
        .serve
        .write_ca_cert
        .as_deref()
        .and_then(std::path::Path::to_str);
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (the reader went away) must not stop the server.
    let _ = writeln!(stdout, "{}", env_lines(&emulator, trust_anchors));
    let _ = stdout.flush();
    drop(stdout);
    run_until_interrupted(emulator).await?;
    Ok(String::new())
}

/// `export NAME='value'` for every setting a client of `emulator` needs. The secret is the
/// emulator's own test secret, not one of a real account.
fn env_lines(emulator: &EmulatorHandle, trust_anchors: Option<&str>) -> String {
    let mut lines = vec![
        "# toss-emulator settings for `tosscert request/status/result` and Client::from_env"
            .to_owned(),
        export(env::API_BASE, emulator.base_url()),
        export(env::OAUTH_BASE, emulator.base_url()),
        export(env::PUBLIC_KEY, emulator.public_key_base64()),
        export(env::CLIENT_ID, emulator.client_id()),
        export(env::CLIENT_SECRET, emulator.client_secret()),
        export(env::TSA_URL, &emulator.tsa_url()),
    ];
    match trust_anchors {
        Some(path) => lines.push(export(env::TRUST_ANCHORS, path)),
        None => lines.push(format!(
            "# add --write-ca-cert FILE to export {} (the emulator's test CA)",
            env::TRUST_ANCHORS
        )),
    }
    lines.join("\n")
}

/// One `export` line, the value single-quoted for any POSIX shell.
fn export(name: &str, value: &str) -> String {
    format!("export {name}='{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(export("A", "plain"), "export A='plain'");
        assert_eq!(export("A", "it's $HOME"), r"export A='it'\''s $HOME'");
    }
}
