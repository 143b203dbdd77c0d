//! Typed configuration. Every setting is an environment variable and also a flag of the
//! binaries (through `clap`), so `.env.example` and `--help` describe the same thing.

use std::net::SocketAddr;

use numbers_persistence::DatabaseUrl;

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

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Pretty,
        }
    }
}

impl Config {
    /// The database to use: `DATABASE_URL`, or the default SQLite file.
    ///
    /// # Errors
    /// [`AppError::Config`] naming `DATABASE_URL` when it cannot be used.
    pub fn database_url(&self) -> Result<DatabaseUrl, AppError> {
        match self.database_url.as_deref().map(str::trim) {
            None | Some("") => Ok(DatabaseUrl::default_sqlite()),
            Some(raw) => DatabaseUrl::parse(raw).map_err(|e| AppError::Config(e.to_string())),
        }
    }
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
}
