//! PostgreSQL for tests: `DATABASE_URL` when set, else the local server on
//! 127.0.0.1:5432 (`scripts/test.sh` starts one, or a throwaway cluster, and
//! sets `DATABASE_URL`). Each test gets a database of its own, named with
//! the run's `MARQUE_TEST_DB_TAG` (`scripts/test.sh` drops its run's when it
//! ends). When none is reachable the test fails at once with a message
//! saying so, never hangs.

use std::time::Duration;

use tokio_postgres::NoTls;

/// The server tests create their databases on.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

async fn admin() -> tokio_postgres::Client {
    let url = admin_url();
    let mut config: tokio_postgres::Config =
        url.parse().expect("DATABASE_URL is not a PostgreSQL URL");
    config.connect_timeout(Duration::from_secs(5));
    let connected = tokio::time::timeout(Duration::from_secs(10), config.connect(NoTls)).await;
    let (client, connection) = match connected {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => panic!(
            "no PostgreSQL reachable at {url} ({e}): set DATABASE_URL, or run scripts/test.sh, which starts one"
        ),
        Err(_) => panic!(
            "PostgreSQL at {url} did not answer within 10 s: set DATABASE_URL, or run scripts/test.sh"
        ),
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A session on the database at `url` (a test's own database, as the
/// server's superuser), its connection driven on a task of its own.
pub async fn session(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to the test database: {e}"));
    tokio::spawn(connection);
    client
}

/// A fresh, empty database; returns its URL.
pub async fn fresh_database() -> String {
    let client = admin().await;
    // `scripts/test.sh` tags its run's databases, and drops them when the
    // run ends.
    let tag = std::env::var("MARQUE_TEST_DB_TAG")
        .ok()
        .filter(|t| !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "untagged".into());
    let name = format!("marque_test_{tag}_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    let mut config: tokio_postgres::Config = admin_url().parse().expect("url");
    config.dbname(&name);
    to_url(&config)
}

/// Terminates every backend connected to `url`'s database but ours.
pub async fn terminate_backends(url: &str) -> u64 {
    let config: tokio_postgres::Config = url.parse().expect("url");
    let dbname = config.get_dbname().expect("dbname").to_string();
    admin()
        .await
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&dbname],
        )
        .await
        .map(|row| row.get::<_, i64>(0) as u64)
        .expect("terminate backends")
}

/// A key=value connection string for `config` (host, port, user, password, dbname).
pub fn to_url(config: &tokio_postgres::Config) -> String {
    let mut parts = Vec::new();
    if let Some(host) = config.get_hosts().first() {
        match host {
            tokio_postgres::config::Host::Tcp(h) => parts.push(format!("host={h}")),
            tokio_postgres::config::Host::Unix(p) => parts.push(format!("host={}", p.display())),
        }
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = config.get_user() {
        parts.push(format!("user={user}"));
    }
    if let Some(password) = config.get_password() {
        parts.push(format!(
            "password='{}'",
            String::from_utf8_lossy(password).replace('\'', "\\'")
        ));
    }
    if let Some(dbname) = config.get_dbname() {
        parts.push(format!("dbname={dbname}"));
    }
    parts.join(" ")
}

/// `url` pointed at another address (a proxy in front of the same server).
pub fn with_address(url: &str, host: &str, port: u16) -> String {
    let config: tokio_postgres::Config = url.parse().expect("url");
    let mut moved = tokio_postgres::Config::new();
    moved.host(host).port(port);
    if let Some(user) = config.get_user() {
        moved.user(user);
    }
    if let Some(password) = config.get_password() {
        moved.password(password);
    }
    if let Some(dbname) = config.get_dbname() {
        moved.dbname(dbname);
    }
    to_url(&moved)
}

/// `ALTER DATABASE <url's database> <change>`, from the admin database (a
/// change that keeps connections out could not be undone from inside).
pub async fn alter_database(url: &str, change: &str) {
    let config: tokio_postgres::Config = url.parse().expect("url");
    let dbname = config.get_dbname().expect("dbname");
    admin()
        .await
        .batch_execute(&format!("ALTER DATABASE {dbname} {change}"))
        .await
        .unwrap_or_else(|e| panic!("ALTER DATABASE {dbname} {change}: {e}"));
}
