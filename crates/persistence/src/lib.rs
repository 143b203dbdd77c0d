//! Persistence of the phone numbers service on PostgreSQL and SQLite.
//!
//! One [`Store`] wraps a pool of either backend (chosen by [`DatabaseUrl`]); repositories
//! borrowed from it ([`Store::tenants`], [`Store::phone_numbers`], …) read and write domain
//! records. Queries are written once with diesel and compiled for both backends; only the
//! locking of write transactions differs (a row lock on PostgreSQL, `BEGIN IMMEDIATE` on
//! SQLite). Migrations for both are embedded ([`Store::migrate`]).
//!
//! The database enforces the rules that must hold under races: at most one live row per
//! phone number (a partial unique index), and the quota check and the insert of a `pending`
//! row happen in one serialised transaction ([`repo::phone_numbers::PhoneNumbers::reserve`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), numbers_persistence::StoreError> {
//! use numbers_persistence::{DatabaseUrl, Store, StoreOptions};
//!
//! let url = DatabaseUrl::parse("sqlite://data/numbers.sqlite3")?;
//! Store::migrate(&url).await?;
//! let store = Store::connect(&url, &StoreOptions::default())?;
//! let tenant = store.tenants().create("Acme").await?;
//! assert_eq!(store.tenants().get(tenant.id).await?, Some(tenant));
//! # Ok(())
//! # }
//! ```

mod error;
pub mod introspect;
mod models;
pub mod repo;
mod schema;
pub mod sql_types;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Conflict, StoreError, StoreResult};
pub use models::{
    Actor, AuditDetail, AuditEvent, CallRecord, Channel, PhoneNumberRecord, PhoneNumberSummary,
    Plan, RegulatoryRequirement, SharedPoolNumber, Subscription, Tenant, TwilioAccount,
};
pub use repo::audit_events::NewAuditEvent;
pub use repo::calls::{NewCallEvent, Recorded};
pub use repo::channels::NewChannel;
pub use repo::idempotency::{Claim, StoredAnswer};
pub use repo::phone_numbers::{Changes, ChannelChange, NewReservation, Reservation, StatusFilter};
pub use store::{
    Backend, DEFAULT_SQLITE_PATH, DatabaseUrl, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store,
    StoreOptions,
};
