//! Connecting to the database: URL parsing, pools, per-connection setup and migrations.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::Connection as _;
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use futures::FutureExt as _;

use crate::error::{StoreError, StoreResult};

/// The migrations for PostgreSQL, embedded in the binary.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
/// The migrations for SQLite, embedded in the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Where the service keeps its data when `DATABASE_URL` is not set.
pub const DEFAULT_SQLITE_PATH: &str = "./data/numbers.sqlite3";

/// An async SQLite connection: diesel's synchronous connection run on tokio's blocking pool.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL through `AsyncPgConnection`.
    Postgres,
    /// SQLite through `SyncConnectionWrapper`.
    Sqlite,
}

impl Backend {
    /// A short lower-case name (`postgres`, `sqlite`) for logs and test names.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, kept verbatim.
    Postgres(String),
    /// A SQLite database file.
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// Reads a `DATABASE_URL` value.
    ///
    /// `postgres://` and `postgresql://` select PostgreSQL. `sqlite://PATH`, `sqlite:PATH`,
    /// `file:PATH` or a bare path select SQLite; `:memory:` is refused because every pooled
    /// connection would get its own empty database.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for an empty value, an unknown scheme or `:memory:`.
    pub fn parse(raw: &str) -> StoreResult<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(StoreError::BadUrl("it is empty".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .or_else(|| raw.strip_prefix("file:"))
            .unwrap_or(raw);
        // Drop any `?mode=…` style options; the service sets its own pragmas.
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path.contains(":memory:") {
            return Err(StoreError::BadUrl(
                "SQLite needs a file path (an in-memory database is not shared between connections)".into(),
            ));
        }
        if let Some((scheme, _)) = raw.split_once("://")
            && scheme != "sqlite"
        {
            return Err(StoreError::BadUrl(format!(
                "unknown scheme {scheme:?}: use postgres://… or a SQLite file path"
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The default: a SQLite file under `./data/`.
    #[must_use]
    pub fn default_sqlite() -> Self {
        Self::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH))
    }

    /// The backend this URL selects.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced by `***`, safe to log.
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

/// `url` with its password (in the user info, or libpq's `password` query parameter)
/// replaced by `***`. A URL that does not parse is not shown at all: it may still hold one.
fn redact_password(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(a PostgreSQL URL that does not parse)".to_owned();
    };
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have a user info, which a parsed one with a
        // password can.
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" {
                    "***".into()
                } else {
                    value
                };
                (key.into_owned(), value.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.into()
}

/// Pool and connection settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most connections kept open.
    pub max_connections: usize,
    /// How long to wait for a free connection or a new one before reporting the database
    /// unavailable.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a lock held by another connection before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// The database handle: a pool on one of the two backends, cheap to clone.
///
/// Connections are recycled without a test query (`RecyclingMethod::Fast`): a checkout
/// used to cost an extra `SELECT 1` round trip before every statement, which the HTTP
/// benchmark showed (docs/benchmarks.md). A connection is still discarded when it comes back
/// with an unfinished transaction or, on PostgreSQL, when its socket has closed; a server
/// restart therefore fails at most the statements already under way.
///
/// Every operation runs on a task of its own, so a caller that gives up (a client that
/// disconnects, a timeout) never leaves a transaction half-done on a pooled connection: the
/// operation finishes, commits or rolls back, and only then returns its connection.
#[derive(Clone)]
pub struct Store {
    pub(crate) pools: Pools,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Builds the pool for `url`. Connections are opened on first use; call
    /// [`Store::ping`] to check the database is reachable. For SQLite the parent folder of
    /// the file is created if missing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the SQLite folder cannot be created or the pool
    /// cannot be built.
    pub fn connect(url: &DatabaseUrl, options: &StoreOptions) -> StoreResult<Self> {
        let pools = match url {
            DatabaseUrl::Postgres(raw) => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager = AsyncDieselConnectionManager::new_with_config(raw.clone(), config);
                Pools::Pg(build_pool(manager, options)?)
            }
            DatabaseUrl::Sqlite(path) => {
                ensure_parent_dir(path)?;
                let path_text = path.to_string_lossy().into_owned();
                let busy_ms = options.sqlite_busy_timeout.as_millis();
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |url: &str| {
                    let url = url.to_owned();
                    async move {
                        tokio::task::spawn_blocking(move || open_sqlite(&url, busy_ms))
                            .await
                            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
                            .map(SyncConnectionWrapper::new)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(path_text, config);
                Pools::Sqlite(build_pool(manager, options)?)
            }
        };
        Ok(Self { pools })
    }

    /// The backend of this store.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Pg(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Runs a trivial query; `Ok` means the database answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    pub async fn ping(&self) -> StoreResult<()> {
        self.detached(|store| async move {
            with_conn!(store, |conn| {
                diesel::sql_query("SELECT 1").execute(conn).await?;
            });
            Ok(())
        })
        .await
    }

    /// Applies the embedded migrations that have not run yet and returns how many ran.
    ///
    /// # Errors
    /// [`StoreError::Migration`] when a migration fails, [`StoreError::Unavailable`] when
    /// the database cannot be reached.
    pub async fn migrate(url: &DatabaseUrl) -> StoreResult<usize> {
        let url = url.clone();
        tokio::task::spawn_blocking(move || match &url {
            DatabaseUrl::Postgres(raw) => {
                let mut conn = diesel_async::async_connection_wrapper::AsyncConnectionWrapper::<
                    AsyncPgConnection,
                >::establish(raw)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                run_migrations(&mut conn, POSTGRES_MIGRATIONS)
            }
            DatabaseUrl::Sqlite(path) => {
                ensure_parent_dir(path)?;
                let mut conn = open_sqlite(&path.to_string_lossy(), 15_000)
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                run_migrations(&mut conn, SQLITE_MIGRATIONS)
            }
        })
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))?
    }

    /// Runs `op` on a task of its own and waits for it (see the type's documentation).
    pub(crate) async fn detached<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: FnOnce(Self) -> Fut,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        match tokio::spawn(op(self.clone())).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => Err(StoreError::Unavailable(format!(
                "database task stopped: {join}"
            ))),
        }
    }
}

fn build_pool<C>(
    manager: AsyncDieselConnectionManager<C>,
    options: &StoreOptions,
) -> StoreResult<Pool<C>>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C>,
{
    Pool::builder(manager)
        .max_size(options.max_connections.max(1))
        .wait_timeout(Some(options.acquire_timeout))
        .create_timeout(Some(options.acquire_timeout))
        .recycle_timeout(Some(options.acquire_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("cannot build the connection pool: {e}")))
}

/// Maps a pool failure (timeout, connect refused) to [`StoreError::Unavailable`].
pub(crate) fn pool_error<E: std::fmt::Display>(error: E) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// A checked-out pooled connection of either backend.
pub(crate) type PgObject = Object<AsyncPgConnection>;
pub(crate) type SqliteObject = Object<SqliteConn>;

fn ensure_parent_dir(path: &Path) -> StoreResult<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create folder {}: {e}", parent.display()))
            })
        }
        _ => Ok(()),
    }
}

/// Opens a SQLite file with the pragmas every connection needs: WAL so readers never block
/// the writer, a busy timeout so writers queue instead of failing, and enforced foreign keys.
fn open_sqlite(path: &str, busy_timeout_ms: u128) -> diesel::ConnectionResult<SqliteConnection> {
    use diesel::connection::SimpleConnection as _;
    let mut conn = SqliteConnection::establish(path)?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {busy_timeout_ms};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;"
    ))
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

fn run_migrations<C>(conn: &mut C, migrations: EmbeddedMigrations) -> StoreResult<usize>
where
    C: diesel_migrations::MigrationHarness<C::Backend> + diesel::Connection,
{
    conn.run_pending_migrations(migrations)
        .map(|ran| ran.len())
        .map_err(|e| StoreError::Migration(e.to_string()))
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend the store
/// uses. The body is compiled once per backend, so it must only use portable queries.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Pg(pool) => {
                let mut object: $crate::store::PgObject =
                    pool.get().await.map_err($crate::store::pool_error)?;
                let $conn: &mut diesel_async::AsyncPgConnection = &mut object;
                $body
            }
            $crate::store::Pools::Sqlite(pool) => {
                let mut object: $crate::store::SqliteObject =
                    pool.get().await.map_err($crate::store::pool_error)?;
                let $conn: &mut $crate::store::SqliteConn = &mut object;
                $body
            }
        }
    };
}

/// Runs `$body` in a write transaction that is serialised where it must be: `BEGIN
/// IMMEDIATE` on SQLite (so a read followed by a write can never deadlock), and on
/// PostgreSQL a plain transaction in which `$pg_lock` (a row lock, or nothing) runs first.
/// The body returns `StoreResult<T>`; any error rolls back.
macro_rules! write_tx {
    ($store:expr, |$conn:ident| pg_lock: $pg_lock:expr, $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Pg(pool) => {
                let mut object: $crate::store::PgObject =
                    pool.get().await.map_err($crate::store::pool_error)?;
                let conn: &mut diesel_async::AsyncPgConnection = &mut object;
                diesel_async::AsyncConnection::transaction(
                    conn,
                    async |$conn: &mut diesel_async::AsyncPgConnection| {
                        $pg_lock;
                        $body
                    },
                )
                .await
            }
            $crate::store::Pools::Sqlite(pool) => {
                let mut object: $crate::store::SqliteObject =
                    pool.get().await.map_err($crate::store::pool_error)?;
                let conn: &mut $crate::store::SqliteConn = &mut object;
                conn.immediate_transaction(async |$conn: &mut $crate::store::SqliteConn| $body)
                    .await
            }
        }
    };
    ($store:expr, |$conn:ident| $body:expr) => {
        write_tx!($store, |$conn| pg_lock: (), $body)
    };
}

pub(crate) use {with_conn, write_tx};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_select_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").unwrap().backend(),
            Backend::Postgres
        );
        for sqlite in [
            "data/x.db",
            "sqlite://data/x.db",
            "sqlite:data/x.db",
            "file:data/x.db",
        ] {
            assert_eq!(
                DatabaseUrl::parse(sqlite).unwrap(),
                DatabaseUrl::Sqlite(PathBuf::from("data/x.db")),
                "{sqlite}"
            );
        }
        assert!(matches!(DatabaseUrl::parse(""), Err(StoreError::BadUrl(_))));
        assert!(matches!(
            DatabaseUrl::parse("sqlite::memory:"),
            Err(StoreError::BadUrl(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("mysql://h/db"),
            Err(StoreError::BadUrl(_))
        ));
    }

    #[test]
    fn redaction_hides_only_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/numbers").unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://app:***@db.internal:5432/numbers"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let plain = DatabaseUrl::parse("postgres://db/numbers").unwrap();
        assert_eq!(plain.redacted(), "postgres://db/numbers");
        let user_only = DatabaseUrl::parse("postgresql://app@db/numbers?sslmode=require").unwrap();
        assert_eq!(
            user_only.redacted(),
            "postgresql://app@db/numbers?sslmode=require"
        );
        // A password with reserved characters, percent-encoded as a URL requires.
        let encoded = DatabaseUrl::parse("postgres://app:p%40ss%3Aword@db/numbers").unwrap();
        assert_eq!(encoded.redacted(), "postgres://app:***@db/numbers");
        // libpq also takes the password as a query parameter.
        let query = DatabaseUrl::parse("postgres://app@db/numbers?sslmode=require&password=s3cret")
            .unwrap();
        assert_eq!(
            query.redacted(),
            "postgres://app@db/numbers?sslmode=require&password=***"
        );
        let broken = DatabaseUrl::parse("postgres://app:s3cret@[db/numbers").unwrap();
        assert!(
            !broken.redacted().contains("s3cret"),
            "{}",
            broken.redacted()
        );
    }

    #[test]
    fn sqlite_urls_show_their_path() {
        for raw in ["sqlite://data/x.db", "file:data/x.db?mode=rwc", "data/x.db"] {
            let url = DatabaseUrl::parse(raw).unwrap();
            assert_eq!(url.redacted(), "sqlite:data/x.db", "{raw}");
            assert_eq!(format!("{url:?}"), "sqlite:data/x.db", "{raw}");
        }
    }
}
