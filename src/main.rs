//! The `marque` binary: parses the command line and calls into the library.

#![forbid(unsafe_code)]

use std::sync::Arc;

use clap::Parser;
use marque::{
    auth,
    config::{Cli, CliCommand},
    server::Server,
    store::MemoryStore,
    telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        CliCommand::Keygen => {
            let key = auth::generate_key();
            println!("secret: {}", key.secret);
            println!("id:     {}", key.id);
            println!("sha256: {}", hex::encode(key.sha256));
            Ok(())
        }
        CliCommand::Serve(args) => {
            telemetry::init(args.log_format, &args.log)?;
            let options = args.server_options()?;
            let server = Server::bind(options, Arc::new(MemoryStore::new())).await?;
            tracing::info!(address = %server.local_addr()?, "listening");
            server.run(marque::shutdown_signal()).await
        }
    }
}
