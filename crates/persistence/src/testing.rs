//! Test harness: a fresh, migrated database per test on either backend.
//!
//! * PostgreSQL: a template database is migrated once per migration set (its name carries a
//!   hash of the migration files, so editing a migration builds a new one) under an advisory
//!   lock, so parallel test processes share it safely. Each test then gets
//!   `CREATE DATABASE … TEMPLATE …`, dropped again when the [`TestDb`] is dropped.
//! * SQLite: a migrated file in the system temp folder, deleted on drop.
//!
//! The server is `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`,
//! any database on it serves as the admin connection). When it cannot be reached the test
//! fails with a message saying how to start it: it never skips.
//!
//! [`both_backends!`](crate::both_backends) runs one test body against both.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

use crate::{DatabaseUrl, Store, StoreOptions};

/// The admin connection used when `TEST_DATABASE_URL` is not set.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// What to run when PostgreSQL is down, printed in the failure message.
pub const HOW_TO_START_POSTGRES: &str = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start \
     (or point TEST_DATABASE_URL at a server you can use)";

/// A database that exists for one test.
pub struct TestDb {
    /// The store connected to it.
    pub store: Store,
    /// Its URL (e.g. to start a service against it).
    pub url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite(PathBuf),
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The admin URL of the test PostgreSQL server.
#[must_use]
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned())
}

/// `admin` with its database name replaced by `database`.
fn with_database(admin: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin)
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin:?} is not a URL: {e}"));
    url.set_path(database);
    url.to_string()
}

async fn connect_admin(admin: &str) -> AsyncPgConnection {
    match AsyncPgConnection::establish(admin).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {} ({e}); the tests need a real server: {HOW_TO_START_POSTGRES}",
            DatabaseUrl::Postgres(admin.to_owned()).redacted()
        ),
    }
}

/// A hash of the PostgreSQL migration files, naming the template they produce.
fn migrations_hash(dir: &Path) -> u64 {
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.strip_prefix(dir).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
            .hash(&mut hasher);
    }
    hasher.finish()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read migrations in {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Lock id serialising template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x006e_756d_6265_7273;

async fn ensure_template(admin: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let name = format!("numbers_tmpl_{:016x}", migrations_hash(&dir));
    let mut conn = connect_admin(admin).await;
    exec(
        &mut conn,
        &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"),
    )
    .await;
    let exists: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
    ))
    .get_result::<Count>(&mut conn)
    .await
    .map(|c| c.n)
    .unwrap_or_else(|e| panic!("cannot look up the template database: {e}"));
    if exists == 0 {
        let building = format!("{name}_building");
        exec(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await;
        exec(&mut conn, &format!("CREATE DATABASE {building}")).await;
        let url = DatabaseUrl::Postgres(with_database(admin, &building));
        Store::migrate(&url)
            .await
            .unwrap_or_else(|e| panic!("migrating the template database failed: {e}"));
        exec(
            &mut conn,
            &format!("ALTER DATABASE {building} RENAME TO {name}"),
        )
        .await;
    }
    exec(
        &mut conn,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"),
    )
    .await;
    name
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    if let Err(e) = diesel::sql_query(sql).execute(conn).await {
        panic!("test database setup failed on `{sql}`: {e}");
    }
}

impl TestDb {
    /// A fresh migrated PostgreSQL database.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached (with instructions to start it) or setup fails.
    pub async fn postgres() -> Self {
        Self::postgres_at(admin_url()).await
    }

    /// A fresh migrated PostgreSQL database on the server of `admin` (an admin URL).
    ///
    /// # Panics
    /// As [`TestDb::postgres`].
    pub async fn postgres_at(admin: String) -> Self {
        let template = ensure_template(&admin).await;
        let name = format!("numbers_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect_admin(&admin).await;
        exec(
            &mut conn,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await;
        let url = DatabaseUrl::Postgres(with_database(&admin, &name));
        let store = Store::connect(&url, &test_options())
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
        Self {
            store,
            url,
            cleanup: Cleanup::Postgres {
                admin_url: admin,
                name,
            },
        }
    }

    /// A fresh migrated SQLite database file.
    ///
    /// # Panics
    /// When the file cannot be created or migrated.
    pub async fn sqlite() -> Self {
        let path = std::env::temp_dir()
            .join("numbers-tests")
            .join(format!("{}.sqlite3", uuid::Uuid::new_v4().simple()));
        let url = DatabaseUrl::Sqlite(path.clone());
        Store::migrate(&url)
            .await
            .unwrap_or_else(|e| panic!("migrating the SQLite test database failed: {e}"));
        let store = Store::connect(&url, &test_options())
            .unwrap_or_else(|e| panic!("cannot open the SQLite test database: {e}"));
        Self {
            store,
            url,
            cleanup: Cleanup::Sqlite(path),
        }
    }

    /// A fresh database of the given backend.
    ///
    /// # Panics
    /// As [`TestDb::postgres`] and [`TestDb::sqlite`].
    pub async fn new(backend: crate::Backend) -> Self {
        match backend {
            crate::Backend::Postgres => Self::postgres().await,
            crate::Backend::Sqlite => Self::sqlite().await,
        }
    }
}

fn test_options() -> StoreOptions {
    StoreOptions {
        max_connections: 8,
        ..StoreOptions::default()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop may run inside a runtime; do the async work on a thread of its own.
                let admin = admin_url.clone();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let done = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async move {
                            if let Ok(mut conn) = AsyncPgConnection::establish(&admin).await {
                                let _ = diesel::sql_query(sql).execute(&mut conn).await;
                            }
                        });
                    }
                });
                let _ = done.join();
            }
        }
    }
}

/// Runs one async test body against both backends: expands to a module named after the
/// test with two `#[tokio::test]`s, `postgres` and `sqlite`, each binding a fresh
/// [`TestDb`] to the given name.
///
/// ```text
/// both_backends! {
///     async fn creates_a_tenant(db) {
///         let tenant = db.store.tenants().create("Acme").await.unwrap();
///         assert_eq!(db.store.tenants().get(tenant.id).await.unwrap(), Some(tenant));
///     }
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let $db = $crate::testing::TestDb::postgres().await;
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $db = $crate::testing::TestDb::sqlite().await;
                    $body
                }
            }
        )*
    };
}

/// A tenant subscribed (`active`, for 30 days) to a fresh plan allowing `quota` numbers.
///
/// # Panics
/// When the database refuses (a test set-up failure).
pub async fn tenant_with_quota(store: &Store, quota: u32) -> (crate::Tenant, crate::Plan) {
    let tenant = store.tenants().create("Acme").await.expect("tenant");
    let plan = store
        .plans()
        .create(&format!("plan-{}", uuid::Uuid::new_v4().simple()), quota)
        .await
        .expect("plan");
    store
        .subscriptions()
        .create(
            tenant.id,
            plan.id,
            numbers_domain::SubscriptionStatus::Active,
            chrono::Utc::now() + chrono::Duration::days(30),
        )
        .await
        .expect("subscription");
    (tenant, plan)
}

/// A voice channel of the tenant, streaming to a placeholder agent URL.
///
/// # Panics
/// When the database refuses (a test set-up failure).
pub async fn voice_channel(store: &Store, tenant: numbers_domain::TenantId) -> crate::Channel {
    store
        .channels()
        .create(crate::NewChannel {
            tenant_id: tenant,
            kind: numbers_domain::ChannelKind::Voice,
            name: "Front desk".into(),
            agent_stream_url: Some("wss://agents.example/stream".into()),
        })
        .await
        .expect("channel")
}
