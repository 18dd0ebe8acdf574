//! Command line and environment (`MARQUE_*`) settings, parsed raw by clap,
//! then turned into validated [`ServerOptions`].

use std::{io::IsTerminal as _, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::{
    seed::Seed,
    server::{OperatorKey, ServerOptions, TlsFiles},
    store::{PostgresSettings, postgres::redacted_url},
};

/// A secret given on the command line or in the environment (an operator
/// key): its `Debug` never shows it, so settings can be printed and logged.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Secret(secret)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt("<redacted>", f)
    }
}

/// A database URL given on the command line or in the environment: its
/// `Debug` shows it without its passwords ([`redacted_url`]).
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, passwords included.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&redacted_url(&self.0), f)
    }
}

/// The value of a boolean flag or variable (`--plaintext`,
/// `MARQUE_PLAINTEXT`): `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`,
/// in any case, without the whitespace around it. clap's own parser for a
/// flag's variable takes only `true` and `false`, so `MARQUE_PLAINTEXT=1`
/// stopped the start; its `BoolishValueParser` takes `t`, `y` and the like
/// too, but names only the flag when it refuses a value, not the
/// variable it came from, and does not trim. On the command line the
/// flag alone is `true`, and a value needs `=`: `--plaintext=off`.
#[derive(Debug, Clone, Copy)]
pub struct Boolean;

impl Boolean {
    /// The spellings taken for true, lower case.
    pub const TRUE: [&'static str; 4] = ["true", "1", "yes", "on"];
    /// The spellings taken for false, lower case.
    pub const FALSE: [&'static str; 4] = ["false", "0", "no", "off"];

    /// `value` read as a boolean; `None` when it is none of the spellings.
    pub fn parse(value: &str) -> Option<bool> {
        let value = value.trim().to_ascii_lowercase();
        if Self::TRUE.contains(&value.as_str()) {
            Some(true)
        } else if Self::FALSE.contains(&value.as_str()) {
            Some(false)
        } else {
            None
        }
    }
}

impl clap::builder::TypedValueParser for Boolean {
    type Value = bool;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<bool, clap::Error> {
        if let Some(read) = value.to_str().and_then(Boolean::parse) {
            return Ok(read);
        }
        // Named as the other settings' messages name theirs: the flag and
        // the variable, either of which the value may have come from.
        let name = arg.map_or_else(
            || "a boolean setting".to_owned(),
            |arg| {
                let flag = arg
                    .get_long()
                    .map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}"));
                match arg.get_env() {
                    Some(env) => format!("{flag} / {}", env.to_string_lossy()),
                    None => flag,
                }
            },
        );
        let shown: String = value.to_string_lossy().chars().take(40).collect();
        Err(clap::Error::raw(
            clap::error::ErrorKind::ValueValidation,
            format!(
                "{name} must be true or false (or 1/0, yes/no, on/off, in any case), not \
                 {shown:?}\n"
            ),
        )
        .with_cmd(cmd))
    }
}

/// Marque: the brand registry of an anti-counterfeiting alliance.
#[derive(Debug, Parser)]
#[command(name = "marque", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: CliCommand,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the gRPC API.
    Serve(Box<ServeArgs>),
    /// Print a fresh API key secret (for --operator-key) and its SHA-256 (for seed files).
    Keygen,
    /// Apply the embedded database migrations (under an advisory lock) and exit.
    Migrate(MigrateArgs),
}

/// Where PostgreSQL is and how to use it.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL (`postgres://user@host/db?sslmode=require`). Without it the embedded
    /// in-memory store is used, which keeps nothing across restarts.
    #[arg(long, env = "MARQUE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,
    /// PEM CA bundle to verify PostgreSQL's certificate (sslmode=require); default: system roots.
    #[arg(long, env = "MARQUE_DATABASE_CA")]
    pub database_ca: Option<PathBuf>,
    /// Most pooled database connections.
    #[arg(long, env = "MARQUE_DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
    /// How long a call waits for a pooled connection before answering UNAVAILABLE.
    #[arg(long, env = "MARQUE_DATABASE_POOL_WAIT", default_value = "2s", value_parser = humantime::parse_duration)]
    pub database_pool_wait: Duration,
    /// How long opening a database connection may take.
    #[arg(long, env = "MARQUE_DATABASE_CONNECT_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub database_connect_timeout: Duration,
    /// Server-side limit for each SQL statement.
    #[arg(long, env = "MARQUE_DATABASE_STATEMENT_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub database_statement_timeout: Duration,
}

impl DatabaseArgs {
    /// PostgreSQL settings, when a URL is given. The flags are checked
    /// without one too, though they then set nothing (the embedded store):
    /// a configuration that starts on the embedded store does not fail
    /// once the URL is added.
    ///
    /// # Errors
    /// A pool of no connection, a connect timeout of 0s, or a statement
    /// timeout outside 1ms to 2147483647ms.
    pub fn settings(&self) -> anyhow::Result<Option<PostgresSettings>> {
        anyhow::ensure!(
            self.database_pool_size > 0,
            "--database-pool-size must be at least 1: no call could reach the database"
        );
        for (flag, value, why) in [
            (
                "--database-connect-timeout",
                self.database_connect_timeout,
                "no connection could ever be opened",
            ),
            (
                "--database-statement-timeout",
                self.database_statement_timeout,
                "PostgreSQL reads 0 as no limit, and a write that never ends would hold the \
                 registry's write lock",
            ),
        ] {
            anyhow::ensure!(!value.is_zero(), "{flag} must be more than 0s: {why}");
        }
        // PostgreSQL takes whole milliseconds, at most `i32::MAX` of them:
        // under one it would read 0 (no limit), over it refuse every
        // connection.
        let statement = self.database_statement_timeout;
        anyhow::ensure!(
            statement >= Duration::from_millis(1)
                && statement <= Duration::from_millis(i32::MAX as u64),
            "--database-statement-timeout must be from 1ms to {}ms: PostgreSQL takes whole \
             milliseconds up to that",
            i32::MAX
        );
        use anyhow::Context as _;
        let Some(url) = &self.database_url else {
            return Ok(None);
        };
        // Without the whitespace around it: a Secret made from a file holds
        // its last newline, which tokio-postgres would read into the
        // database's name (or the last parameter), and the server would
        // wait for a database `marque\n` for ever.
        let mut settings = PostgresSettings::new(url.expose().trim());
        settings.ca_file = self.database_ca.clone();
        settings.pool_size = self.database_pool_size;
        settings.pool_wait = self.database_pool_wait;
        settings.connect_timeout = self.database_connect_timeout;
        settings.statement_timeout = self.database_statement_timeout;
        // Named by the setting it came from, never shown: a URL that does
        // not parse may hold its password anywhere.
        settings.check().context(
            "invalid --database-url / MARQUE_DATABASE_URL (postgres://user:password@host:port/\
             database?sslmode=require, or key=value pairs)",
        )?;
        Ok(Some(settings))
    }
}

/// `marque migrate` settings.
#[derive(Debug, Args)]
#[command(mut_arg("database_url", |url| url.help(
    "PostgreSQL URL (`postgres://user@host/db?sslmode=require`) of the database to migrate: \
     required, here or in MARQUE_DATABASE_URL"
)))]
pub struct MigrateArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How long to keep trying while the database cannot be reached (it refuses or drops the
    /// connection, does not answer, is starting, does not exist yet, refuses the role, or is
    /// read-only), trying again with backoff up to 10s apart; then exit non-zero saying so. Any
    /// other failure (a migration's SQL) exits at once. 0s tries once.
    #[arg(long, env = "MARQUE_MIGRATE_WAIT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub wait: Duration,
    /// Log format.
    #[arg(long, env = "MARQUE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "MARQUE_LOG", default_value = "info")]
    pub log: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `marque serve` settings.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on for gRPC.
    #[arg(long, env = "MARQUE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// TOML seed file loaded into an empty registry at start-up (see docs/seed.md).
    #[arg(long, env = "MARQUE_SEED")]
    pub seed: Option<PathBuf>,
    /// The first operator key (mq_{id}_{64 hex}, from `marque keygen`). Without it, when the
    /// registry has no operator key, one is created and printed once on standard output if that
    /// is a terminal; otherwise (a container) the log warns, and no secret is printed.
    #[arg(long, env = "MARQUE_OPERATOR_KEY", hide_env_values = true)]
    pub operator_key: Option<Secret>,
    /// Create and print a first operator key (when the registry has none and none is given)
    /// even where standard output is not a terminal: for a script that reads it from a pipe.
    /// Never where standard output goes to the logs (a container).
    #[arg(long, env = "MARQUE_PRINT_OPERATOR_KEY", num_args = 0..=1, require_equals = true,
          action = ArgAction::SetTrue, value_parser = Boolean)]
    pub print_operator_key: bool,
    /// Member id of the operator that owns the bootstrap key.
    #[arg(long, env = "MARQUE_OPERATOR_MEMBER", default_value = "operator")]
    pub operator_member: String,
    /// PEM certificate chain for TLS.
    #[arg(long, env = "MARQUE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, env = "MARQUE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: require client certificates that chain to it (mTLS).
    #[arg(long, env = "MARQUE_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// How often the TLS files are read again: a renewed certificate (or client CA) is served
    /// to new connections from the next look; files that do not make a valid configuration
    /// are logged and the previous one kept; 0s reads them only at start.
    #[arg(long, env = "MARQUE_TLS_RELOAD_INTERVAL", default_value = "30s", value_parser = humantime::parse_duration)]
    pub tls_reload_interval: Duration,
    /// How long a new connection may take to show it is a client before it is closed: to finish
    /// its TLS handshake (with TLS), then to send HTTP/2's client preface (or, on the admin
    /// port, an HTTP/1 request head); plaintext connections included, on both ports. On the
    /// admin port, also how long a kept-alive HTTP/1 connection may wait to send its next request.
    #[arg(long, env = "MARQUE_TLS_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub tls_handshake_timeout: Duration,
    /// Serve plaintext on a non-loopback address (behind a TLS-terminating proxy only).
    #[arg(long, env = "MARQUE_PLAINTEXT", num_args = 0..=1, require_equals = true,
          action = ArgAction::SetTrue, value_parser = Boolean)]
    pub plaintext: bool,
    /// How long health says NOT_SERVING before the listener closes, on SIGTERM/SIGINT (a second
    /// signal cuts the shutdown short: the process exits at once with 128 + its number).
    #[arg(long, env = "MARQUE_SHUTDOWN_GRACE", default_value = "5s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,
    /// How long in-flight calls may run after the listener closes; more than 0s (0s would cut
    /// every call in flight at once, at each rollout and scale-in).
    #[arg(long, env = "MARQUE_DRAIN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub drain_timeout: Duration,
    /// How long a read waits for a `min_revision` this replica has not reached.
    #[arg(long, env = "MARQUE_MIN_REVISION_WAIT", default_value = "2s", value_parser = humantime::parse_duration)]
    pub min_revision_wait: Duration,
    /// Log format.
    #[arg(long, env = "MARQUE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "MARQUE_LOG", default_value = "info")]
    pub log: String,
    /// The database (none: the embedded in-memory store).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Do not apply database migrations at start; only check that they are applied
    /// (when a migration job runs `marque migrate` before the replicas start).
    #[arg(long, env = "MARQUE_NO_MIGRATE", num_args = 0..=1, require_equals = true,
          action = ArgAction::SetTrue, value_parser = Boolean)]
    pub no_migrate: bool,
    /// Plaintext admin address for the pod network: grpc.health.v1 (same state as the API
    /// port; `liveness` is SERVING while the process is up) and Prometheus /metrics.
    #[arg(long, env = "MARQUE_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Close client connections gracefully after this long, on both ports, so HTTP/2 connections
    /// rebalance.
    #[arg(long, env = "MARQUE_MAX_CONNECTION_AGE", value_parser = humantime::parse_duration)]
    pub max_connection_age: Option<Duration>,
    /// On the API port, how long a connection closed at --max-connection-age may keep its open
    /// calls (a Watch, an import) before it is closed and they are cut; none waits for them.
    #[arg(long, env = "MARQUE_MAX_CONNECTION_AGE_GRACE", value_parser = humantime::parse_duration)]
    pub max_connection_age_grace: Option<Duration>,
    /// Send an HTTP/2 PING on every client connection this often, on both ports (and probe their
    /// idle TCP connections as often), closing connections whose peer is gone; 0s sends none.
    #[arg(long, env = "MARQUE_KEEPALIVE_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub keepalive_interval: Duration,
    /// How long a keepalive PING may go unanswered before its connection is closed.
    #[arg(long, env = "MARQUE_KEEPALIVE_TIMEOUT", default_value = "20s", value_parser = humantime::parse_duration)]
    pub keepalive_timeout: Duration,
    /// Longest silence on an idle Watch stream before a checkpoint.
    #[arg(long, env = "MARQUE_WATCH_CHECKPOINT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub watch_checkpoint: Duration,
    /// Longest wait for an ImportAuthorizations stream's next message: an import silent for
    /// longer ends with ABORTED and applies nothing.
    #[arg(long, env = "MARQUE_IMPORT_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub import_idle_timeout: Duration,
    /// Longest an ImportAuthorizations stream may stay open: one still open after it ends with
    /// ABORTED and applies nothing.
    #[arg(long, env = "MARQUE_IMPORT_MAX_DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub import_max_duration: Duration,
    /// Most calls open at once on one client connection (HTTP/2
    /// SETTINGS_MAX_CONCURRENT_STREAMS); a client queues the rest.
    #[arg(long, env = "MARQUE_MAX_CONCURRENT_STREAMS", default_value_t = 256)]
    pub max_concurrent_streams: u32,
    /// Most client connections open at once on the API port (and, apart, on the admin port);
    /// past it, new ones wait in the listen queue until one closes.
    #[arg(long, env = "MARQUE_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Longest a call may take to answer (a stream: its first answer; not ImportAuthorizations,
    /// which has its own limits); past it, DEADLINE_EXCEEDED. Bounds what a client that opens
    /// calls and never sends their request holds.
    #[arg(long, env = "MARQUE_CALL_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub call_timeout: Duration,
    /// How often the change feed is polled besides NOTIFY wake-ups.
    #[arg(long, env = "MARQUE_FEED_POLL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub feed_poll: Duration,
    /// Word lists (UTF-8, one word a line) whose words, besides the built-in English ones, are
    /// never taken for misspelt brand names: for listings in other languages. A directory
    /// means every file in it (a mounted ConfigMap). Comma-separated in the environment.
    #[arg(long, env = "MARQUE_ORDINARY_WORDS", value_delimiter = ',')]
    pub ordinary_words: Vec<PathBuf>,
}

/// Most bytes of word lists `--ordinary-words` reads in all.
pub const ORDINARY_WORDS_MAX_BYTES: u64 = 64 << 20;

impl ServeArgs {
    /// The texts of the `--ordinary-words` lists: each file, and each file of each directory
    /// (by name, hidden ones skipped).
    ///
    /// # Errors
    /// When a list cannot be read, is not UTF-8, or the lists exceed
    /// [`ORDINARY_WORDS_MAX_BYTES`].
    pub fn ordinary_word_lists(&self) -> anyhow::Result<Vec<String>> {
        use anyhow::Context as _;
        let mut files = Vec::new();
        for path in &self.ordinary_words {
            let meta = std::fs::metadata(path)
                .with_context(|| format!("--ordinary-words {}", path.display()))?;
            if meta.is_dir() {
                let mut inside = Vec::new();
                for entry in std::fs::read_dir(path)
                    .with_context(|| format!("--ordinary-words {}", path.display()))?
                {
                    let entry = entry?;
                    let hidden = entry.file_name().to_string_lossy().starts_with('.');
                    if !hidden && std::fs::metadata(entry.path())?.is_file() {
                        inside.push(entry.path());
                    }
                }
                inside.sort();
                files.extend(inside);
            } else {
                files.push(path.clone());
            }
        }
        let mut total = 0u64;
        let mut texts = Vec::with_capacity(files.len());
        for file in files {
            total += std::fs::metadata(&file)?.len();
            anyhow::ensure!(
                total <= ORDINARY_WORDS_MAX_BYTES,
                "--ordinary-words: the lists exceed {} MiB",
                ORDINARY_WORDS_MAX_BYTES >> 20
            );
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!("--ordinary-words {}: not a UTF-8 text file", file.display())
            })?;
            texts.push(text);
        }
        Ok(texts)
    }

    /// The server options these settings describe.
    ///
    /// # Errors
    /// When the seed file cannot be read or is invalid, or a timeout is zero.
    pub fn server_options(&self) -> anyhow::Result<ServerOptions> {
        anyhow::ensure!(
            !self.tls_handshake_timeout.is_zero(),
            "--tls-handshake-timeout must be more than 0s: no client could finish a handshake"
        );
        anyhow::ensure!(
            !self.import_idle_timeout.is_zero(),
            "--import-idle-timeout must be more than 0s: no import could wait for its next message"
        );
        anyhow::ensure!(
            !self.import_max_duration.is_zero(),
            "--import-max-duration must be more than 0s: no import could stay open"
        );
        // The drain is what a graceful shutdown is for: with none, every
        // call in flight as the listener closes (a write, an import, a
        // check) is cut with UNAVAILABLE at each rollout, and Watch
        // streams lose the end that tells them to resume elsewhere. The
        // chart refuses `drainTimeoutSeconds: 0` for the same reason.
        anyhow::ensure!(
            !self.drain_timeout.is_zero(),
            "--drain-timeout / MARQUE_DRAIN_TIMEOUT must be more than 0s: every call still in \
             flight when the listener closes would be cut at once, with UNAVAILABLE, rather than \
             finish (a shutdown waits no longer than the calls take; 30s by default)"
        );
        for (flag, value, why) in [
            (
                "--call-timeout",
                self.call_timeout,
                "every call would be cut before it answers",
            ),
            (
                "--feed-poll",
                self.feed_poll,
                "the change feed would be read in a busy loop",
            ),
            (
                "--watch-checkpoint",
                self.watch_checkpoint,
                "idle Watch streams would send checkpoints back to back",
            ),
            (
                "--keepalive-timeout",
                self.keepalive_timeout,
                "every connection would be closed at its first ping",
            ),
            (
                "--max-connection-age",
                self.max_connection_age.unwrap_or(Duration::MAX),
                "every connection would be closed as it opens (leave it out for no limit)",
            ),
            (
                "--max-connection-age-grace",
                self.max_connection_age_grace.unwrap_or(Duration::MAX),
                "every call open on a connection at its age would be cut (leave it out to wait for them)",
            ),
        ] {
            anyhow::ensure!(!value.is_zero(), "{flag} must be more than 0s: {why}");
        }
        anyhow::ensure!(
            self.max_connection_age_grace.is_none() || self.max_connection_age.is_some(),
            "--max-connection-age-grace needs --max-connection-age: without an age no connection is \
             asked to close, so the grace would never begin"
        );
        anyhow::ensure!(
            self.max_concurrent_streams > 0,
            "--max-concurrent-streams must be at least 1: no call could be made"
        );
        anyhow::ensure!(
            self.max_connections > 0,
            "--max-connections must be at least 1: no client could connect"
        );
        let mut options = ServerOptions::new(self.listen);
        options.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            }),
            _ => None,
        };
        options.tls_reload_every = self.tls_reload_interval;
        options.tls_handshake_timeout = self.tls_handshake_timeout;
        options.allow_plaintext = self.plaintext;
        options.seed = self.seed.as_deref().map(Seed::load).transpose()?;
        options.operator_key = match &self.operator_key {
            Some(secret) => OperatorKey::Given(given_operator_key(secret.expose())?),
            None if self.print_operator_key || std::io::stdout().is_terminal() => {
                OperatorKey::CreateIfMissing
            }
            None => OperatorKey::WarnIfMissing,
        };
        options.operator_member = self.operator_member.clone();
        options.shutdown_grace = self.shutdown_grace;
        options.drain_timeout = self.drain_timeout;
        options.min_revision_wait = self.min_revision_wait;
        options.feed_poll = self.feed_poll;
        options.migrate = !self.no_migrate;
        options.admin_listen = self.admin_listen;
        options.max_connection_age = self.max_connection_age;
        options.max_connection_age_grace = self.max_connection_age_grace;
        options.keepalive_interval =
            (!self.keepalive_interval.is_zero()).then_some(self.keepalive_interval);
        options.keepalive_timeout = self.keepalive_timeout;
        options.watch_checkpoint = self.watch_checkpoint;
        options.import_idle_timeout = self.import_idle_timeout;
        options.import_max_duration = self.import_max_duration;
        options.max_concurrent_streams = self.max_concurrent_streams;
        options.call_timeout = self.call_timeout;
        options.max_connections = self.max_connections;
        Ok(options)
    }
}

/// The operator key given, without the whitespace around it: a Secret
/// made from a file (`kubectl create secret --from-file`, `echo … |
/// base64`) holds the file's last newline, which no key has. Checked here,
/// before the server waits for its database: a malformed key found only
/// once the registry is loaded stopped every start, and was never found
/// while the database was out of reach. The error never shows the key.
///
/// # Errors
/// An empty key, or one that is not `mq_{id}_{64 hex digits}`.
fn given_operator_key(secret: &str) -> anyhow::Result<String> {
    let key = secret.trim();
    anyhow::ensure!(
        !key.is_empty(),
        "--operator-key / MARQUE_OPERATOR_KEY is empty (a Secret key without a value?): give \
         the key (mq_{{id}}_{{64 hex digits}}, from `marque keygen`), or leave it unset"
    );
    anyhow::ensure!(
        crate::auth::key_id_of(key).is_some(),
        "--operator-key / MARQUE_OPERATOR_KEY is malformed: expected mq_{{id}}_{{64 hex digits}} \
         (see `marque keygen`), {} characters given",
        key.chars().count()
    );
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServerOptions {
        let cli = Cli::try_parse_from([&["marque", "serve"], args].concat()).expect("parses");
        match cli.command {
            CliCommand::Serve(serve) => serve.server_options().expect("options"),
            other => panic!("not serve: {other:?}"),
        }
    }

    /// The database settings of `marque {command} --database-url {url}`.
    fn database_of(command: &str, url: &str) -> DatabaseArgs {
        let cli = Cli::try_parse_from(["marque", command, "--database-url", url]).expect("parses");
        match cli.command {
            CliCommand::Serve(serve) => serve.database,
            CliCommand::Migrate(migrate) => migrate.database,
            CliCommand::Keygen => panic!("not keygen"),
        }
    }

    fn refused(args: &[&str]) -> String {
        let cli = Cli::try_parse_from([&["marque", "serve"], args].concat()).expect("parses");
        match cli.command {
            CliCommand::Serve(serve) => {
                format!("{:#}", serve.server_options().expect_err("refused"))
            }
            other => panic!("not serve: {other:?}"),
        }
    }

    /// Every boolean flag takes the usual spellings of true and false, in
    /// any case and with whitespace around (`MARQUE_PLAINTEXT=1` stopped
    /// the start: clap took only `true` and `false`), and refuses any other
    /// naming its flag and variable.
    #[test]
    fn boolean_flags_take_the_usual_spellings_and_refuse_the_rest() {
        use clap::CommandFactory as _;
        let flags = [
            ("--plaintext", "MARQUE_PLAINTEXT"),
            ("--no-migrate", "MARQUE_NO_MIGRATE"),
            ("--print-operator-key", "MARQUE_PRINT_OPERATOR_KEY"),
        ];
        let read = |flag: &str, args: &[&str]| {
            let options = serve(args);
            match flag {
                "--plaintext" => options.allow_plaintext,
                "--no-migrate" => !options.migrate,
                _ => matches!(options.operator_key, OperatorKey::CreateIfMissing),
            }
        };
        for (flag, _) in flags {
            assert!(read(flag, &[flag]), "{flag} alone");
            for yes in ["1", "true", "TRUE", "Yes", "on", " on\n", "\ttrue "] {
                assert!(read(flag, &[&format!("{flag}={yes}")]), "{flag}={yes:?}");
            }
            if flag != "--print-operator-key" {
                // Off, it is whatever the terminal makes it.
                for no in ["0", "false", "False", "NO", "off", " 0 "] {
                    assert!(!read(flag, &[&format!("{flag}={no}")]), "{flag}={no:?}");
                }
            }
        }
        // The variable's value goes through the same parser as the flag's:
        // each refusal names both.
        let command = Cli::command();
        let serve_command = command.find_subcommand("serve").expect("serve");
        for (flag, variable) in flags {
            let arg = serve_command
                .get_arguments()
                .find(|arg| arg.get_long() == Some(&flag[2..]))
                .expect(flag);
            assert_eq!(
                arg.get_env().and_then(|env| env.to_str()),
                Some(variable),
                "{flag}"
            );
            for wrong in ["maybe", "", "2", "yes please", "enabled"] {
                let arg = format!("{flag}={wrong}");
                let error =
                    Cli::try_parse_from(["marque", "serve", arg.as_str()]).expect_err(wrong);
                let message = error.to_string();
                assert!(
                    message.contains(&format!("{flag} / {variable} must be true or false"))
                        && message.contains(&format!("{wrong:?}")),
                    "{flag}={wrong:?}: {message}"
                );
            }
            // A value needs `=`: a word after the flag is not taken for it.
            assert!(Cli::try_parse_from(["marque", "serve", flag, "true"]).is_err());
        }
    }

    #[test]
    fn the_tls_handshake_timeout_defaults_to_10s_and_is_never_zero() {
        let defaults = serve(&[]);
        assert_eq!(defaults.tls_handshake_timeout, Duration::from_secs(10));
        assert_eq!(
            defaults.tls_handshake_timeout,
            ServerOptions::new(defaults.listen).tls_handshake_timeout
        );
        assert_eq!(
            serve(&["--tls-handshake-timeout", "3s"]).tls_handshake_timeout,
            Duration::from_secs(3)
        );
        let message = refused(&["--tls-handshake-timeout", "0s"]);
        assert!(message.contains("--tls-handshake-timeout"), "{message}");
    }

    #[test]
    fn the_import_idle_timeout_defaults_to_60s_and_is_never_zero() {
        let defaults = serve(&[]);
        assert_eq!(defaults.import_idle_timeout, Duration::from_secs(60));
        assert_eq!(
            defaults.import_idle_timeout,
            ServerOptions::new(defaults.listen).import_idle_timeout
        );
        assert_eq!(
            serve(&["--import-idle-timeout", "5m"]).import_idle_timeout,
            Duration::from_secs(300)
        );
        let message = refused(&["--import-idle-timeout", "0s"]);
        assert!(message.contains("--import-idle-timeout"), "{message}");
    }

    #[test]
    fn an_import_stays_open_15m_at_most_by_default_never_0s() {
        let defaults = serve(&[]);
        assert_eq!(defaults.import_max_duration, Duration::from_secs(15 * 60));
        assert_eq!(
            defaults.import_max_duration,
            ServerOptions::new(defaults.listen).import_max_duration
        );
        assert_eq!(
            serve(&["--import-max-duration", "1h"]).import_max_duration,
            Duration::from_secs(3600)
        );
        let message = refused(&["--import-max-duration", "0s"]);
        assert!(message.contains("--import-max-duration"), "{message}");
    }

    /// A drain timeout of 0s was taken, and cut every call in flight at
    /// each shutdown: refused at start, naming its flag and variable.
    #[test]
    fn the_drain_timeout_defaults_to_30s_and_is_never_zero() {
        let defaults = serve(&[]);
        assert_eq!(defaults.drain_timeout, Duration::from_secs(30));
        assert_eq!(
            defaults.drain_timeout,
            ServerOptions::new(defaults.listen).drain_timeout
        );
        assert_eq!(
            serve(&["--drain-timeout", "1s"]).drain_timeout,
            Duration::from_secs(1)
        );
        for zero in ["0s", "0", "0ms"] {
            let message = refused(&["--drain-timeout", zero]);
            assert!(
                message.contains("--drain-timeout / MARQUE_DRAIN_TIMEOUT must be more than 0s"),
                "{message}"
            );
        }
    }

    /// A first operator key is created and printed only where standard
    /// output is a terminal; in a container it would go to the logs.
    #[test]
    fn without_an_operator_key_one_is_printed_only_on_a_terminal() {
        let options = serve(&[]);
        let printed = matches!(options.operator_key, OperatorKey::CreateIfMissing);
        let warned = matches!(options.operator_key, OperatorKey::WarnIfMissing);
        assert!(printed || warned, "{:?}", options.operator_key);
        assert_eq!(printed, std::io::stdout().is_terminal());
        let asked = serve(&["--print-operator-key"]);
        assert!(matches!(asked.operator_key, OperatorKey::CreateIfMissing));
        let key = crate::auth::generate_key().secret;
        let given = serve(&["--operator-key", &key]);
        assert!(matches!(given.operator_key, OperatorKey::Given(k) if k == key));
    }

    /// A key with whitespace around it (a Secret made from a file ends with
    /// its newline) is the key; one empty or malformed stops the start at
    /// once, named by its flag and variable and never shown.
    #[test]
    fn the_operator_key_is_trimmed_and_checked_before_the_start() {
        let key = crate::auth::generate_key().secret;
        for given in [
            format!("{key}\n"),
            format!("  {key}\r\n"),
            format!("\t{key}"),
        ] {
            let options = serve(&["--operator-key", &given]);
            assert!(
                matches!(&options.operator_key, OperatorKey::Given(k) if *k == key),
                "{given:?}"
            );
        }
        let secret = &key[key.len() - 64..];
        for (given, says) in [
            (String::new(), "is empty"),
            ("\n".to_owned(), "is empty"),
            ("mq_x_00".to_owned(), "is malformed"),
            (format!("{key} {key}"), "is malformed"),
            (key[..key.len() - 1].to_owned(), "is malformed"),
        ] {
            let message = refused(&["--operator-key", &given]);
            assert!(
                message.contains("--operator-key / MARQUE_OPERATOR_KEY") && message.contains(says),
                "{given:?}: {message}"
            );
            assert!(!message.contains(&secret[..60]), "the key shown: {message}");
        }
    }

    #[test]
    fn call_limits_default_to_256_streams_and_60s_and_are_never_zero() {
        let defaults = serve(&[]);
        let library = ServerOptions::new(defaults.listen);
        assert_eq!(defaults.max_concurrent_streams, 256);
        assert_eq!(defaults.call_timeout, Duration::from_secs(60));
        assert_eq!(
            defaults.max_concurrent_streams,
            library.max_concurrent_streams
        );
        assert_eq!(defaults.call_timeout, library.call_timeout);
        let set = serve(&["--max-concurrent-streams", "64", "--call-timeout", "10s"]);
        assert_eq!(
            (set.max_concurrent_streams, set.call_timeout),
            (64, Duration::from_secs(10))
        );
        for flag in [
            "--call-timeout",
            "--feed-poll",
            "--watch-checkpoint",
            "--keepalive-timeout",
            "--max-connection-age",
        ] {
            let message = refused(&[flag, "0s"]);
            assert!(message.contains(flag), "{message}");
        }
        let message = refused(&["--max-concurrent-streams", "0"]);
        assert!(message.contains("--max-concurrent-streams"), "{message}");
        assert_eq!(
            serve(&["--max-connection-age", "1s"]).max_connection_age,
            Some(Duration::from_secs(1))
        );
        let aged = ["--max-connection-age", "1s", "--max-connection-age-grace"];
        let message = refused(&[&aged[..], &["0s"]].concat());
        assert!(message.contains("--max-connection-age-grace"), "{message}");
        let options = serve(&[&aged[..], &["30s"]].concat());
        assert_eq!(
            options.max_connection_age_grace,
            Some(Duration::from_secs(30))
        );
        // Without an age, a grace would never begin: refused, not ignored.
        let message = refused(&["--max-connection-age-grace", "30s"]);
        assert!(message.contains("needs --max-connection-age"), "{message}");
    }

    #[test]
    fn an_invalid_database_url_names_its_flag_and_variable_and_not_its_password() {
        for url in [
            "host=db.example.internal password",
            "postgres://marque:hunter2@db.example.internal:hunter2/marque",
            "postgres://marque:hunter2@db.example.internal/marque?sslmode=hunter2",
            "postgres://marque:hunter2@db.example.internal/marque",
        ] {
            let cli =
                Cli::try_parse_from(["marque", "migrate", "--database-url", url]).expect("parses");
            let CliCommand::Migrate(migrate) = cli.command else {
                panic!("not migrate");
            };
            let error = migrate.database.settings().expect_err("refused");
            let message = format!("{error:#}");
            assert!(
                message.contains("--database-url") && message.contains("MARQUE_DATABASE_URL"),
                "{message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
            assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
        }
        let message = format!(
            "{:#}",
            Cli::try_parse_from(["marque", "serve", "--database-url", "host=x password"])
                .map(|cli| match cli.command {
                    CliCommand::Serve(serve) => serve.database.settings().map(drop),
                    other => panic!("not serve: {other:?}"),
                })
                .expect("parses")
                .expect_err("refused")
        );
        assert!(message.contains("unexpected EOF"), "{message}");
    }

    /// tokio-postgres has no default host (libpq's is its Unix socket
    /// directory): a URL without one could never connect, and is refused
    /// at start, named by its flag and variable, rather than tried again
    /// for ever.
    #[test]
    fn a_database_url_without_a_host_is_refused_at_start() {
        for url in [
            "postgres://",
            "postgres:///marque",
            "postgresql://marque:hunter2@/marque?sslmode=disable",
            "user=marque password=hunter2 dbname=marque",
        ] {
            for command in ["serve", "migrate"] {
                let database = database_of(command, url);
                let error = database.settings().expect_err("refused");
                let message = format!("{error:#}");
                assert!(
                    message.contains("--database-url")
                        && message.contains("MARQUE_DATABASE_URL")
                        && message.contains("names no host"),
                    "{url}: {message}"
                );
                assert!(!message.contains("hunter2"), "{message}");
            }
        }
        // A Unix socket directory is a host.
        for url in [
            "postgres:///marque?host=/run/postgresql",
            "postgres://marque@%2Frun%2Fpostgresql/marque",
            "host=/run/postgresql user=marque",
            "hostaddr=127.0.0.1 user=marque",
        ] {
            let cli =
                Cli::try_parse_from(["marque", "serve", "--database-url", url]).expect("parses");
            let CliCommand::Serve(serve) = cli.command else {
                panic!("not serve");
            };
            assert!(serve.database.settings().expect(url).is_some(), "{url}");
        }
    }

    /// `sslrootcert=system` with any sslmode but verify-full (libpq 16
    /// refuses the pair: `weak sslmode "require" may not be used with
    /// sslrootcert=system`) stops `serve` and `migrate` at start, naming
    /// the flag, both settings and what to write; verify-full, or no
    /// sslmode (its default there), starts.
    #[test]
    fn sslrootcert_system_with_a_weaker_sslmode_is_refused_at_start() {
        for command in ["serve", "migrate"] {
            for mode in ["require", "verify-ca", "disable"] {
                let url = format!(
                    "postgres://m:hunter2@db.example.internal/m?sslmode={mode}&sslrootcert=system"
                );
                let error = database_of(command, &url).settings().expect_err("refused");
                let message = format!("{error:#}");
                assert!(
                    message.contains("--database-url / MARQUE_DATABASE_URL")
                        && message.contains(&format!(
                            "sslmode={mode} may not be used with sslrootcert=system"
                        ))
                        && message.contains("write sslmode=verify-full"),
                    "{command} {mode}: {message}"
                );
                assert!(!message.contains("hunter2"), "{message}");
            }
            for url in [
                "postgres://m@db.example.internal/m?sslmode=verify-full&sslrootcert=system",
                "postgres://m@db.example.internal/m?sslrootcert=system",
            ] {
                let database = database_of(command, url);
                assert!(database.settings().expect(url).is_some(), "{url}");
            }
        }
    }

    /// A database URL read from a Secret made from a file ends with its
    /// newline: the database is the one named, not `m\n`.
    #[test]
    fn the_database_url_is_taken_without_the_whitespace_around_it() {
        for url in [
            "postgres://m@127.0.0.1/m\n",
            " postgres://m@127.0.0.1/m\r\n",
            "\tpostgres://m@127.0.0.1/m ",
        ] {
            for command in ["serve", "migrate"] {
                let database = database_of(command, url);
                let settings = database.settings().expect(url).expect("a URL");
                assert_eq!(settings.url, "postgres://m@127.0.0.1/m", "{url:?}");
            }
        }
    }

    #[test]
    fn database_settings_are_never_zero() {
        let database = |args: &[&str]| {
            let url = ["--database-url", "postgres://m@127.0.0.1/m"];
            let cli = Cli::try_parse_from([&["marque", "serve"], &url[..], args].concat())
                .expect("parses");
            match cli.command {
                CliCommand::Serve(serve) => serve.database.settings(),
                other => panic!("not serve: {other:?}"),
            }
        };
        let defaults = database(&[]).expect("defaults").expect("a URL");
        assert_eq!(defaults.pool_size, 16);
        for (flag, zero) in [
            ("--database-pool-size", "0"),
            ("--database-connect-timeout", "0s"),
            ("--database-statement-timeout", "0s"),
            ("--database-statement-timeout", "500us"),
            ("--database-statement-timeout", "30days"),
            ("--database-statement-timeout", "18446744073709551615s"),
        ] {
            let message = format!("{:#}", database(&[flag, zero]).expect_err("refused"));
            assert!(message.contains(flag), "{message}");
        }
        // Without a database URL they set nothing, but are checked all the
        // same: a configuration tried on the embedded store does not fail
        // once the URL is added.
        let embedded = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["marque", "serve"], args].concat()).expect("parses");
            match cli.command {
                CliCommand::Serve(serve) => serve.database.settings(),
                other => panic!("not serve: {other:?}"),
            }
        };
        assert!(embedded(&[]).expect("defaults").is_none());
        for (flag, zero) in [
            ("--database-pool-size", "0"),
            ("--database-connect-timeout", "0s"),
            ("--database-statement-timeout", "500us"),
            ("--database-statement-timeout", "3000000000ms"),
        ] {
            let message = format!("{:#}", embedded(&[flag, zero]).expect_err("refused"));
            assert!(message.contains(flag), "{message}");
        }
        let set = database(&["--database-pool-size", "1", "--database-pool-wait", "0s"])
            .expect("one connection, no wait")
            .expect("a URL");
        assert_eq!((set.pool_size, set.pool_wait), (1, Duration::ZERO));
    }

    #[test]
    fn connections_default_to_10000_a_port_and_are_never_zero() {
        let defaults = serve(&[]);
        assert_eq!(defaults.max_connections, 10_000);
        assert_eq!(
            defaults.max_connections,
            ServerOptions::new(defaults.listen).max_connections
        );
        assert_eq!(serve(&["--max-connections", "64"]).max_connections, 64);
        let message = refused(&["--max-connections", "0"]);
        assert!(message.contains("--max-connections"), "{message}");
        assert!(
            Cli::try_parse_from(["marque", "serve", "--max-connections", "-1"]).is_err(),
            "not a count"
        );
    }

    /// Settings are printed (a test's failure, a `{:?}` in a log line): the
    /// operator key and the database URL's passwords never show.
    #[test]
    fn the_settings_debug_shows_no_secret() {
        let key = "mq_op_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let url = "postgres://marque:hunter2@db.example.internal/marque?sslmode=require&password=swordfish";
        let cli = Cli::try_parse_from([
            "marque",
            "serve",
            "--operator-key",
            key,
            "--database-url",
            url,
        ])
        .expect("parses");
        let CliCommand::Serve(serve) = &cli.command else {
            panic!("not serve: {:?}", cli.command);
        };
        assert_eq!(serve.operator_key.as_ref().map(Secret::expose), Some(key));
        assert_eq!(
            serve
                .database
                .database_url
                .as_ref()
                .map(DatabaseUrl::expose),
            Some(url)
        );
        for debug in [
            format!("{cli:?}"),
            format!("{serve:?}"),
            format!("{:#?}", serve.database),
            format!("{:?}", serve.database.settings().expect("settings")),
        ] {
            for secret in [key, "0123456789abcdef", "hunter2", "swordfish"] {
                assert!(!debug.contains(secret), "{secret} shown: {debug}");
            }
        }
        let debug = format!("{serve:?}");
        assert!(
            debug.contains("operator_key: Some(\"<redacted>\")"),
            "{debug}"
        );
        assert!(
            debug.contains(
                "\"postgres://marque:<redacted>@db.example.internal/marque?sslmode=require&password=<redacted>\""
            ),
            "{debug}"
        );
        let migrate =
            Cli::try_parse_from(["marque", "migrate", "--database-url", url]).expect("parses");
        let debug = format!("{migrate:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    /// `marque migrate` needs a database, and says so in its help (not
    /// serve's "without it, the in-memory store"); it waits a minute for
    /// one by default.
    #[test]
    fn migrate_needs_a_database_and_waits_for_it_a_minute_by_default() {
        use clap::CommandFactory as _;
        let mut cli = Cli::command();
        cli.build();
        let help = |name: &str| {
            cli.find_subcommand(name)
                .expect("subcommand")
                .clone()
                .render_long_help()
                .to_string()
        };
        let migrate = help("migrate");
        assert!(!migrate.contains("in-memory"), "{migrate}");
        assert!(
            migrate.contains("of the database to migrate: required"),
            "{migrate}"
        );
        assert!(migrate.contains("--wait <WAIT>"), "{migrate}");
        assert!(migrate.contains("[default: 60s]"), "{migrate}");
        assert!(help("serve").contains("in-memory store is used"));
        let parsed = |args: &[&str]| {
            let cli =
                Cli::try_parse_from(["marque", "migrate"].iter().chain(args)).expect("parses");
            match cli.command {
                CliCommand::Migrate(args) => args.wait,
                other => panic!("not migrate: {other:?}"),
            }
        };
        assert_eq!(parsed(&[]), Duration::from_secs(60));
        assert_eq!(parsed(&["--wait", "0s"]), Duration::ZERO);
        assert_eq!(parsed(&["--wait", "5m"]), Duration::from_secs(300));
    }

    #[test]
    fn keepalive_defaults_to_a_ping_a_minute_and_0s_turns_it_off() {
        let defaults = serve(&[]);
        let library = ServerOptions::new(defaults.listen);
        assert_eq!(defaults.keepalive_interval, Some(Duration::from_secs(60)));
        assert_eq!(defaults.keepalive_interval, library.keepalive_interval);
        assert_eq!(defaults.keepalive_timeout, Duration::from_secs(20));
        assert_eq!(defaults.keepalive_timeout, library.keepalive_timeout);
        let set = serve(&["--keepalive-interval", "90s", "--keepalive-timeout", "5s"]);
        assert_eq!(set.keepalive_interval, Some(Duration::from_secs(90)));
        assert_eq!(set.keepalive_timeout, Duration::from_secs(5));
        assert_eq!(
            serve(&["--keepalive-interval", "0s"]).keepalive_interval,
            None
        );
        assert!(
            Cli::try_parse_from(["marque", "serve", "--keepalive-interval", "soon"]).is_err(),
            "not a duration"
        );
    }
}
