//! `drift-sync`: the daily reconciliation of the database with Twilio (SPEC §10), run by
//! cron. Thin by design: it parses flags, builds the application, runs one reconciliation,
//! prints the summary and exits with a code (0 all good, 1 a tenant failed or the brake
//! tripped, 2 bad configuration, 75 another run holds the lock).
//!
//! The reconciliation itself is not built yet: today the binary checks its configuration
//! and the database, says so, and exits 1 so that a cron job relying on it is not silently
//! reported healthy.

use std::process::ExitCode;

use clap::Parser;
use numbers_app::{App, Config, init_logging};

/// Reconcile the phone numbers database with Twilio.
#[derive(Debug, Parser)]
#[command(name = "drift-sync", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    let app = match App::build(&cli.config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "drift-sync cannot start");
            return ExitCode::from(2);
        }
    };
    tracing::error!(
        database = %app.database_url().redacted(),
        "drift-sync: the reconciliation is not implemented yet; nothing was checked"
    );
    ExitCode::from(1)
}
