//! `api`: the phone numbers service binary. Parses flags, builds the application, and either
//! serves HTTP (`serve`, the default) or runs an operator command. Everything worth testing
//! lives in the library crates (`numbers-app`, `numbers-http`).

use std::net::TcpListener;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use numbers_app::{App, Config, init_logging};

/// The phone numbers service.
#[derive(Debug, Parser)]
#[command(name = "api", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config).await,
        Command::Migrate => {
            let url = cli.config.database_url()?;
            let ran = numbers_app::migrate(&url).await?;
            tracing::info!(migrations = ran, database = %url.redacted(), "database is up to date");
            Ok(())
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let listener = TcpListener::bind(config.bind_addr)
        .with_context(|| format!("cannot listen on {} (BIND_ADDR)", config.bind_addr))?;
    let address = listener.local_addr()?;
    tracing::info!(
        database = %app.database_url().redacted(),
        "listening on http://{address} (GET /healthz, GET /readyz)"
    );
    numbers_http::serve(app, listener)?.await?;
    tracing::info!("stopped");
    Ok(())
}
