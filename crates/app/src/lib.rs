//! Composition root of the phone numbers service, shared by the `api` and `drift-sync`
//! binaries: typed configuration read from the environment (each variable also a flag),
//! logging set-up, and [`App`], which opens and migrates the database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), numbers_app::AppError> {
//! use numbers_app::{App, Config};
//!
//! let app = App::build(&Config::default()).await?; // SQLite under ./data/, migrated
//! app.store().ping().await?;
//! # Ok(())
//! # }
//! ```

mod config;
mod logging;

pub use config::{Config, LogFormat};
pub use logging::init_logging;

use numbers_persistence::{DatabaseUrl, Store, StoreError, StoreOptions};

/// Applies pending migrations to the database at `url` and returns how many ran.
///
/// # Errors
/// [`AppError::Store`] when the database cannot be reached or a migration fails.
pub async fn migrate(url: &DatabaseUrl) -> Result<usize, AppError> {
    Ok(Store::migrate(url).await?)
}

/// Why the application could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A configuration value is wrong; the message names the variable.
    #[error("configuration error: {0}")]
    Config(String),
    /// The database could not be opened, reached or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The built application: what every entry point needs, cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    database_url: DatabaseUrl,
}

impl App {
    /// Opens the database named by the configuration and applies pending migrations.
    ///
    /// # Errors
    /// [`AppError::Config`] for a bad `DATABASE_URL`; [`AppError::Store`] when the database
    /// cannot be reached or migrated.
    pub async fn build(config: &Config) -> Result<Self, AppError> {
        let database_url = config.database_url()?;
        let ran = Store::migrate(&database_url).await?;
        if ran > 0 {
            tracing::info!(migrations = ran, database = %database_url.redacted(), "applied migrations");
        }
        Self::connect(database_url)
    }

    /// Connects to a database without migrating it (the database may be down; requests will
    /// report it unavailable until it is back).
    ///
    /// # Errors
    /// [`AppError::Store`] when the pool cannot be built.
    pub fn connect(database_url: DatabaseUrl) -> Result<Self, AppError> {
        let store = Store::connect(&database_url, &StoreOptions::default())?;
        Ok(Self {
            store,
            database_url,
        })
    }

    /// Wraps an existing store (tests, embedding).
    #[must_use]
    pub fn from_store(store: Store, database_url: DatabaseUrl) -> Self {
        Self {
            store,
            database_url,
        }
    }

    /// The database handle.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database URL, for display use [`DatabaseUrl::redacted`].
    #[must_use]
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.database_url
    }
}
