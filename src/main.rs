//! The `marque` binary: parses the command line and calls into the library.

#![forbid(unsafe_code)]

use std::{process::ExitCode, sync::Arc};

use clap::Parser;
use marque::{
    auth,
    config::{Cli, CliCommand, LogFormat},
    server::{Server, Stopped},
    store::{MemoryStore, PostgresStore, Store},
    telemetry,
};

/// Runs the command; an error that stops it is written in the log's own
/// format once the log is set up (a JSON log gets a JSON line saying why
/// the process stopped, not a line of plain text among its objects).
/// `serve` whose drain a second signal cut short exits with 128 plus the
/// signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a
/// process the signal killed: a clean stop is 0.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        CliCommand::Keygen => false,
        CliCommand::Migrate(args) => args.log_format == LogFormat::Json,
        CliCommand::Serve(args) => args.log_format == LogFormat::Json,
    };
    match run(cli).await {
        Ok(status) => status,
        // Where the log would write the line (`--log off` writes none).
        Err(error)
            if json && telemetry::installed() && tracing::enabled!(tracing::Level::ERROR) =>
        {
            tracing::error!(error = format!("{error:#}"), "stopped");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("Error: {error:?}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        CliCommand::Keygen => {
            let key = auth::generate_key();
            println!("secret: {}", key.secret);
            println!("id:     {}", key.id);
            println!("sha256: {}", hex::encode(key.sha256));
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Migrate(args) => {
            telemetry::init(args.log_format, &args.log)?;
            let settings = args
                .database
                .settings()?
                .ok_or_else(|| anyhow::anyhow!("give --database-url or MARQUE_DATABASE_URL"))?;
            let applied = PostgresStore::new(settings)?
                .migrate_within(args.wait)
                .await?;
            tracing::info!(applied, "migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Serve(args) => {
            telemetry::init(args.log_format, &args.log)?;
            // Before any detection index is built.
            let lists = args.ordinary_word_lists()?;
            if !lists.is_empty() {
                let texts: Vec<&str> = lists.iter().map(String::as_str).collect();
                let words = marque::detect::add_ordinary_words(&texts)?;
                tracing::info!(words, lists = lists.len(), "ordinary words");
            }
            let options = args.server_options()?;
            let database = args.database.settings()?;
            // Before any listener or database connection is opened.
            marque::descriptors::raise_for(&marque::descriptors::Needs {
                max_connections: options.max_connections,
                admin_port: options.admin_listen.is_some(),
                database_pool: database.as_ref().map(|settings| settings.pool_size),
            });
            let store: Arc<dyn Store> = match database {
                Some(settings) => Arc::new(PostgresStore::new(settings)?),
                None => Arc::new(MemoryStore::new()),
            };
            let server = Server::bind(options, store).await?;
            tracing::info!(address = %server.local_addr()?, "listening");
            if let Some(admin) = server.admin_addr()? {
                tracing::info!(address = %admin, "admin port: grpc.health.v1 and /metrics");
            }
            let (shutdown, second) = marque::shutdown_signals();
            let cut_by = std::sync::OnceLock::new();
            let cut = async {
                let _ = cut_by.set(second.await);
            };
            Ok(match server.run_until_cut(shutdown, cut).await? {
                Stopped::Drained => ExitCode::SUCCESS,
                Stopped::Cut => cut_by
                    .get()
                    .map_or(ExitCode::FAILURE, |signal| signal.exit_status().into()),
            })
        }
    }
}
