//! `drift-sync`: the daily reconciliation of the database with Twilio (SPEC §10), run by
//! cron. Thin by design: it parses flags, builds the application, runs one reconciliation
//! ([`numbers_app::drift`]), prints the summary and exits with a code: 0 all good, 1 a
//! tenant failed, the brake tripped or the listing failed, 2 bad configuration, 75 another
//! run holds the lock.
//!
//! It reads only what it needs: the deployment, the database, the master Twilio account and
//! the sealing keys — no server settings. It never runs against a sandbox: without Twilio
//! credentials it exits 2 naming the missing variable.

use std::process::ExitCode;

use chrono::TimeDelta;
use clap::Parser;
use numbers_app::drift::{DriftOptions, DriftOutcome};
use numbers_app::{
    App, DatabaseConfig, DeploymentConfig, SecretsConfig, TwilioConfig, init_logging,
};
use numbers_domain::reconcile::{Percent, SafetyBrake};

/// Reconcile the phone numbers database with Twilio.
#[derive(Debug, Parser)]
#[command(name = "drift-sync", version, about)]
struct Cli {
    #[command(flatten)]
    deployment: DeploymentConfig,
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    twilio: TwilioConfig,
    #[command(flatten)]
    secrets: SecretsConfig,

    /// Plan only: change nothing (rows, Twilio, audit log); print what a run would do.
    #[arg(long)]
    dry_run: bool,

    /// Print the report as one JSON object instead of the summary line.
    #[arg(long)]
    json: bool,

    /// Rewrite voice and status URLs that drifted on Twilio (otherwise only reported).
    #[arg(long)]
    repair_webhooks: bool,

    /// Safety brake: most drift-releases in one run, as a share of the active numbers
    /// (`10` or `10%`).
    #[arg(long, env = "DRIFT_MAX_SHARE", default_value = "10%")]
    max_drift_share: Percent,

    /// Safety brake: most drift-releases in one run.
    #[arg(long, env = "DRIFT_MAX_COUNT", default_value_t = SafetyBrake::DEFAULT_MAX_COUNT)]
    max_drift_count: usize,

    /// Drift-release even over the brake's limits (after checking the listing is right).
    #[arg(long)]
    force: bool,

    /// Minutes a pending purchase is left alone before it is settled from the listing.
    #[arg(long, default_value_t = 15)]
    pending_grace_minutes: u32,

    /// Twilio calls (deletes, webhook repairs) in flight at once, both passes together.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.deployment.log_format);
    let production = cli.deployment.is_production();
    let checked = cli.twilio.require_live().and_then(|twilio| {
        cli.secrets.keyring(production)?;
        Ok((twilio, cli.database.url()?))
    });
    let (twilio, database_url) = match checked {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "drift-sync cannot start");
            eprintln!("drift-sync: {error}");
            return ExitCode::from(2);
        }
    };
    let app = match App::live(database_url, &twilio).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "drift-sync cannot start");
            eprintln!("drift-sync: {error}");
            return ExitCode::from(2);
        }
    };
    let options = DriftOptions {
        dry_run: cli.dry_run,
        repair_webhooks: cli.repair_webhooks,
        brake: SafetyBrake {
            max_share: Some(cli.max_drift_share),
            max_count: Some(cli.max_drift_count),
            force: cli.force,
        },
        pending_grace: TimeDelta::minutes(i64::from(cli.pending_grace_minutes)),
        concurrency: cli.concurrency,
    };
    match app.drift_sync(&options).await {
        Ok(DriftOutcome::Locked) => {
            eprintln!("drift-sync: another run holds the lock; nothing done");
            ExitCode::from(75)
        }
        Ok(DriftOutcome::Ran(report)) => {
            let line = report.summary_line();
            tracing::info!("{line}");
            if cli.json {
                match serde_json::to_string(&report) {
                    Ok(json) => print_line(&json),
                    Err(error) => eprintln!("drift-sync: {error}"),
                }
            } else {
                print_line(&line);
            }
            ExitCode::from(report.exit_code)
        }
        Err(error) => {
            tracing::error!(%error, "drift-sync failed");
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the summary goes to stdout; logs go to stderr"
)]
fn print_line(text: &str) {
    println!("{text}");
}
