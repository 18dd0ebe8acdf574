//! What an operator running replicas on PostgreSQL meets: a database URL
//! that can never connect, a migration history that cannot be read, and a
//! change feed whose LISTEN connection the database no longer lets in.
//! Always runs against PostgreSQL (see `common::pg` for how it is found).

use crate::common;

use std::time::Duration;

use common::{Start, TestServer, Who, pg, postgres_store};
use marque::pb::marque::v1 as pb;
use tonic_health::pb::health_check_response::ServingStatus;

/// The binary with `args`, its standard input closed: its exit status and
/// standard error, once it exits (within `limit`, or the test fails).
async fn run_binary(args: &[&str], limit: Duration) -> (std::process::ExitStatus, String) {
    run_binary_with(args, &[], limit).await
}

/// [`run_binary`] with the environment variables `env` set.
async fn run_binary_with(
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> (std::process::ExitStatus, String) {
    let output = tokio::time::timeout(
        limit,
        tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(args)
            .env_remove("MARQUE_DATABASE_URL")
            .env_remove("MARQUE_OPERATOR_KEY")
            .envs(env.iter().copied())
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

/// Boolean variables take `1` and `0` (and `yes`/`no`, `on`/`off`, in any
/// case, with whitespace around) as well as `true` and `false`:
/// `MARQUE_PLAINTEXT=1` stopped the start with clap's `invalid value '1'`.
/// Any other value stops it naming the variable. The start here goes on
/// past the variables and stops at a `--call-timeout` of 0s, which is
/// checked after them.
#[tokio::test]
async fn boolean_variables_take_1_and_0_and_refuse_the_rest_by_name() {
    let args = ["serve", "--listen", "127.0.0.1:0", "--call-timeout", "0s"];
    for (value, other) in [("1", "0"), ("0", "1"), (" Yes\n", "off"), ("ON", "No")] {
        let env = [
            ("MARQUE_PLAINTEXT", value),
            ("MARQUE_NO_MIGRATE", other),
            ("MARQUE_PRINT_OPERATOR_KEY", value),
        ];
        let (status, stderr) = run_binary_with(&args, &env, Duration::from_secs(20)).await;
        assert_eq!(status.code(), Some(1), "{env:?}: {stderr}");
        assert!(
            stderr.contains("--call-timeout must be more than 0s"),
            "{env:?}: {stderr}"
        );
    }
    for variable in [
        "MARQUE_PLAINTEXT",
        "MARQUE_NO_MIGRATE",
        "MARQUE_PRINT_OPERATOR_KEY",
    ] {
        for value in ["2", "maybe", ""] {
            let (status, stderr) =
                run_binary_with(&args, &[(variable, value)], Duration::from_secs(20)).await;
            assert_eq!(status.code(), Some(2), "{variable}={value:?}: {stderr}");
            assert!(
                stderr.contains(&format!("/ {variable} must be true or false"))
                    && stderr.contains(&format!("{value:?}")),
                "{variable}={value:?}: {stderr}"
            );
        }
    }
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

/// Each way a row of `marque_schema_history` may be garbled (refinery's
/// table; it reads the rows with `unwrap`, and panicked on each), as an
/// UPDATE of the row of `version`, and what the error names.
const CORRUPTIONS: &[(&str, &str)] = &[
    ("checksum = NULL", "checksum is NULL"),
    ("checksum = 'not-a-checksum'", "checksum is not a number"),
    (
        "applied_on = 'yesterday'",
        "applied_on is not an RFC 3339 time",
    ),
    ("applied_on = NULL", "applied_on is NULL"),
    ("name = NULL", "name is NULL"),
];

/// A migration history refinery cannot read (a row with a NULL, or a
/// checksum or applied_on that is not what it wrote) is an error that
/// names the table and the version and says it is unreadable, never a
/// panic: from the store, from `marque migrate` and from `marque serve`,
/// which exit 1 at once rather than try again. Verifying the schema (a
/// replica with `--no-migrate`) reads only the last version's row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreadable_migration_history_is_an_error_not_a_panic() {
    let url = pg::fresh_database().await;
    let store = marque::store::PostgresStore::new(marque::store::PostgresSettings::new(&url))
        .expect("store");
    store.migrate().await.expect("migrate");
    let admin = pg::session(&url).await;
    let last: i32 = admin
        .query_one("SELECT max(version) FROM marque_schema_history", &[])
        .await
        .expect("history")
        .get(0);
    assert!(last > 1, "two migrations at least");
    let keep = "CREATE TABLE kept_history AS SELECT * FROM marque_schema_history";
    admin.batch_execute(keep).await.expect("keep the history");
    let restore = "DELETE FROM marque_schema_history; \
                   INSERT INTO marque_schema_history SELECT * FROM kept_history";
    for (corruption, named) in CORRUPTIONS {
        for version in [1, last] {
            admin
                .batch_execute(&format!(
                    "UPDATE marque_schema_history SET {corruption} WHERE version = {version}"
                ))
                .await
                .expect("corrupt the history");
            let error = store.migrate().await.expect_err("unreadable");
            let text = format!("{error:#}");
            assert!(
                text.contains("the migration history is unreadable (table marque_schema_history")
                    && text.contains(&format!("version {version}'s {named}")),
                "{corruption}: {text}"
            );
            assert!(marque::store::needs_repair(&error), "{text}");
            let verified = store.verify_migrations().await;
            if version == last {
                let text = format!("{:#}", verified.expect_err("the last row is read"));
                assert!(text.contains(named), "{text}");
            } else {
                verified.expect("only the last version's row is read to verify");
            }
            admin.batch_execute(restore).await.expect("restore");
        }
    }
    store.migrate().await.expect("the history mended");
    store.verify_migrations().await.expect("the history mended");

    // The binaries: exit 1 at once, the message in the log, no panic.
    admin
        .batch_execute(&format!(
            "UPDATE marque_schema_history SET checksum = 'garbled' WHERE version = {last}"
        ))
        .await
        .expect("corrupt the history");
    for command in [
        &["migrate", "--wait", "5m"][..],
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["serve", "--listen", "127.0.0.1:0", "--no-migrate"][..],
    ] {
        let args = [command, &["--log-format", "json", "--database-url", &url]].concat();
        let (status, stderr) = run_binary(&args, Duration::from_secs(60)).await;
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the migration history is unreadable (table marque_schema_history")
                && stderr.contains(&format!("version {last}'s checksum is not a number")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    admin.batch_execute(restore).await.expect("restore");
}

/// A migration history without a column refinery made it with (dropped,
/// renamed), or with one of a type refinery does not read, is one for the
/// operator to mend, as an unreadable row is: an error naming the table
/// and the column, from the store, from `marque migrate` and from `marque
/// serve`, which exit 1 at once. `marque serve` tried again every 10 s for
/// ever, saying only that the column does not exist. A database out of
/// reach is not one to mend.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migration_history_without_its_columns_needs_an_operator() {
    let url = pg::fresh_database().await;
    let store = marque::store::PostgresStore::new(marque::store::PostgresSettings::new(&url))
        .expect("store");
    store.migrate().await.expect("migrate");
    let admin = pg::session(&url).await;
    let keep = "CREATE TABLE kept_history AS SELECT * FROM marque_schema_history";
    admin.batch_execute(keep).await.expect("keep the history");
    let restore = "DROP TABLE marque_schema_history; \
                   CREATE TABLE marque_schema_history (version int4 PRIMARY KEY, \
                   name varchar(255), applied_on varchar(255), checksum varchar(255)); \
                   INSERT INTO marque_schema_history SELECT * FROM kept_history";
    for (change, named) in [
        ("DROP COLUMN checksum", "column checksum is missing"),
        ("DROP COLUMN version", "column version is missing"),
        (
            "RENAME COLUMN applied_on TO applied_at",
            "column applied_on is missing",
        ),
        (
            "ALTER COLUMN name TYPE bytea USING convert_to(name, 'UTF8')",
            "column name is of type bytea",
        ),
    ] {
        admin
            .batch_execute(&format!("ALTER TABLE marque_schema_history {change}"))
            .await
            .expect("change the history");
        for error in [
            store.migrate().await.expect_err("unreadable"),
            store.verify_migrations().await.expect_err("unreadable"),
        ] {
            let text = format!("{error:#}");
            assert!(
                text.contains("the migration history is unreadable (table marque_schema_history")
                    && text.contains(named),
                "{change}: {text}"
            );
            assert!(marque::store::needs_repair(&error), "{change}: {text}");
        }
        admin.batch_execute(restore).await.expect("restore");
    }
    store.migrate().await.expect("the history mended");
    store.verify_migrations().await.expect("the history mended");

    admin
        .batch_execute("ALTER TABLE marque_schema_history DROP COLUMN checksum")
        .await
        .expect("change the history");
    for command in [
        &["migrate", "--wait", "5m"][..],
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["serve", "--listen", "127.0.0.1:0", "--no-migrate"][..],
    ] {
        let args = [command, &["--database-url", &url]].concat();
        let (status, stderr) = run_binary(&args, Duration::from_secs(60)).await;
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the migration history is unreadable (table marque_schema_history")
                && stderr.contains("column checksum is missing"),
            "{args:?}: {stderr}"
        );
    }
    admin.batch_execute(restore).await.expect("restore");

    // Connection refused: tried again, not for an operator.
    let away = marque::store::PostgresStore::new(marque::store::PostgresSettings::new(
        "postgres://marque@127.0.0.1:1/marque",
    ))
    .expect("store");
    for error in [
        away.migrate().await.expect_err("out of reach"),
        away.verify_migrations().await.expect_err("out of reach"),
    ] {
        assert!(!marque::store::needs_repair(&error), "{error:#}");
    }
}

/// A port on the loopback interface that was free a moment ago.
fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// `marque_store_up` and `marque_store_read_only` are served from the
/// start, at 0: a replica that never reaches its database showed neither
/// (they were set once the change feed was first read, after a load that
/// never came). One that loads reads `marque_store_up 1` at once, without
/// waiting for its follower's first poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_gauges_read_down_from_the_start() {
    let away = "postgres://marque@127.0.0.1:1/marque".to_owned();
    for (url, up) in [(away, 0), (pg::fresh_database().await, 1)] {
        let admin = free_port();
        let mut serving = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", "--feed-poll", "1h"])
            .args(["--admin-listen", &admin.to_string(), "--database-url", &url])
            .env_remove("MARQUE_DATABASE_URL")
            .env_remove("MARQUE_OPERATOR_KEY")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("run marque");
        let want = [
            format!("\nmarque_store_up {up}\n"),
            "\nmarque_store_read_only 0\n".to_owned(),
        ];
        let mut text = String::new();
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(admin).await.is_ok() {
                text = common::scrape_metrics(admin).await;
                if want.iter().all(|line| text.contains(line)) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            want.iter().all(|line| text.contains(line)),
            "{url}: want {want:?} in:\n{text}"
        );
        serving.kill().await.expect("stop marque");
    }
}

/// `marque_connections` has a series for each port from the start, at 0
/// on the API port before its first client: it was missing until a client
/// connected, so a dashboard or an alert on it had nothing to read on an
/// idle replica.
#[tokio::test]
async fn the_connection_gauges_read_0_before_the_first_client() {
    let admin = free_port();
    let mut serving = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--admin-listen", &admin.to_string()])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_OPERATOR_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("run marque");
    let mut text = String::new();
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(admin).await.is_ok() {
            text = common::scrape_metrics(admin).await;
            // The scrape's own connection.
            if text.contains("\nmarque_connections{port=\"admin\"}") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        text.contains("\nmarque_connections{port=\"api\"} 0\n"),
        "no API port series at 0 in:\n{text}"
    );
    serving.kill().await.expect("stop marque");
}

/// A replica of the fixture registry on `store`, with an admin port.
async fn replica(
    store: std::sync::Arc<dyn marque::store::Store>,
    seed_from: Option<&TestServer>,
) -> TestServer {
    let mut start = Start::fixture();
    if let Some(seeded) = seed_from {
        start.keys = seeded.keys.clone();
        start.options.seed = None;
    }
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    start.store = Some(store);
    start.start().await
}

/// The line of `marque_change_feed_listening` a scrape of `server`'s admin
/// port gives, once it reads `want` (within 20 s, or the test fails).
async fn wait_listening(server: &TestServer, want: u8) {
    let admin = server.admin.expect("admin port");
    let line = format!("\nmarque_change_feed_listening {want}\n");
    let mut text = String::new();
    for _ in 0..200 {
        text = common::scrape_metrics(admin).await;
        if text.contains(&line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("marque_change_feed_listening never read {want}:\n{text}");
}

/// A replica whose LISTEN connection is lost while the database refuses
/// new connections (`53300 too many connections`, here its role's
/// CONNECTION LIMIT) says so in `marque_change_feed_listening`, 0: it
/// said nothing, and health stayed SERVING. Health rightly stays SERVING,
/// since the polls still read the store through the pool's open
/// connections: another replica's write reaches it with them. Once the
/// database lets it in again, the gauge reads 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_feed_the_database_no_longer_lets_in_reads_not_listening() {
    let url = pg::fresh_database().await;
    let admin = pg::session(&url).await;
    // A role of its own, not a superuser (whom connection limits spare).
    let role = format!("marque_feed_{}", uuid::Uuid::new_v4().simple());
    let dbname = url
        .split_whitespace()
        .find_map(|part| part.strip_prefix("dbname="))
        .expect("dbname")
        .to_owned();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; ALTER DATABASE {dbname} OWNER TO {role}"
        ))
        .await
        .expect("create the role");
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    config.user(&role);
    let as_role = pg::to_url(&config);

    let limited = replica(postgres_store(&as_role), None).await;
    wait_listening(&limited, 1).await;
    // The pool's connections stay; no new one is let in, the LISTEN
    // connection's next included.
    admin
        .batch_execute(&format!("ALTER ROLE {role} CONNECTION LIMIT 0"))
        .await
        .expect("limit the role");
    let terminated: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE usename = $1 AND query LIKE 'LISTEN%'",
            &[&role],
        )
        .await
        .expect("terminate the LISTEN connection")
        .get(0);
    assert_eq!(terminated, 1, "one LISTEN connection");
    wait_listening(&limited, 0).await;

    // Another replica (the superuser's, let in) writes: the polls bring it.
    let other = replica(postgres_store(&url), Some(&limited)).await;
    let written = other
        .registry_as(Who::OwnerA)
        .create_brand(pb::CreateBrandRequest {
            brand_id: "polled".into(),
            brand: Some(pb::Brand {
                display_name: "Polled".into(),
                ..Default::default()
            }),
            request_id: "create-polled".into(),
        })
        .await
        .expect("write")
        .into_inner();
    let mut revision = 0;
    for _ in 0..100 {
        revision = limited.registry.snapshot().revision();
        if revision >= written.revision {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        revision >= written.revision,
        "{revision} < {}",
        written.revision
    );
    for service in ["marque.v1.RegistryService", "marque.v1.WatchService"] {
        assert_eq!(
            limited.health(service).await.expect("health"),
            ServingStatus::Serving as i32,
            "{service}"
        );
    }
    wait_listening(&limited, 0).await;

    admin
        .batch_execute(&format!("ALTER ROLE {role} CONNECTION LIMIT -1"))
        .await
        .expect("let the role in");
    wait_listening(&limited, 1).await;

    drop(other);
    drop(limited);
    // Best effort: the role owns the database and its tables.
    let _ = admin
        .batch_execute(&format!(
            "REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}; DROP ROLE {role}"
        ))
        .await;
}

/// A role for `url`'s database, with the admin's password if it has one,
/// and `grants` run for it there: its URL. Dropped with [`drop_role`].
async fn role_for(url: &str, grants: &str) -> (String, String) {
    let role = format!("marque_role_{}", uuid::Uuid::new_v4().simple());
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    let password = config
        .get_password()
        .map(|p| {
            format!(
                " PASSWORD '{}'",
                String::from_utf8_lossy(p).replace('\'', "''")
            )
        })
        .unwrap_or_default();
    let admin = pg::session(url).await;
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN{password}; {}",
            grants.replace("{role}", &role)
        ))
        .await
        .expect("create the role");
    config.user(&role);
    (role, pg::to_url(&config))
}

async fn drop_role(url: &str, role: &str) {
    let admin = pg::session(url).await;
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("drop the role");
}

/// A role without a privilege Marque needs (SQLSTATE 42501, at the load
/// here) was tried again for ever, each attempt a WARN as for a database
/// that is down. The server still tries again (a grant may come while it
/// waits), but says it at ERROR, once, naming the SQLSTATE and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_privilege_missing_at_load_is_said_at_error_once_and_tried_again() {
    use tokio::io::AsyncBufReadExt as _;
    let url = pg::fresh_database().await;
    let store = marque::store::PostgresStore::new(marque::store::PostgresSettings::new(&url))
        .expect("store");
    store.migrate().await.expect("migrate");
    // It may verify the schema, not read the registry.
    let (role, role_url) = role_for(&url, "GRANT SELECT ON marque_schema_history TO {role}").await;
    let mut serving = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-migrate"])
        .args(["--log-format", "json", "--database-url", &role_url])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_OPERATOR_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run marque");
    let mut lines = tokio::io::BufReader::new(serving.stderr.take().expect("stderr")).lines();
    let (mut errors, mut retries) = (Vec::new(), 0);
    let read = async {
        // Three attempts (200 ms, 400 ms and 800 ms apart) after the first.
        while retries < 4 {
            let line = lines.next_line().await.expect("read").expect("a line");
            let entry: serde_json::Value = serde_json::from_str(&line).expect(&line);
            let message = entry["fields"]["message"].as_str().unwrap_or_default();
            match entry["level"].as_str() {
                Some("ERROR") => errors.push(entry.clone()),
                Some("WARN") if message == "store not ready" => retries += 1,
                _ => {}
            }
            assert!(
                !message.contains("registry loaded"),
                "loaded without the privilege: {line}"
            );
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("four attempts within a minute");
    serving.kill().await.expect("stop marque");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0]["fields"];
    assert_eq!(error["sqlstate"], "42501", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("insufficient_privilege") && message.contains("grant"),
        "{message}"
    );
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|cause| cause.contains("permission denied")),
        "{error}"
    );
    drop_role(&url, &role).await;
}

/// `marque migrate` as a role that may not create tables (SQLSTATE 42501)
/// exits at once, saying the SQLSTATE and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migration_without_the_privilege_to_create_says_what_to_grant() {
    let url = pg::fresh_database().await;
    let (role, role_url) = role_for(&url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC").await;
    let args = ["migrate", "--wait", "5m", "--database-url", &role_url];
    let (status, stderr) = run_binary(&args, Duration::from_secs(60)).await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the database answered SQLSTATE 42501 (insufficient_privilege")
            && stderr.contains("CREATE on the schema"),
        "{stderr}"
    );
    drop_role(&url, &role).await;
}

/// `marque migrate`'s JSON lines, refinery's among them (`applying
/// migration`, written with the `log` crate), carry no path of the machine
/// that built the binary: tracing-log gave them as `log.file` (and
/// `log.line`, `log.module_path`) fields, which the JSON format wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migration_log_lines_carry_no_build_paths() {
    let url = pg::fresh_database().await;
    let args = ["migrate", "--log-format", "json", "--database-url", &url];
    let (status, stderr) = run_binary(&args, Duration::from_secs(60)).await;
    assert!(status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).expect(line))
        .collect();
    let refinery: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| {
            line["target"]
                .as_str()
                .is_some_and(|target| target.starts_with("refinery"))
        })
        .collect();
    assert!(
        refinery.iter().any(|line| line["fields"]["message"]
            .as_str()
            .is_some_and(|message| message.starts_with("applying migration"))),
        "{stderr}"
    );
    for line in &refinery {
        let fields = line["fields"].as_object().expect("fields");
        assert!(
            fields.keys().all(|name| name == "message"),
            "fields beside the message: {line}"
        );
    }
    assert!(
        !stderr.contains(".rs\"") && !stderr.contains("/src/") && !stderr.contains("log.file"),
        "{stderr}"
    );
}

/// A write that fails while the database is out of reach is one WARN line,
/// the call's `rpc failed` with the database's error as its `error`: it
/// was two, `store unavailable` with the error and `rpc failed` without.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_failed_in_an_outage_is_one_warn_line_with_its_cause() {
    use tokio::io::AsyncBufReadExt as _;
    let url = pg::fresh_database().await;
    let key = marque::auth::generate_key().secret;
    let listen = free_port();
    let mut serving = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args([
            "serve",
            "--listen",
            &listen.to_string(),
            "--log-format",
            "json",
        ])
        .args(["--operator-key", &key, "--database-url", &url])
        .args([
            "--database-connect-timeout",
            "1s",
            "--database-pool-wait",
            "1s",
        ])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_OPERATOR_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run marque");
    let mut lines = tokio::io::BufReader::new(serving.stderr.take().expect("stderr")).lines();
    let log = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push(line);
        }
        all
    });
    let bearer: tonic::metadata::MetadataValue<tonic::metadata::Ascii> =
        format!("Bearer {key}").parse().expect("a header");
    let call = |id: &str| {
        let mut request = tonic::Request::new(pb::CreateMemberRequest {
            member_id: id.into(),
            member: Some(pb::Member {
                display_name: "Outage Test".into(),
                kind: pb::MemberKind::Platform as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        });
        request
            .metadata_mut()
            .insert("authorization", bearer.clone());
        request
            .metadata_mut()
            .insert("x-request-id", id.parse().expect("a header"));
        request
    };
    let mut registry = None;
    for _ in 0..300 {
        if let Ok(mut client) =
            pb::registry_service_client::RegistryServiceClient::connect(format!("http://{listen}"))
                .await
            && client.create_member(call("before-outage")).await.is_ok()
        {
            registry = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut registry = registry.expect("the server serves writes within 30 s");
    pg::alter_database(&url, "ALLOW_CONNECTIONS false").await;
    pg::terminate_backends(&url).await;
    let failed = registry
        .create_member(call("during-outage"))
        .await
        .expect_err("no database");
    assert_eq!(failed.code(), tonic::Code::Unavailable, "{failed:?}");
    pg::alter_database(&url, "ALLOW_CONNECTIONS true").await;
    serving.kill().await.expect("stop marque");
    let lines = log.await.expect("the log");
    let warned: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| {
            entry["fields"]["request_id"] == "during-outage" && entry["level"] == "WARN"
        })
        .collect();
    assert_eq!(warned.len(), 1, "{warned:#?}\n{lines:#?}");
    let fields = &warned[0]["fields"];
    assert_eq!(fields["message"], "rpc failed", "{fields}");
    assert_eq!(fields["code"], "Unavailable", "{fields}");
    assert!(
        fields["error"]
            .as_str()
            .is_some_and(|cause| cause.contains("PostgreSQL") || cause.contains("connection")),
        "{fields}"
    );
}

/// A database URL whose Unix socket directory does not exist (a volume not
/// mounted; a proxy beside the server, such as the Cloud SQL Auth Proxy,
/// that has not made it yet) was tried again for ever, each try a WARN
/// with the driver's `No such file or directory`. `marque migrate` now
/// stops at once naming the directory; `marque serve` says it at ERROR
/// once, naming it, tries again, and serves once the socket is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_directory_that_does_not_exist_is_named_and_waited_for_by_serve_only() {
    use tokio::io::AsyncBufReadExt as _;
    let url = pg::fresh_database().await;
    let target: tokio_postgres::Config = url.parse().expect("url");
    let tcp = match target.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => {
            format!(
                "{host}:{}",
                target.get_ports().first().copied().unwrap_or(5432)
            )
        }
        other => panic!("the test database is not on TCP: {other:?}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sockets = dir.path().join("cloudsql");
    let shown = sockets.display().to_string();
    let through_socket = pg::with_address(&url, &shown, 5432);

    let args = ["migrate", "--wait", "5m", "--database-url", &through_socket];
    let started = std::time::Instant::now();
    let (status, stderr) = run_binary(&args, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        stderr.contains(&format!(
            "the directory of its Unix socket, {shown}, does not exist"
        )),
        "{stderr}"
    );

    let mut serving = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--database-url", &through_socket])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_OPERATOR_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run marque");
    let mut lines = tokio::io::BufReader::new(serving.stderr.take().expect("stderr")).lines();
    let mut entries: Vec<serde_json::Value> = Vec::new();
    let message = |entry: &serde_json::Value| {
        entry["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let read = async {
        let mut next = async || {
            let line = lines.next_line().await.expect("read").expect("a line");
            let entry: serde_json::Value = serde_json::from_str(&line).expect(&line);
            entries.push(entry.clone());
            entry
        };
        // Two tries after the first.
        let mut retries = 0;
        while retries < 2 {
            if message(&next().await) == "store not ready" {
                retries += 1;
            }
        }
        // The proxy makes the directory and its socket.
        std::fs::create_dir(&sockets).expect("mkdir");
        let proxy = tokio::net::UnixListener::bind(sockets.join(".s.PGSQL.5432")).expect("bind");
        tokio::spawn(async move {
            while let Ok((mut client, _)) = proxy.accept().await {
                let tcp = tcp.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(tcp).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        while message(&next().await) != "registry loaded" {}
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("loaded within a minute once the socket is there");
    serving.kill().await.expect("stop marque");
    let errors: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|entry| entry["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "{entries:#?}");
    assert_eq!(
        errors[0]["fields"]["directory"],
        shown.as_str(),
        "{entries:#?}"
    );
    assert!(
        message(errors[0]).contains("Unix socket does not exist"),
        "{entries:#?}"
    );
    let mended = entries
        .iter()
        .find(|entry| message(entry) == "the database lets the server in now")
        .unwrap_or_else(|| panic!("no line says it is mended: {entries:#?}"));
    assert_eq!(
        mended["fields"]["mended"],
        format!("no socket directory {shown}").as_str(),
        "{mended}"
    );
}
