//! What an operator running replicas on PostgreSQL meets: a database URL
//! that can never connect, a migration history that cannot be read, and a
//! change feed whose LISTEN connection the database no longer lets in.
//! Always runs against PostgreSQL (see `common::pg` for how it is found).

use std::time::Duration;

/// The binary with `args`, its standard input closed: its exit status and
/// standard error, once it exits (within `limit`, or the test fails).
async fn run_binary(args: &[&str], limit: Duration) -> (std::process::ExitStatus, String) {
    let output = tokio::time::timeout(
        limit,
        tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(args)
            .env_remove("MARQUE_DATABASE_URL")
            .env_remove("MARQUE_OPERATOR_KEY")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("marque {args:?} did not exit within {limit:?}"))
    .expect("run marque");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A database URL that names no host (libpq's default socket directory,
/// which tokio-postgres does not have) stops `marque serve` and `marque
/// migrate` at once, naming the flag and its variable: it tried again for
/// ever, saying only the driver's `both host and hostaddr are missing`.
#[tokio::test]
async fn a_database_url_that_names_no_host_stops_the_start_naming_the_flag() {
    for url in ["postgres:///marque", "postgres://marque:hunter2@/marque"] {
        for command in [
            &["serve", "--listen", "127.0.0.1:0"][..],
            &["migrate", "--wait", "5m"][..],
        ] {
            let args = [command, &["--database-url", url]].concat();
            let (status, stderr) = run_binary(&args, Duration::from_secs(20)).await;
            assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
            assert!(
                stderr.contains("--database-url / MARQUE_DATABASE_URL")
                    && stderr.contains("names no host"),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("hunter2"), "{stderr}");
        }
    }
}
