//! Composition root of the phone numbers service, shared by the `api` and `drift-sync`
//! binaries: typed configuration read from the environment (each variable also a flag),
//! logging set-up, metrics, the carrier adapter over `twilio-client`, the pricing cache,
//! sandbox mode, and [`App`], the one cloneable state every entry point shares.
//!
//! ```no_run
//! # async fn demo() -> Result<(), numbers_app::AppError> {
//! use numbers_app::{App, Config};
//!
//! // No configuration: SQLite under ./data/ (migrated) and sandbox mode.
//! let app = App::build(&Config::default()).await?;
//! app.store().ping().await?;
//! # Ok(())
//! # }
//! ```

pub mod admin;
mod carrier;
pub mod channels;
mod config;
pub mod drift;
mod error;
pub mod idempotency;
mod logging;
pub mod metrics;
pub mod numbers;
mod pricing;
pub mod sandbox;
pub mod subscriptions;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use carrier::TwilioCarrier;
pub use config::{
    Config, DatabaseConfig, DeploymentConfig, LogFormat, SecretsConfig, ServerConfig, TwilioAuth,
    TwilioConfig, TwilioMode, TwilioSettings,
};
pub use error::ServiceError;
pub use logging::init_logging;
pub use metrics::Metrics;
pub use pricing::PricingCache;
pub use sandbox::Sandbox;

use numbers_domain::{Carrier, CarrierError};
use numbers_persistence::{DatabaseUrl, Store, StoreError, StoreOptions};
use secrecy::SecretString;
use twilio_client::{Credentials, TwilioClient};

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
    /// The sandbox's Twilio fake could not start.
    #[error("sandbox mode could not start the Twilio fake: {0}")]
    Sandbox(String),
}

/// The built application, cheap to clone: database, carrier, caches, metrics and the
/// settings handlers need.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    database_url: DatabaseUrl,
    carrier: Arc<dyn Carrier>,
    pricing: PricingCache,
    metrics: Arc<Metrics>,
    jwt_secret: SecretString,
    public_base_url: String,
    sandbox: Option<Sandbox>,
    master: MasterAccount,
    keyring: Option<numbers_crypto::Keyring>,
}

/// The master account as webhooks see it: its SID and, when configured, its auth token
/// (webhooks of its numbers are verified with it).
#[derive(Debug, Clone, Default)]
struct MasterAccount {
    sid: String,
    auth_token: Option<SecretString>,
}

/// Builds an [`App`] piece by piece (tests, embedding); [`App::build`] does it from
/// configuration.
#[derive(Debug)]
pub struct AppBuilder {
    store: Store,
    database_url: DatabaseUrl,
    carrier: Option<Arc<dyn Carrier>>,
    metrics: Arc<Metrics>,
    jwt_secret: SecretString,
    public_base_url: String,
    pricing_ttl: Duration,
    sandbox: Option<Sandbox>,
    master: MasterAccount,
    keyring: Option<numbers_crypto::Keyring>,
}

impl AppBuilder {
    /// Starts from a connected store. Without a carrier, Twilio calls fail as unavailable.
    #[must_use]
    pub fn new(store: Store, database_url: DatabaseUrl) -> Self {
        Self {
            store,
            database_url,
            carrier: None,
            metrics: Arc::new(Metrics::new()),
            jwt_secret: SecretString::from(random_secret()),
            public_base_url: "http://127.0.0.1:8080".into(),
            pricing_ttl: Duration::from_secs(3600),
            sandbox: None,
            master: MasterAccount::default(),
            keyring: None,
        }
    }

    /// The carrier to use.
    #[must_use]
    pub fn carrier(mut self, carrier: Arc<dyn Carrier>) -> Self {
        self.carrier = Some(carrier);
        self
    }

    /// Twilio through a client built for these base URLs and credentials (e.g. the fake's).
    ///
    /// # Errors
    /// [`AppError::Config`] when the client cannot be built.
    pub fn twilio(self, settings: &TwilioSettings) -> Result<Self, AppError> {
        let token = match &settings.auth {
            TwilioAuth::AuthToken(token) => Some(token.clone()),
            TwilioAuth::ApiKey { .. } => None,
        };
        Ok(self
            .twilio_client(twilio_client(settings)?)
            .master_account(&settings.account_sid, token))
    }

    /// The master account's SID and auth token, which verify the webhooks of its numbers
    /// (set by [`AppBuilder::twilio`] from an auth-token configuration). Without a token,
    /// those webhooks are refused with an error log.
    #[must_use]
    pub fn master_account(mut self, sid: &str, auth_token: Option<SecretString>) -> Self {
        self.master = MasterAccount {
            sid: sid.to_owned(),
            auth_token,
        };
        self
    }

    /// The keyring that opens the sealed auth tokens of other accounts.
    #[must_use]
    pub fn keyring(mut self, keyring: numbers_crypto::Keyring) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Twilio through a client built by the caller (tests use it for short timeouts).
    #[must_use]
    pub fn twilio_client(self, client: TwilioClient) -> Self {
        let carrier = TwilioCarrier::new(client, Arc::clone(&self.metrics));
        self.carrier(Arc::new(carrier))
    }

    /// The JWT secret.
    #[must_use]
    pub fn jwt_secret(mut self, secret: SecretString) -> Self {
        self.jwt_secret = secret;
        self
    }

    /// The public base URL (no trailing `/`).
    #[must_use]
    pub fn public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = url.into();
        self
    }

    /// How long prices are cached.
    #[must_use]
    pub fn pricing_ttl(mut self, ttl: Duration) -> Self {
        self.pricing_ttl = ttl;
        self
    }

    /// Finishes the app.
    #[must_use]
    pub fn build(self) -> App {
        let carrier = self.carrier.unwrap_or_else(|| Arc::new(NoCarrier));
        App {
            inner: Arc::new(Inner {
                store: self.store,
                database_url: self.database_url,
                carrier,
                pricing: PricingCache::new(self.pricing_ttl),
                metrics: self.metrics,
                jwt_secret: self.jwt_secret,
                public_base_url: self.public_base_url,
                sandbox: self.sandbox,
                master: self.master,
                keyring: self.keyring,
            }),
        }
    }
}

/// A carrier for apps built without one: every call is "unavailable".
#[derive(Debug)]
struct NoCarrier;

#[async_trait::async_trait]
impl Carrier for NoCarrier {
    fn account_sid(&self) -> &str {
        ""
    }

    async fn search_available(
        &self,
        _query: &numbers_domain::AvailableQuery,
    ) -> Result<Vec<numbers_domain::AvailableNumber>, CarrierError> {
        Err(CarrierError::Unavailable)
    }

    async fn pricing(
        &self,
        _country: numbers_domain::IsoCountry,
    ) -> Result<numbers_domain::CountryPricing, CarrierError> {
        Err(CarrierError::Unavailable)
    }

    async fn buy(
        &self,
        _order: &numbers_domain::PurchaseOrder,
    ) -> Result<numbers_domain::OwnedNumber, CarrierError> {
        Err(CarrierError::Unavailable)
    }

    async fn find_owned(
        &self,
        _phone_number: &numbers_domain::E164,
    ) -> Result<Option<numbers_domain::OwnedNumber>, CarrierError> {
        Err(CarrierError::Unavailable)
    }

    async fn set_webhooks(
        &self,
        _sid: &str,
        _webhooks: &numbers_domain::Webhooks,
    ) -> Result<numbers_domain::OwnedNumber, CarrierError> {
        Err(CarrierError::Unavailable)
    }

    async fn release(&self, _sid: &str) -> Result<(), CarrierError> {
        Err(CarrierError::Unavailable)
    }

    fn list_owned(&self) -> numbers_domain::OwnedNumbers {
        Box::pin(futures::stream::once(async {
            Err(CarrierError::Unavailable)
        }))
    }
}

/// A fresh random secret: 32 bytes from the operating system's random source, as URL-safe
/// base64 (43 characters).
fn random_secret() -> String {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut bytes = zeroize::Zeroizing::new([0_u8; 32]);
    ring::rand::SystemRandom::new()
        .fill(bytes.as_mut())
        .expect("the operating system's random source must work to make a secret");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref())
}

/// Where a development JWT secret is kept when `JWT_SECRET` is not set (never in
/// production), so tokens minted with `api token` keep working across restarts.
pub const DEV_JWT_SECRET_PATH: &str = "./data/dev-jwt-secret";

/// The JWT secret: `JWT_SECRET`, or outside production a development secret kept in
/// [`DEV_JWT_SECRET_PATH`] (created on first use, readable by the owner only).
///
/// # Errors
/// [`AppError::Config`] when production lacks `JWT_SECRET` or the file cannot be used.
pub fn resolve_jwt_secret(config: &Config) -> Result<SecretString, AppError> {
    if let Some(secret) = config.jwt_secret()? {
        return Ok(secret);
    }
    let path = std::path::Path::new(DEV_JWT_SECRET_PATH);
    let io = |e: std::io::Error| {
        AppError::Config(format!(
            "JWT_SECRET is not set and {} cannot be used: {e}",
            path.display()
        ))
    };
    match std::fs::read_to_string(path) {
        Ok(secret) if secret.trim().len() >= 32 => {
            return Ok(SecretString::from(secret.trim().to_owned()));
        }
        Ok(_) => {
            return Err(AppError::Config(format!(
                "{} is too short; delete it",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let secret = random_secret();
    write_private(path, &secret).map_err(io)?;
    tracing::warn!(path = %path.display(), "JWT_SECRET is not set: created a development secret");
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Builds the Twilio client for the master account.
///
/// # Errors
/// [`AppError::Config`] when the client refuses the settings (bad base URL, bad SID).
pub fn twilio_client(settings: &TwilioSettings) -> Result<TwilioClient, AppError> {
    let credentials = match &settings.auth {
        TwilioAuth::AuthToken(token) => {
            Credentials::auth_token(&settings.account_sid, token.clone())
        }
        TwilioAuth::ApiKey { key_sid, secret } => {
            Credentials::api_key(&settings.account_sid, key_sid, secret.clone())
        }
    };
    TwilioClient::builder(credentials)
        .api_base_url(&settings.api_base_url)
        .pricing_base_url(&settings.pricing_base_url)
        .build()
        .map_err(|e| AppError::Config(format!("Twilio settings: {e}")))
}

impl App {
    /// Builds the application from configuration: validates every setting, opens and
    /// migrates the database, and connects to Twilio — or, without credentials, starts the
    /// sandbox (an in-process fake and demo records).
    ///
    /// # Errors
    /// [`AppError::Config`] naming the variable at fault; [`AppError::Store`] when the
    /// database cannot be reached or migrated; [`AppError::Sandbox`] when the fake cannot
    /// start.
    pub async fn build(config: &Config) -> Result<Self, AppError> {
        config.validate()?;
        let database_url = config.database_url()?;
        let ran = Store::migrate(&database_url).await?;
        if ran > 0 {
            tracing::info!(migrations = ran, database = %database_url.redacted(), "applied migrations");
        }
        let store = Store::connect(&database_url, &StoreOptions::default())?;
        let mut builder = AppBuilder::new(store.clone(), database_url)
            .public_base_url(config.public_base_url()?)
            .pricing_ttl(Duration::from_secs(config.server.pricing_cache_ttl_secs));
        builder = builder.jwt_secret(resolve_jwt_secret(config)?);
        if let Some(keyring) = config.keyring()? {
            builder = builder.keyring(keyring);
        }
        match config.twilio_mode()? {
            TwilioMode::Live(settings) => builder = builder.twilio(&settings)?,
            TwilioMode::Sandbox => {
                let fake = sandbox::start_fake().map_err(|e| AppError::Sandbox(e.to_string()))?;
                let settings = TwilioSettings {
                    account_sid: fake.account_sid().to_owned(),
                    auth: TwilioAuth::AuthToken(SecretString::from(fake.auth_token().to_owned())),
                    api_base_url: fake.api_base_url(),
                    pricing_base_url: fake.pricing_base_url(),
                };
                builder = builder.twilio(&settings)?;
                let (tenant_id, channel_id) = sandbox::seed_demo(&store).await?;
                let registered = sandbox::register_demo_documents(&store, &fake).await?;
                if registered > 0 {
                    tracing::info!(
                        pairs = registered,
                        "sandbox: registered demo bundles and addresses for regulated numbers"
                    );
                }
                builder.sandbox = Some(Sandbox {
                    fake,
                    tenant_id,
                    channel_id,
                });
            }
        }
        Ok(builder.build())
    }

    /// Connects to a database without migrating it and without a carrier (the database may
    /// be down; requests report it unavailable until it is back).
    ///
    /// # Errors
    /// [`AppError::Store`] when the pool cannot be built.
    pub fn connect(database_url: DatabaseUrl) -> Result<Self, AppError> {
        let store = Store::connect(&database_url, &StoreOptions::default())?;
        Ok(AppBuilder::new(store, database_url).build())
    }

    /// Wraps an existing store with no carrier (tests of database-only behaviour).
    #[must_use]
    pub fn from_store(store: Store, database_url: DatabaseUrl) -> Self {
        AppBuilder::new(store, database_url).build()
    }

    /// The database handle.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The database URL; for display use [`DatabaseUrl::redacted`].
    #[must_use]
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.inner.database_url
    }

    /// The carrier (Twilio, or the sandbox's fake).
    #[must_use]
    pub fn carrier(&self) -> &dyn Carrier {
        self.inner.carrier.as_ref()
    }

    /// The pricing cache.
    #[must_use]
    pub fn pricing(&self) -> &PricingCache {
        &self.inner.pricing
    }

    /// The metrics registry.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The secret JWTs are signed with.
    #[must_use]
    pub fn jwt_secret(&self) -> &SecretString {
        &self.inner.jwt_secret
    }

    /// The public base URL, without a trailing `/`.
    #[must_use]
    pub fn public_base_url(&self) -> &str {
        &self.inner.public_base_url
    }

    /// The master account's SID (empty without a carrier).
    #[must_use]
    pub fn master_account_sid(&self) -> &str {
        &self.inner.master.sid
    }

    /// The master account's auth token, when configured.
    #[must_use]
    pub fn master_auth_token(&self) -> Option<&SecretString> {
        self.inner.master.auth_token.as_ref()
    }

    /// The keyring opening sealed tokens, when configured.
    #[must_use]
    pub fn keyring(&self) -> Option<&numbers_crypto::Keyring> {
        self.inner.keyring.as_ref()
    }

    /// The sandbox, when running in sandbox mode.
    #[must_use]
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.inner.sandbox.as_ref()
    }
}
