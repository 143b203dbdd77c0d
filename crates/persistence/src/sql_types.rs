//! Column types that mean the same on both backends but are stored differently, and how the
//! domain's types are read from and written to them.
//!
//! PostgreSQL has native `uuid`, `timestamptz` and `numeric`; SQLite stores all three as
//! `TEXT`. Each SQL type here is one type to diesel with a representation per backend, so one
//! `schema.rs` and one query body serve both databases:
//!
//! | SQL type    | PostgreSQL                        | SQLite                               | Rust types |
//! |-------------|-----------------------------------|--------------------------------------|------------|
//! | [`Uuid`]    | `uuid`, diesel's own impl         | hyphenated lower-case `TEXT`         | `uuid::Uuid`, the id newtypes |
//! | [`Instant`] | `timestamptz` (read by hand, below) | fixed-width RFC 3339 `TEXT`        | `DateTime<Utc>` |
//! | [`Amount`]  | `numeric`, rust_decimal's impl    | the decimal's exact text             | [`Money`] |
//! | [`Name`]    | `text`                            | `TEXT`                               | statuses, countries, E.164 numbers, … |
//!
//! The domain's types implement diesel's `FromSql`/`ToSql` for these SQL types directly, so
//! rows are plain structs of domain types and nothing is converted twice. Reading a [`Name`]
//! parses the driver's bytes straight into the domain type (no intermediate `String`); a value
//! that does not parse makes the row unreadable ([`crate::StoreError::Corrupt`]), naming the
//! value and the type.

use std::io::Write as _;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Numeric, Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};
use numbers_domain::{
    AuditAction, AuditSource, ChannelId, ChannelKind, E164, IsoCountry, Money, NumberStatus,
    NumberType, PhoneNumberId, PlanId, ReleaseReason, SubscriptionId, SubscriptionStatus, TenantId,
};
use rust_decimal::Decimal;

use crate::models::AuditDetail;

/// A UUID: `uuid` on PostgreSQL, hyphenated lower-case `TEXT` on SQLite.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Uuid;

/// A UTC instant: `timestamptz` on PostgreSQL, fixed-width RFC 3339 `TEXT` on SQLite
/// (`2026-01-02T03:04:05.123456Z`), which sorts and compares correctly as text.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Instant;

/// An exact decimal: `numeric` on PostgreSQL, the decimal's exact text on SQLite (never a
/// float: SQLite's own `NUMERIC` affinity would round).
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Amount;

/// A `TEXT` column holding a domain type's stable name (a status, a country, an E.164
/// number), parsed as it is read.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 25, array_oid = 1009))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Name;

/// A value bound as a query parameter of one of the SQL types above: `column.eq(Bind(id))`.
///
/// diesel binds a value through `AsExpression`, which cannot be implemented here for types of
/// other crates (diesel's blanket impl for expressions forbids it), so the domain's types are
/// wrapped at the bind site instead, and in rows with `#[diesel(serialize_as = Bind<T>)]`.
/// `Option<T>` needs no wrapper for a nullable column, except in a changeset where `None`
/// means "leave unchanged" and `Some` is bound through `Bind`.
#[derive(Debug, Clone, Copy, AsExpression)]
#[diesel(sql_type = Uuid)]
#[diesel(sql_type = Instant)]
#[diesel(sql_type = Amount)]
#[diesel(sql_type = Name)]
pub struct Bind<T>(pub T);

impl<T> From<T> for Bind<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// Makes each domain type loadable from the SQL type (`uuid::Uuid` and `DateTime<Utc>` are
/// already, through diesel). Its `FromSql`/`ToSql` impls are written per SQL type.
macro_rules! loadable {
    ($sql:ty => $($rust:ty),+ $(,)?) => {$(
        impl<DB: Backend> Queryable<$sql, DB> for $rust
        where
            Self: FromSql<$sql, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

/// `Bind<T>` writes what `T` writes.
macro_rules! bind_writes {
    ($($sql:ty),+) => {$(
        impl<T, DB> ToSql<$sql, DB> for Bind<T>
        where
            T: ToSql<$sql, DB>,
            DB: Backend,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }
    )+};
}

bind_writes!(Uuid, Instant, Amount, Name);

// --- Uuid -------------------------------------------------------------------------------

macro_rules! uuid_values {
    ($($rust:ty),+ $(,)?) => {
        $(
            impl ToSql<Uuid, Pg> for $rust {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    let id = uuid::Uuid::from(*self);
                    ToSql::<diesel::sql_types::Uuid, Pg>::to_sql(&id, &mut out.reborrow())
                }
            }

            impl FromSql<Uuid, Pg> for $rust {
                fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                    let id = <uuid::Uuid as FromSql<diesel::sql_types::Uuid, Pg>>::from_sql(value)?;
                    Ok(Self::from(id))
                }
            }

            impl ToSql<Uuid, Sqlite> for $rust {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                    out.set_value(uuid::Uuid::from(*self).hyphenated().to_string());
                    Ok(IsNull::No)
                }
            }

            impl FromSql<Uuid, Sqlite> for $rust {
                fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                    Ok(Self::from(uuid::Uuid::parse_str(value.read_text())?))
                }
            }
        )+
    };
}

uuid_values!(
    uuid::Uuid,
    TenantId,
    ChannelId,
    PhoneNumberId,
    PlanId,
    SubscriptionId
);
loadable!(Uuid => TenantId, ChannelId, PhoneNumberId, PlanId, SubscriptionId);

// --- Instant ----------------------------------------------------------------------------

impl ToSql<Instant, Pg> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Self as ToSql<Timestamptz, Pg>>::to_sql(self, out)
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

impl FromSql<Instant, Pg> for DateTime<Utc> {
    /// `timestamptz` on the wire is microseconds since 2000-01-01 UTC, big-endian. It is read
    /// here rather than by diesel's chrono impl, which goes through calendar arithmetic and
    /// was a measurable part of decoding the list endpoint's rows (docs/benchmarks.md).
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let bytes: [u8; 8] = value
            .as_bytes()
            .try_into()
            .map_err(|_| "a timestamptz is 8 bytes")?;
        i64::from_be_bytes(bytes)
            .checked_add(PG_EPOCH_UNIX_MICROS)
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| "the timestamptz is out of range (infinity?)".into())
    }
}

impl ToSql<Instant, Sqlite> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_time_text(*self));
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for DateTime<Utc> {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(DateTime::parse_from_rfc3339(value.read_text())?.with_timezone(&Utc))
    }
}

/// The text form of an instant on SQLite: microseconds, always `Z`, so every stored value
/// has the same width and text order equals time order.
#[must_use]
pub fn sqlite_time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

// --- Amount -----------------------------------------------------------------------------

impl ToSql<Amount, Pg> for Money {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Decimal as ToSql<Numeric, Pg>>::to_sql(&self.amount(), &mut out.reborrow())
    }
}

impl FromSql<Amount, Pg> for Money {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self::new(<Decimal as FromSql<Numeric, Pg>>::from_sql(
            value,
        )?)?)
    }
}

impl ToSql<Amount, Sqlite> for Money {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.amount().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Amount, Sqlite> for Money {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(Self::new(Decimal::from_str_exact(value.read_text())?)?)
    }
}

loadable!(Amount => Money);

// --- Name -------------------------------------------------------------------------------

/// Parses a stored name, or says which value is not a valid what.
fn parse_name<T: FromStr>(text: &str) -> deserialize::Result<T> {
    text.parse().map_err(|_| {
        let name = std::any::type_name::<T>();
        let name = name.rsplit("::").next().unwrap_or(name);
        format!("the stored value {text:?} is not a valid {name}").into()
    })
}

macro_rules! name_values {
    ($($rust:ty),+ $(,)?) => {
        $(
            impl<DB: Backend> ToSql<Name, DB> for $rust
            where
                str: ToSql<Text, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
                }
            }

            impl FromSql<Name, Pg> for $rust {
                fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                    parse_name(std::str::from_utf8(value.as_bytes())?)
                }
            }

            impl FromSql<Name, Sqlite> for $rust {
                fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                    parse_name(value.read_text())
                }
            }
        )+
        loadable!(Name => $($rust),+);
    };
}

name_values!(
    E164,
    IsoCountry,
    NumberType,
    NumberStatus,
    ReleaseReason,
    SubscriptionStatus,
    ChannelKind,
    AuditAction,
    AuditSource,
);

// --- Audit detail (JSON text) -----------------------------------------------------------

impl ToSql<Text, Pg> for AuditDetail {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        serde_json::to_writer(&mut *out, self)?;
        out.flush()?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for AuditDetail {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(serde_json::from_slice(value.as_bytes())?)
    }
}

impl ToSql<Text, Sqlite> for AuditDetail {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(self)?);
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Sqlite> for AuditDetail {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(serde_json::from_str(value.read_text())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_time_text_has_fixed_width() {
        let early = DateTime::from_timestamp(0, 0).unwrap();
        let late = DateTime::from_timestamp(4_000_000_000, 123_000).unwrap();
        assert_eq!(sqlite_time_text(early), "1970-01-01T00:00:00.000000Z");
        assert_eq!(sqlite_time_text(early).len(), sqlite_time_text(late).len());
    }
}
