//! Typed configuration (SPEC §11). Every setting is an environment variable and also a flag
//! of the binaries (through `clap`), so `.env.example` and `--help` describe the same thing.
//! Secrets are [`SecretString`]s: never printed, not even by `Debug`.

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

/// Settings shared by the binaries.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Database: `postgres://…` for PostgreSQL, or a SQLite file path (`sqlite://…`,
    /// `file:…` or a bare path). Default: a SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

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

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Production mode: refuse sandbox mode and require every secret. Also set by
    /// APP_ENV=production.
    #[arg(long, global = true)]
    pub production: bool,

    /// The deployment environment; `production` implies --production.
    #[arg(long, env = "APP_ENV", global = true)]
    pub app_env: Option<String>,

    /// How long a country's prices are reused before asking Twilio again, in seconds.
    #[arg(
        long,
        env = "PRICING_CACHE_TTL_SECS",
        global = true,
        default_value_t = 3600
    )]
    pub pricing_cache_ttl_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: None,
            jwt_secret: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_api_key_sid: None,
            twilio_api_key_secret: None,
            twilio_api_base_url: "https://api.twilio.com".into(),
            twilio_pricing_base_url: "https://pricing.twilio.com".into(),
            subaccount_encryption_key: None,
            subaccount_encryption_keys_previous: None,
            log_format: LogFormat::Pretty,
            production: false,
            app_env: None,
            pricing_cache_ttl_secs: 3600,
        }
    }
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

fn present(value: Option<&SecretString>) -> Option<&SecretString> {
    value.filter(|s| !s.expose_secret().trim().is_empty())
}

fn present_str(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl Config {
    /// The database to use: `DATABASE_URL`, or the default SQLite file.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `DATABASE_URL` when it cannot be used.
    pub fn database_url(&self) -> Result<DatabaseUrl, AppError> {
        match present_str(self.database_url.as_ref()) {
            None => Ok(DatabaseUrl::default_sqlite()),
            Some(raw) => DatabaseUrl::parse(raw).map_err(|e| AppError::Config(e.to_string())),
        }
    }

    /// Whether production rules apply (`--production` or `APP_ENV=production`).
    #[must_use]
    pub fn is_production(&self) -> bool {
        self.production
            || self
                .app_env
                .as_deref()
                .is_some_and(|env| env.trim().eq_ignore_ascii_case("production"))
    }

    /// Live Twilio settings, or sandbox mode when no credentials are given.
    ///
    /// # Errors
    /// [`AppError::Config`] naming the variable when credentials are incomplete, or when
    /// production mode would fall back to the sandbox.
    pub fn twilio_mode(&self) -> Result<TwilioMode, AppError> {
        let sid = present_str(self.twilio_account_sid.as_ref());
        let token = present(self.twilio_auth_token.as_ref());
        let key_sid = present_str(self.twilio_api_key_sid.as_ref());
        let key_secret = present(self.twilio_api_key_secret.as_ref());
        if sid.is_none() && token.is_none() && key_sid.is_none() && key_secret.is_none() {
            if self.is_production() {
                return Err(AppError::Config(
                    "production mode needs Twilio credentials: set TWILIO_ACCOUNT_SID and \
                     TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET); \
                     sandbox mode is refused"
                        .into(),
                ));
            }
            return Ok(TwilioMode::Sandbox);
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
        Ok(TwilioMode::Live(TwilioSettings {
            account_sid: account_sid.to_owned(),
            auth,
            api_base_url: self.twilio_api_base_url.trim().to_owned(),
            pricing_base_url: self.twilio_pricing_base_url.trim().to_owned(),
        }))
    }

    /// The JWT secret, when set. Production requires one of at least 32 bytes.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `JWT_SECRET` when production lacks a strong one.
    pub fn jwt_secret(&self) -> Result<Option<SecretString>, AppError> {
        let secret = present(self.jwt_secret.as_ref()).cloned();
        if self.is_production() {
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
    pub fn public_base_url(&self) -> Result<String, AppError> {
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
            None if self.is_production() => Err(AppError::Config(
                "production mode requires PUBLIC_BASE_URL".into(),
            )),
            None => Ok(format!("http://{}", self.bind_addr)),
        }
    }

    /// The keyring sealing stored tokens, when a key is configured. Production requires it.
    ///
    /// # Errors
    /// [`AppError::Config`] naming the variable and what is wrong with it.
    pub fn keyring(&self) -> Result<Option<numbers_crypto::Keyring>, AppError> {
        let Some(current) = present(self.subaccount_encryption_key.as_ref()) else {
            if self.is_production() {
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

    #[test]
    fn flags_override_defaults_and_the_database_defaults_to_sqlite() {
        let cli = Cli::parse_from(["x", "--bind-addr", "0.0.0.0:9000", "--log-format", "json"]);
        assert_eq!(cli.config.bind_addr, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(cli.config.log_format, LogFormat::Json);
        let default = Config::default().database_url().unwrap();
        assert_eq!(default, DatabaseUrl::default_sqlite());
    }

    #[test]
    fn a_bad_database_url_is_a_config_error_naming_the_variable() {
        let config = Config {
            database_url: Some("mysql://x/y".into()),
            ..Config::default()
        };
        let error = config.database_url().unwrap_err().to_string();
        assert!(error.contains("DATABASE_URL"), "{error}");
    }

    #[test]
    fn no_credentials_means_sandbox_unless_production() {
        assert!(matches!(
            Config::default().twilio_mode(),
            Ok(TwilioMode::Sandbox)
        ));
        let production = Config {
            production: true,
            ..Config::default()
        };
        let error = production.twilio_mode().unwrap_err().to_string();
        assert!(error.contains("sandbox mode is refused"), "{error}");
        let by_env = Config {
            app_env: Some("Production".into()),
            ..Config::default()
        };
        assert!(by_env.is_production());
        assert!(by_env.twilio_mode().is_err());
    }

    #[test]
    fn credentials_must_be_complete_and_well_formed() {
        let token = Some(SecretString::from("t"));
        let ok = Config {
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: token.clone(),
            ..Config::default()
        };
        assert!(matches!(ok.twilio_mode(), Ok(TwilioMode::Live(_))));
        let no_sid = Config {
            twilio_auth_token: token.clone(),
            ..Config::default()
        };
        assert!(
            no_sid
                .twilio_mode()
                .unwrap_err()
                .to_string()
                .contains("TWILIO_ACCOUNT_SID")
        );
        let bad_sid = Config {
            twilio_account_sid: Some("AC12".into()),
            twilio_auth_token: token.clone(),
            ..Config::default()
        };
        assert!(
            bad_sid
                .twilio_mode()
                .unwrap_err()
                .to_string()
                .contains("TWILIO_ACCOUNT_SID")
        );
        let no_secret = Config {
            twilio_account_sid: Some(SID.into()),
            ..Config::default()
        };
        assert!(
            no_secret
                .twilio_mode()
                .unwrap_err()
                .to_string()
                .contains("TWILIO_AUTH_TOKEN")
        );
        let key = Config {
            twilio_account_sid: Some(SID.into()),
            twilio_api_key_sid: Some("SK0123456789abcdef0123456789abcdef".into()),
            twilio_api_key_secret: Some(SecretString::from("s")),
            ..Config::default()
        };
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
        let base = Config {
            production: true,
            twilio_account_sid: Some(SID.into()),
            twilio_auth_token: Some(SecretString::from("t")),
            ..Config::default()
        };
        assert!(
            base.validate()
                .unwrap_err()
                .to_string()
                .contains("JWT_SECRET")
        );
        let weak = Config {
            jwt_secret: Some(SecretString::from("short")),
            ..base.clone()
        };
        assert!(
            weak.validate()
                .unwrap_err()
                .to_string()
                .contains("at least 32 bytes")
        );
        let jwt = Config {
            jwt_secret: Some(SecretString::from("x".repeat(32))),
            ..base
        };
        assert!(
            jwt.validate()
                .unwrap_err()
                .to_string()
                .contains("PUBLIC_BASE_URL")
        );
        let url = Config {
            public_base_url: Some("https://api.example.com/".into()),
            ..jwt
        };
        assert_eq!(url.public_base_url().unwrap(), "https://api.example.com");
        assert!(
            url.validate()
                .unwrap_err()
                .to_string()
                .contains("SUBACCOUNT_ENCRYPTION_KEY")
        );
        let keyed = Config {
            subaccount_encryption_key: Some(SecretString::from(
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )),
            ..url
        };
        keyed.validate().unwrap();
    }

    #[test]
    fn a_bad_encryption_key_names_its_variable_and_never_echoes_it() {
        let config = Config {
            subaccount_encryption_key: Some(SecretString::from("c2hvcnQ=")),
            ..Config::default()
        };
        let error = config.keyring().unwrap_err().to_string();
        assert!(error.contains("SUBACCOUNT_ENCRYPTION_KEY"), "{error}");
        assert!(!error.contains("c2hvcnQ="), "{error}");
        let debug = format!("{config:?}");
        assert!(!debug.contains("c2hvcnQ="), "{debug}");
    }

    #[test]
    fn public_base_url_defaults_to_the_bind_address_outside_production() {
        assert_eq!(
            Config::default().public_base_url().unwrap(),
            "http://127.0.0.1:8080"
        );
        let bad = Config {
            public_base_url: Some("ftp://x".into()),
            ..Config::default()
        };
        assert!(
            bad.public_base_url()
                .unwrap_err()
                .to_string()
                .contains("PUBLIC_BASE_URL")
        );
    }
}
