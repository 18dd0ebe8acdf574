//! The README's examples run verbatim against the quick-start registry
//! (`demo/seed.toml`), so they cannot drift from the server. Only the
//! address changes: the test server listens on port 0, not 50051.
//!
//! The block that follows `<!-- readme-test -->` in README.md is run with
//! `bash -euo pipefail`; grpcurl and buf exit non-zero on any failed call.
//! The tools come from `MARQUE_TEST_GRPCURL` and `MARQUE_TEST_BUF`
//! (`scripts/test.sh` installs them) or from PATH.

use crate::common;

use std::{path::Path, time::Duration};

use common::Start;
use marque::seed::Seed;

fn readme_block() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let after = readme
        .split_once("<!-- readme-test -->")
        .expect("a <!-- readme-test --> marker in README.md")
        .1;
    let body = after
        .split_once("```sh\n")
        .expect("a ```sh block after the marker")
        .1;
    body.split_once("\n```")
        .expect("the end of the block")
        .0
        .to_string()
}

fn tool_dir(var: &str) -> Option<String> {
    let path = std::env::var_os(var)?;
    Path::new(&path)
        .parent()
        .map(|dir| dir.to_string_lossy().into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_examples_run_as_printed() {
    let mut start = Start::fixture();
    start.options.seed = Some(
        Seed::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/seed.toml"))
            .expect("demo seed"),
    );
    let server = start.start().await;
    let script = readme_block().replace("localhost:50051", &server.addr.to_string());
    assert!(
        script.contains("CheckSeller"),
        "the block holds the examples"
    );

    let mut path = std::env::var("PATH").unwrap_or_default();
    for var in ["MARQUE_TEST_GRPCURL", "MARQUE_TEST_BUF"] {
        if let Some(dir) = tool_dir(var) {
            path = format!("{dir}:{path}");
        }
    }
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .env("PATH", path)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the examples finish")
    .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "README examples failed ({}); install grpcurl and buf with scripts/test.sh\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // What the examples say they show.
    assert!(stdout.contains("marque.v1.RegistryService"));
    assert!(
        stdout.contains("Aurelle Sports"),
        "the aliases were updated"
    );
    assert!(stdout.contains("\"authorized\": true"));
    assert!(stdout.contains("SELLER_CHECK_REASON_CLASS_NOT_COVERED"));
    assert!(stdout.contains("SERVING"));
    assert!(stdout.contains("VERDICT_BLOCK"));
    assert!(stdout.contains("EVIDENCE_TEXT_OBFUSCATED"));
}
