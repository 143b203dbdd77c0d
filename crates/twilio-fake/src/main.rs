//! `twilio-fake`: runs the Twilio fake on its own until Ctrl-C.
//!
//! ```text
//! twilio-fake --port 8089 --seed 42
//! ```
//!
//! Prints the base URLs and the master account's credentials, then serves.

use std::io::Write as _;

use clap::Parser;
use twilio_fake::{FakeConfig, TwilioFake};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "twilio-fake",
    version,
    about = "In-memory emulator of Twilio's phone-number API"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "TWILIO_FAKE_PORT", default_value_t = 0)]
    port: u16,
    /// Seed of the credentials, inventory and SIDs.
    #[arg(long, env = "TWILIO_FAKE_SEED", default_value_t = 0)]
    seed: u64,
    /// Multiplies the default inventory size of every (country, type) pair.
    #[arg(long, default_value_t = 1.0)]
    inventory_scale: f64,
    /// Only accept registered bundles and addresses for regulated numbers.
    #[arg(long)]
    strict_regulatory: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = FakeConfig {
        seed: args.seed,
        port: args.port,
        inventory_scale: args.inventory_scale,
        strict_regulatory: args.strict_regulatory,
    };
    let fake = match TwilioFake::start(config) {
        Ok(fake) => fake,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "twilio-fake: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "twilio-fake listening (seed {seed})\n\
         TWILIO_API_BASE_URL={api}\n\
         TWILIO_PRICING_BASE_URL={pricing}\n\
         TWILIO_ACCOUNT_SID={sid}\n\
         TWILIO_AUTH_TOKEN={token}\n\
         control API: {control}\n\
         Nothing here is real Twilio. Ctrl-C to stop.",
        seed = args.seed,
        api = fake.api_base_url(),
        pricing = fake.pricing_base_url(),
        sid = fake.account_sid(),
        token = fake.auth_token(),
        control = fake.control_base_url(),
    );
    let _ = out.flush();
    drop(out);
    if let Err(e) = tokio::signal::ctrl_c().await {
        let _ = writeln!(
            std::io::stderr(),
            "twilio-fake: cannot wait for Ctrl-C: {e}"
        );
    }
    fake.shutdown().await;
    std::process::ExitCode::SUCCESS
}
