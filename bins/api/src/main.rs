//! `api`: the phone numbers service binary. Parses flags, builds the application, and either
//! serves HTTP (`serve`, the default) or runs an operator command. Everything worth testing
//! lives in the library crates (`numbers-app`, `numbers-http`).

use std::net::TcpListener;

/// mimalloc: the list endpoint allocates and frees many small strings per request, and
/// glibc's allocator showed up at about 15 % of the service's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use clap::{Parser, Subcommand};
use numbers_app::{App, Config, admin, init_logging};
use numbers_domain::{E164, PlanId, SubscriptionStatus, TenantId};
use numbers_http::auth::{Claims, Role, mint};
use numbers_persistence::{Actor, Store, StoreOptions};

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
    /// Serve the HTTP API (the default). Without Twilio credentials: sandbox mode.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Mint a JWT for a tenant with the configured secret.
    Token {
        /// The tenant the token is scoped to.
        #[arg(long)]
        tenant: TenantId,
        /// admin or member.
        #[arg(long, default_value = "admin")]
        role: Role,
        /// The subject (user id) recorded in audit events.
        #[arg(long, default_value = "operator")]
        sub: String,
        /// Validity in hours.
        #[arg(long, default_value_t = 24)]
        ttl_hours: i64,
    },
    /// Re-seal every stored Twilio token under the current SUBACCOUNT_ENCRYPTION_KEY.
    RotateKeys,
    /// Print the OpenAPI document.
    Openapi,
    /// Create a tenant; prints it as JSON.
    CreateTenant {
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Create a plan; prints it as JSON.
    CreatePlan {
        /// Unique name.
        #[arg(long)]
        name: String,
        /// Phone numbers a tenant on this plan may hold.
        #[arg(long)]
        quota: u32,
    },
    /// Subscribe a tenant to a plan; prints the subscription as JSON.
    CreateSubscription {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The plan.
        #[arg(long)]
        plan: PlanId,
        /// active, trialing, past_due or canceled.
        #[arg(long, default_value = "active")]
        status: SubscriptionStatus,
        /// End of the current period (RFC 3339); default 30 days from now.
        #[arg(long)]
        period_end: Option<DateTime<Utc>>,
    },
    /// Create a channel of a tenant; prints it as JSON.
    CreateChannel {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// Display name.
        #[arg(long)]
        name: String,
        /// voice (default) or another kind.
        #[arg(long, default_value = "voice")]
        kind: String,
        /// Where inbound calls are streamed (ws:// or wss://).
        #[arg(long)]
        agent_stream_url: Option<String>,
    },
    /// Give a tenant a number the master Twilio account owns that no row holds (an orphan
    /// drift-sync reported), counted against its quota and audited; prints the row as
    /// JSON. Needs the live Twilio credentials.
    AdoptNumber {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The number, in E.164 (`+14155550123`).
        #[arg(long)]
        phone_number: E164,
        /// Who adopts it, for the audit log.
        #[arg(long, default_value = "operator")]
        operator: String,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.config.deployment.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => {
            let url = config.database_url()?;
            let ran = numbers_app::migrate(&url).await?;
            tracing::info!(migrations = ran, database = %url.redacted(), "database is up to date");
            Ok(())
        }
        Command::Token {
            tenant,
            role,
            sub,
            ttl_hours,
        } => {
            let secret = numbers_app::resolve_jwt_secret(&config)?;
            let exp = (Utc::now() + Duration::hours(ttl_hours)).timestamp();
            print_line(&mint(
                &secret,
                &Claims {
                    sub,
                    tenant_id: tenant,
                    role,
                    exp,
                },
            ));
            Ok(())
        }
        Command::RotateKeys => {
            let keyring = config
                .keyring()?
                .context("rotate-keys needs SUBACCOUNT_ENCRYPTION_KEY (and the old keys in SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS)")?;
            let report = admin::rotate_keys(&store(&config).await?, &keyring).await?;
            print_line(&format!(
                "rotate-keys resealed={} already_current={} failed={}",
                report.resealed,
                report.already_current,
                report.failed.len()
            ));
            anyhow::ensure!(
                report.failed.is_empty(),
                "tokens of {:?} could not be opened with any configured key",
                report.failed
            );
            Ok(())
        }
        Command::Openapi => {
            print_raw(&numbers_http::openapi::document_json());
            Ok(())
        }
        Command::CreateTenant { name } => {
            let tenant = admin::create_tenant(&store(&config).await?, &name).await?;
            print_json(
                &serde_json::json!({ "id": tenant.id, "name": tenant.name, "created_at": tenant.created_at }),
            )
        }
        Command::CreatePlan { name, quota } => {
            let plan = admin::create_plan(&store(&config).await?, &name, quota).await?;
            print_json(
                &serde_json::json!({ "id": plan.id, "name": plan.name, "quota_phone_numbers": plan.quota_phone_numbers }),
            )
        }
        Command::CreateSubscription {
            tenant,
            plan,
            status,
            period_end,
        } => {
            let end = period_end.unwrap_or_else(|| Utc::now() + Duration::days(30));
            let sub = admin::create_subscription(&store(&config).await?, tenant, plan, status, end)
                .await?;
            print_json(
                &serde_json::json!({ "id": sub.id, "tenant_id": sub.tenant_id, "plan_id": sub.plan_id, "status": sub.status, "current_period_end": sub.current_period_end }),
            )
        }
        Command::CreateChannel {
            tenant,
            name,
            kind,
            agent_stream_url,
        } => {
            let channel = admin::create_channel(
                &store(&config).await?,
                tenant,
                &name,
                Some(&kind),
                agent_stream_url.as_deref(),
            )
            .await?;
            print_json(
                &serde_json::json!({ "id": channel.id, "tenant_id": channel.tenant_id, "kind": channel.kind.as_str(), "name": channel.name, "agent_stream_url": channel.agent_stream_url }),
            )
        }
        Command::AdoptNumber {
            tenant,
            phone_number,
            operator,
        } => {
            let twilio = config.twilio.require_live()?;
            let app = App::live(config.database_url()?, &twilio).await?;
            let row = app
                .adopt_number(tenant, &phone_number, &Actor::operator(operator))
                .await
                .with_context(|| format!("adopting {}", phone_number.masked()))?;
            print_json(
                &serde_json::json!({ "id": row.id, "tenant_id": row.tenant_id, "phone_number": row.phone_number.as_str(), "status": row.status.as_str(), "twilio_sid": row.twilio_sid }),
            )
        }
    }
}

/// Opens (and migrates) the configured database for an operator command.
async fn store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url()?;
    numbers_app::migrate(&url).await?;
    Ok(Store::connect(&url, &StoreOptions::default())?)
}

#[expect(
    clippy::print_stdout,
    reason = "command output goes to stdout; logs go to stderr"
)]
fn print_raw(text: &str) {
    print!("{text}");
}

fn print_line(text: &str) {
    print_raw(&format!("{text}\n"));
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    print_line(&serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let listener = TcpListener::bind(config.server.bind_addr)
        .with_context(|| format!("cannot listen on {} (BIND_ADDR)", config.server.bind_addr))?;
    let address = listener.local_addr()?;
    tracing::info!(database = %app.database_url().redacted(), "listening on http://{address}");
    if let Some(sandbox) = app.sandbox() {
        announce_sandbox(&app, sandbox, &format!("http://{address}"));
    }
    numbers_http::serve(app, listener)?.await?;
    tracing::info!("stopped");
    Ok(())
}

fn announce_sandbox(app: &App, sandbox: &numbers_app::Sandbox, base: &str) {
    let exp = (Utc::now() + Duration::days(30)).timestamp();
    let claims = Claims {
        sub: "sandbox-admin".into(),
        tenant_id: sandbox.tenant_id,
        role: Role::Admin,
        exp,
    };
    let token = mint(app.jwt_secret(), &claims);
    tracing::warn!(
        "SANDBOX MODE: no Twilio credentials, so Twilio is an in-process fake at {}. Nothing is real: no number is bought, no call is placed, and the fake forgets everything on restart.",
        sandbox.fake.api_base_url()
    );
    print_line(&format!(
        "
================ SANDBOX MODE: nothing here is real ================
Twilio is an in-process fake; set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to use Twilio.
Demo tenant {tenant}, voice channel {channel}, plan \"sandbox\" ({quota} numbers).

Admin token (30 days):
  export TOKEN={token}

Admin console, already signed in (the token is in the link's #fragment, never sent to the server):
  {base}/console/#token={token}

Try:
  curl -s {base}/v1/phone-numbers -H \"Authorization: Bearer $TOKEN\"
  curl -s '{base}/v1/phone-numbers/available?country=US&type=local&contains=555&limit=5' -H \"Authorization: Bearer $TOKEN\"
  curl -s '{base}/v1/phone-numbers/pricing?country=GB' -H \"Authorization: Bearer $TOKEN\"
  curl -s {base}/v1/channels -H \"Authorization: Bearer $TOKEN\"
=====================================================================
",
        tenant = sandbox.tenant_id,
        channel = sandbox.channel_id,
        quota = numbers_app::sandbox::DEMO_QUOTA,
    ));
}
