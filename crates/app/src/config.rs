//! Typed configuration (SPEC §11), one struct per concern: [`DeploymentConfig`] (production
//! rules, log format), [`DatabaseConfig`], [`ServerConfig`] (the HTTP service), [`TwilioConfig`]
//! (the master account) and [`SecretsConfig`] (the keys sealing stored tokens). A binary
//! flattens only the concerns it needs: `api` takes all of them ([`Config`]), `drift-sync`
//! neither the server nor the JWT secret.
//!
//! Every setting is an environment variable and also a flag (through `clap`), so
//! `.env.example` and `--help` describe the same thing. Defaults are declared once, in the
//! `clap` attributes; [`Default`] reads them from there (see [`clap_defaults`]). Secrets are
//! [`SecretString`]s: never printed, not even by `Debug`.

use std::net::SocketAddr;

use numbers_persistence::DatabaseUrl;
use secrecy::{ExposeSecret as _, SecretString};

use crate::AppError;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The values `clap` would give a settings struct on an empty command line, ignoring the
/// environment: the one place defaults are declared is the `#[arg(default_value…)]`
/// attribute, and `Default` reads it from there.
fn clap_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None));
    let matches = command
        .try_get_matches_from(["defaults"])
        .unwrap_or_else(|e| unreachable!("settings have no required flags: {e}"));
    T::from_arg_matches(&matches)
        .unwrap_or_else(|e| unreachable!("defaults always parse into their struct: {e}"))
}

macro_rules! default_from_clap {
    ($($config:ty),*) => {$(
        impl Default for $config {
            fn default() -> Self {
                clap_defaults()
            }
        }
    )*};
}

default_from_clap!(
    DeploymentConfig,
    DatabaseConfig,
    ServerConfig,
    TwilioConfig,
    SecretsConfig,
    Config
);

/// How this deployment runs: production rules and the log format.
#[derive(Debug, Clone, clap::Args)]
pub struct DeploymentConfig {
    /// Production mode: refuse sandbox mode and require every secret. Also set by
    /// APP_ENV=production.
    #[arg(long, global = true)]
    pub production: bool,

    /// The deployment environment; `production` implies --production.
    #[arg(long, env = "APP_ENV", global = true)]
    pub app_env: Option<String>,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

impl DeploymentConfig {
    /// Whether production rules apply (`--production` or `APP_ENV=production`).
    #[must_use]
    pub fn is_production(&self) -> bool {
        self.production
            || self
                .app_env
                .as_deref()
                .is_some_and(|env| env.trim().eq_ignore_ascii_case("production"))
    }
}

/// Where the data lives.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseConfig {
    /// Database: `postgres://…` for PostgreSQL, or a SQLite file path (`sqlite://…`,
    /// `file:…` or a bare path). Default: a SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

impl DatabaseConfig {
    /// The database to use: `DATABASE_URL`, or the default SQLite file.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `DATABASE_URL` when it cannot be used.
    pub fn url(&self) -> Result<DatabaseUrl, AppError> {
        match present_str(self.database_url.as_ref()) {
            None => Ok(DatabaseUrl::default_sqlite()),
            Some(raw) => DatabaseUrl::parse(raw).map_err(|e| AppError::Config(e.to_string())),
        }
    }
}

/// The HTTP service: where it listens, how Twilio reaches it, how callers authenticate.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address and port the HTTP server listens on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind_addr: SocketAddr,

    /// Public base URL of this service as Twilio reaches it (webhook URLs and signature
    /// checks use it). Default in sandbox mode: http://{BIND_ADDR}.
    #[arg(long, env = "PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<String>,

    /// Secret of the HS256 JWTs the API accepts. Sandbox mode makes one up when unset.
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    /// How long a country's prices are reused before asking Twilio again, in seconds.
    #[arg(
        long,
        env = "PRICING_CACHE_TTL_SECS",
        global = true,
        default_value_t = 3600
    )]
    pub pricing_cache_ttl_secs: u64,
}

impl ServerConfig {
    /// The JWT secret, when set. Production requires one of at least 32 bytes.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `JWT_SECRET` when production lacks a strong one.
    pub fn jwt_secret(&self, production: bool) -> Result<Option<SecretString>, AppError> {
        let secret = present(self.jwt_secret.as_ref()).cloned();
        if production {
            match &secret {
                None => {
                    return Err(AppError::Config(
                        "production mode requires JWT_SECRET".into(),
                    ));
                }
                Some(s) if s.expose_secret().len() < 32 => {
                    return Err(AppError::Config(
                        "JWT_SECRET must be at least 32 bytes in production".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(secret)
    }

    /// The public base URL, without a trailing `/`.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `PUBLIC_BASE_URL` when it is not an http(s) URL, or when
    /// production lacks it.
    pub fn public_base_url(&self, production: bool) -> Result<String, AppError> {
        match present_str(self.public_base_url.as_ref()) {
            Some(url) => {
                let valid = (url.starts_with("https://") || url.starts_with("http://"))
                    && !url.contains(['?', '#', ' ']);
                if !valid {
                    return Err(AppError::Config(
                        "PUBLIC_BASE_URL must be an http(s) URL without query or fragment".into(),
                    ));
                }
                Ok(url.trim_end_matches('/').to_owned())
            }
            None if production => Err(AppError::Config(
                "production mode requires PUBLIC_BASE_URL".into(),
            )),
            None => Ok(format!("http://{}", self.bind_addr)),
        }
    }
}

/// The master Twilio account and where its APIs are.
#[derive(Debug, Clone, clap::Args)]
pub struct TwilioConfig {
    /// The master Twilio account (`AC…`). Without Twilio credentials the service runs in
    /// sandbox mode against an in-process fake.
    #[arg(long, env = "TWILIO_ACCOUNT_SID", global = true)]
    pub twilio_account_sid: Option<String>,

    /// Auth token of the master account.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", global = true, hide_env_values = true)]
    pub twilio_auth_token: Option<SecretString>,

    /// API key SID (`SK…`), used with TWILIO_API_KEY_SECRET instead of the auth token.
    #[arg(long, env = "TWILIO_API_KEY_SID", global = true)]
    pub twilio_api_key_sid: Option<String>,

    /// API key secret.
    #[arg(
        long,
        env = "TWILIO_API_KEY_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub twilio_api_key_secret: Option<SecretString>,

    /// Base URL of Twilio's REST API (point it at a proxy or the fake).
    #[arg(
        long,
        env = "TWILIO_API_BASE_URL",
        global = true,
        default_value = "https://api.twilio.com"
    )]
    pub twilio_api_base_url: String,

    /// Base URL of Twilio's Pricing API.
    #[arg(
        long,
        env = "TWILIO_PRICING_BASE_URL",
        global = true,
        default_value = "https://pricing.twilio.com"
    )]
    pub twilio_pricing_base_url: String,
}

/// How the service reaches Twilio.
#[derive(Debug, Clone)]
pub enum TwilioMode {
    /// Real credentials from the environment.
    Live(TwilioSettings),
    /// No credentials: an in-process fake stands in (sandbox mode).
    Sandbox,
}

/// Credentials and endpoints of the master account.
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    /// The master account SID.
    pub account_sid: String,
    /// Token or API key.
    pub auth: TwilioAuth,
    /// REST API base URL.
    pub api_base_url: String,
    /// Pricing API base URL.
    pub pricing_base_url: String,
}

/// The master account's secret.
#[derive(Debug, Clone)]
pub enum TwilioAuth {
    /// Account SID + auth token.
    AuthToken(SecretString),
    /// API key SID + secret.
    ApiKey {
        /// The `SK…` sid.
        key_sid: String,
        /// Its secret.
        secret: SecretString,
    },
}

impl TwilioConfig {
    /// Live Twilio settings, or sandbox mode when no credentials are given.
    ///
    /// # Errors
    /// [`AppError::Config`] naming the variable when credentials are incomplete, or when
    /// production mode would fall back to the sandbox.
    pub fn mode(&self, production: bool) -> Result<TwilioMode, AppError> {
        match self.settings()? {
            Some(settings) => Ok(TwilioMode::Live(settings)),
            None if production => Err(AppError::Config(
                "production mode needs Twilio credentials: set TWILIO_ACCOUNT_SID and \
                 TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET); sandbox \
                 mode is refused"
                    .into(),
            )),
            None => Ok(TwilioMode::Sandbox),
        }
    }

    /// Live settings, for jobs that never run against a sandbox (drift-sync): missing
    /// credentials are an error naming the variable.
    ///
    /// # Errors
    /// [`AppError::Config`] naming the first missing or malformed variable.
    pub fn require_live(&self) -> Result<TwilioSettings, AppError> {
        self.settings()?.ok_or_else(|| {
            AppError::Config(
                "TWILIO_ACCOUNT_SID is not set (with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID \
                 and TWILIO_API_KEY_SECRET): this command never runs against a sandbox"
                    .into(),
            )
        })
    }

    /// The credentials given, `None` when none at all are.
    fn settings(&self) -> Result<Option<TwilioSettings>, AppError> {
        let sid = present_str(self.twilio_account_sid.as_ref());
        let token = present(self.twilio_auth_token.as_ref());
        let key_sid = present_str(self.twilio_api_key_sid.as_ref());
        let key_secret = present(self.twilio_api_key_secret.as_ref());
        if sid.is_none() && token.is_none() && key_sid.is_none() && key_secret.is_none() {
            return Ok(None);
        }
        let account_sid = sid.ok_or_else(|| {
            AppError::Config("TWILIO_ACCOUNT_SID is required with Twilio credentials".into())
        })?;
        if !is_sid(account_sid, "AC") {
            return Err(AppError::Config(
                "TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal characters".into(),
            ));
        }
        let auth = match (token, key_sid, key_secret) {
            (Some(token), None, None) => TwilioAuth::AuthToken(token.clone()),
            (None, Some(key_sid), Some(secret)) => {
                if !is_sid(key_sid, "SK") {
                    return Err(AppError::Config(
                        "TWILIO_API_KEY_SID must be SK followed by 32 hexadecimal characters"
                            .into(),
                    ));
                }
                TwilioAuth::ApiKey {
                    key_sid: key_sid.to_owned(),
                    secret: secret.clone(),
                }
            }
            (Some(_), _, _) => {
                return Err(AppError::Config(
                    "set either TWILIO_AUTH_TOKEN or TWILIO_API_KEY_SID with \
                     TWILIO_API_KEY_SECRET, not both"
                        .into(),
                ));
            }
            (None, _, _) => {
                return Err(AppError::Config(
                    "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID with TWILIO_API_KEY_SECRET) is \
                     required with TWILIO_ACCOUNT_SID"
                        .into(),
                ));
            }
        };
        Ok(Some(TwilioSettings {
            account_sid: account_sid.to_owned(),
            auth,
            api_base_url: self.twilio_api_base_url.trim().to_owned(),
            pricing_base_url: self.twilio_pricing_base_url.trim().to_owned(),
        }))
    }
}

/// The keys sealing stored Twilio tokens (SPEC §9).
#[derive(Debug, Clone, clap::Args)]
pub struct SecretsConfig {
    /// Base64 of the 32-byte key sealing stored Twilio tokens (`openssl rand -base64 32`).
    #[arg(
        long,
        env = "SUBACCOUNT_ENCRYPTION_KEY",
        global = true,
        hide_env_values = true
    )]
    pub subaccount_encryption_key: Option<SecretString>,

    /// Comma-separated base64 keys that used to be current; sealed tokens still open with
    /// them until `api rotate-keys` re-seals everything.
    #[arg(
        long,
        env = "SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS",
        global = true,
        hide_env_values = true
    )]
    pub subaccount_encryption_keys_previous: Option<SecretString>,
}

impl SecretsConfig {
    /// The keyring sealing stored tokens, when a key is configured. Production requires it.
    ///
    /// # Errors
    /// [`AppError::Config`] naming the variable and what is wrong with it.
    pub fn keyring(&self, production: bool) -> Result<Option<numbers_crypto::Keyring>, AppError> {
        let Some(current) = present(self.subaccount_encryption_key.as_ref()) else {
            if production {
                return Err(AppError::Config(
                    "production mode requires SUBACCOUNT_ENCRYPTION_KEY".into(),
                ));
            }
            if present(self.subaccount_encryption_keys_previous.as_ref()).is_some() {
                return Err(AppError::Config(
                    "SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS is set without SUBACCOUNT_ENCRYPTION_KEY"
                        .into(),
                ));
            }
            return Ok(None);
        };
        let previous = self
            .subaccount_encryption_keys_previous
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        numbers_crypto::Keyring::from_base64(current.expose_secret(), &previous)
            .map(Some)
            .map_err(|e| AppError::Config(e.to_string()))
    }
}

/// Everything the `api` service reads: every concern.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Production rules and logging.
    #[command(flatten)]
    pub deployment: DeploymentConfig,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// The HTTP service.
    #[command(flatten)]
    pub server: ServerConfig,
    /// The master Twilio account.
    #[command(flatten)]
    pub twilio: TwilioConfig,
    /// Sealing keys.
    #[command(flatten)]
    pub secrets: SecretsConfig,
}

impl Config {
    /// Whether production rules apply.
    #[must_use]
    pub fn is_production(&self) -> bool {
        self.deployment.is_production()
    }

    /// The database to use (see [`DatabaseConfig::url`]).
    ///
    /// # Errors
    /// As [`DatabaseConfig::url`].
    pub fn database_url(&self) -> Result<DatabaseUrl, AppError> {
        self.database.url()
    }

    /// Live Twilio or sandbox mode (see [`TwilioConfig::mode`]).
    ///
    /// # Errors
    /// As [`TwilioConfig::mode`].
    pub fn twilio_mode(&self) -> Result<TwilioMode, AppError> {
        self.twilio.mode(self.is_production())
    }

    /// The JWT secret, when set (see [`ServerConfig::jwt_secret`]).
    ///
    /// # Errors
    /// As [`ServerConfig::jwt_secret`].
    pub fn jwt_secret(&self) -> Result<Option<SecretString>, AppError> {
        self.server.jwt_secret(self.is_production())
    }

    /// The public base URL (see [`ServerConfig::public_base_url`]).
    ///
    /// # Errors
    /// As [`ServerConfig::public_base_url`].
    pub fn public_base_url(&self) -> Result<String, AppError> {
        self.server.public_base_url(self.is_production())
    }

    /// The sealing keyring (see [`SecretsConfig::keyring`]).
    ///
    /// # Errors
    /// As [`SecretsConfig::keyring`].
    pub fn keyring(&self) -> Result<Option<numbers_crypto::Keyring>, AppError> {
        self.secrets.keyring(self.is_production())
    }

    /// Checks every setting at start-up, so a bad value stops the service before it serves.
    ///
    /// # Errors
    /// The first [`AppError::Config`] found.
    pub fn validate(&self) -> Result<(), AppError> {
        self.database_url()?;
        self.twilio_mode()?;
        self.jwt_secret()?;
        self.public_base_url()?;
        self.keyring()?;
        Ok(())
    }
}

fn present(value: Option<&SecretString>) -> Option<&SecretString> {
    value.filter(|s| !s.expose_secret().trim().is_empty())
}

fn present_str(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    fn with_twilio(twilio: TwilioConfig) -> Config {
        Config {
            twilio,
            ..Config::default()
        }
    }

    fn production() -> Config {
        let mut config = Config::default();
        config.deployment.production = true;
        config
    }

    #[test]
    fn defaults_are_the_flags_defaults() {
        let config = Config::default();
        assert_eq!(
            config.server.bind_addr,
            SocketAddr::from(([127, 0, 0, 1], 8080))
        );
        assert_eq!(config.server.pricing_cache_ttl_secs, 3600);
        assert_eq!(config.twilio.twilio_api_base_url, "https://api.twilio.com");
        assert_eq!(
            config.twilio.twilio_pricing_base_url,
            "https://pricing.twilio.com"
        );
        assert_eq!(config.deployment.log_format, LogFormat::Pretty);
        assert!(!config.deployment.production);
        assert!(config.database.database_url.is_none());
    }

    #[test]
    fn defaults_ignore_the_environment() {
        // A developer's shell may well have these variables set: `Default` must not read
        // them. The check runs in a child process so no test changes this one's environment.
        let exe = std::env::current_exe().unwrap();
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "config::tests::defaults_in_a_child_with_bind_addr_set",
                "--include-ignored",
            ])
            .env("BIND_ADDR", "0.0.0.0:1")
            .env("NUMBERS_CONFIG_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    #[ignore = "run by defaults_ignore_the_environment in a child process"]
    fn defaults_in_a_child_with_bind_addr_set() {
        assert_eq!(std::env::var("NUMBERS_CONFIG_CHILD").as_deref(), Ok("1"));
        assert_eq!(std::env::var("BIND_ADDR").as_deref(), Ok("0.0.0.0:1"));
        assert_eq!(
            Config::default().server.bind_addr,
            SocketAddr::from(([127, 0, 0, 1], 8080))
        );
    }

    #[test]
    fn flags_override_defaults_and_the_database_defaults_to_sqlite() {
        let cli = Cli::parse_from(["x", "--bind-addr", "0.0.0.0:9000", "--log-format", "json"]);
        assert_eq!(
            cli.config.server.bind_addr,
            SocketAddr::from(([0, 0, 0, 0], 9000))
        );
        assert_eq!(cli.config.deployment.log_format, LogFormat::Json);
        let default = Config::default().database_url().unwrap();
        assert_eq!(default, DatabaseUrl::default_sqlite());
    }

    #[test]
    fn a_bad_database_url_is_a_config_error_naming_the_variable() {
        let config = DatabaseConfig {
            database_url: Some("mysql://x/y".into()),
        };
        let error = config.url().unwrap_err().to_string();
        assert!(error.contains("DATABASE_URL"), "{error}");
    }

    #[test]
    fn no_credentials_means_sandbox_unless_production() {
        assert!(matches!(
            Config::default().twilio_mode(),
            Ok(TwilioMode::Sandbox)
        ));
        let error = production().twilio_mode().unwrap_err().to_string();
        assert!(error.contains("sandbox mode is refused"), "{error}");
        let mut by_env = Config::default();
        by_env.deployment.app_env = Some("Production".into());
        assert!(by_env.is_production());
        assert!(by_env.twilio_mode().is_err());
    }

    #[test]
    fn jobs_require_live_credentials_and_name_the_variable() {
        let error = TwilioConfig::default()
            .require_live()
            .unwrap_err()
            .to_string();
        assert!(error.contains("TWILIO_ACCOUNT_SID"), "{error}");
        let live = TwilioConfig {
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: Some(SecretString::from("t")),
            ..TwilioConfig::default()
        };
        assert_eq!(live.require_live().unwrap().account_sid, SID);
    }

    #[test]
    fn credentials_must_be_complete_and_well_formed() {
        let token = Some(SecretString::from("t"));
        let ok = with_twilio(TwilioConfig {
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: token.clone(),
            ..TwilioConfig::default()
        });
        assert!(matches!(ok.twilio_mode(), Ok(TwilioMode::Live(_))));
        let refused = |twilio: TwilioConfig, variable: &str| {
            let error = with_twilio(twilio).twilio_mode().unwrap_err().to_string();
            assert!(error.contains(variable), "{error}");
        };
        refused(
            TwilioConfig {
                twilio_auth_token: token.clone(),
                ..TwilioConfig::default()
            },
            "TWILIO_ACCOUNT_SID",
        );
        refused(
            TwilioConfig {
                twilio_account_sid: Some("AC12".into()),
                twilio_auth_token: token.clone(),
                ..TwilioConfig::default()
            },
            "TWILIO_ACCOUNT_SID",
        );
        refused(
            TwilioConfig {
                twilio_account_sid: Some(SID.into()),
                ..TwilioConfig::default()
            },
            "TWILIO_AUTH_TOKEN",
        );
        let key = with_twilio(TwilioConfig {
            twilio_account_sid: Some(SID.into()),
            twilio_api_key_sid: Some("SK0123456789abcdef0123456789abcdef".into()),
            twilio_api_key_secret: Some(SecretString::from("s")),
            ..TwilioConfig::default()
        });
        assert!(matches!(
            key.twilio_mode(),
            Ok(TwilioMode::Live(TwilioSettings {
                auth: TwilioAuth::ApiKey { .. },
                ..
            }))
        ));
    }

    #[test]
    fn production_requires_every_secret() {
        let mut config = production();
        config.twilio.twilio_account_sid = Some(SID.into());
        config.twilio.twilio_auth_token = Some(SecretString::from("t"));
        let refusal = |config: &Config| config.validate().unwrap_err().to_string();
        assert!(refusal(&config).contains("JWT_SECRET"));
        config.server.jwt_secret = Some(SecretString::from("short"));
        assert!(refusal(&config).contains("at least 32 bytes"));
        config.server.jwt_secret = Some(SecretString::from("x".repeat(32)));
        assert!(refusal(&config).contains("PUBLIC_BASE_URL"));
        config.server.public_base_url = Some("https://api.example.com/".into());
        assert_eq!(config.public_base_url().unwrap(), "https://api.example.com");
        assert!(refusal(&config).contains("SUBACCOUNT_ENCRYPTION_KEY"));
        config.secrets.subaccount_encryption_key = Some(SecretString::from(
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ));
        config.validate().unwrap();
    }

    #[test]
    fn a_bad_encryption_key_names_its_variable_and_never_echoes_it() {
        let secrets = SecretsConfig {
            subaccount_encryption_key: Some(SecretString::from("c2hvcnQ=")),
            subaccount_encryption_keys_previous: None,
        };
        let error = secrets.keyring(false).unwrap_err().to_string();
        assert!(error.contains("SUBACCOUNT_ENCRYPTION_KEY"), "{error}");
        assert!(!error.contains("c2hvcnQ="), "{error}");
        let debug = format!("{secrets:?}");
        assert!(!debug.contains("c2hvcnQ="), "{debug}");
    }

    #[test]
    fn public_base_url_defaults_to_the_bind_address_outside_production() {
        assert_eq!(
            Config::default().public_base_url().unwrap(),
            "http://127.0.0.1:8080"
        );
        let bad = ServerConfig {
            public_base_url: Some("ftp://x".into()),
            ..ServerConfig::default()
        };
        assert!(
            bad.public_base_url(false)
                .unwrap_err()
                .to_string()
                .contains("PUBLIC_BASE_URL")
        );
    }
}
