//! Column types that mean the same on both backends but are stored differently.
//!
//! PostgreSQL has native `uuid`, `timestamptz` and `numeric`; SQLite stores all three as
//! `TEXT`. Each type here is one SQL type to diesel with a representation per backend, so
//! one `schema.rs` and one query body serve both databases. The Rust side uses the small
//! wrappers below ([`DbUuid`], [`DbTime`], [`DbMoney`]); repositories convert them to
//! domain types at the edge. [`DbParsed`] reads a `TEXT` column straight into any type that
//! parses from a string (a status, an E.164 number), without an intermediate `String`.

use std::io::Write as _;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::data_types::PgNumeric;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Numeric, Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};
use rust_decimal::Decimal;

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

/// An exact decimal: `numeric` on PostgreSQL, the decimal's canonical string on SQLite.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Amount;

/// Rust side of [`Uuid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Uuid)]
pub struct DbUuid(pub uuid::Uuid);

/// Rust side of [`Instant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Instant)]
pub struct DbTime(pub DateTime<Utc>);

/// Rust side of [`Amount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Amount)]
pub struct DbMoney(pub Decimal);

/// A `TEXT` column parsed into `T` as it is read. A value that does not parse makes the
/// row unreadable ([`crate::StoreError::Corrupt`]), naming the value and the type.
#[derive(Debug, Clone, PartialEq, Eq, FromSqlRow)]
pub struct DbParsed<T>(pub T);

impl<T: FromStr> DbParsed<T> {
    fn parse(text: &str) -> deserialize::Result<Self> {
        text.parse().map(Self).map_err(|_| {
            let name = std::any::type_name::<T>();
            let name = name.rsplit("::").next().unwrap_or(name);
            format!("the stored value {text:?} is not a valid {name}").into()
        })
    }
}

impl<T: FromStr> FromSql<Text, Pg> for DbParsed<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Self::parse(std::str::from_utf8(value.as_bytes())?)
    }
}

impl<T: FromStr> FromSql<Text, Sqlite> for DbParsed<T> {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let mut value: SqliteValue<'_, '_, '_> = value;
        Self::parse(value.read_text())
    }
}

impl ToSql<Uuid, Pg> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Pg> for DbUuid {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(uuid::Uuid::from_slice(value.as_bytes())?))
    }
}

impl ToSql<Uuid, Sqlite> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Sqlite> for DbUuid {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let mut value = value;
        Ok(Self(uuid::Uuid::parse_str(value.read_text())?))
    }
}

impl ToSql<Instant, Pg> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, &mut out.reborrow())
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

impl FromSql<Instant, Pg> for DbTime {
    /// `timestamptz` on the wire is microseconds since 2000-01-01 UTC, big-endian; read
    /// straight into an instant (diesel's chrono conversion goes through calendar
    /// arithmetic and was a visible part of decoding a list).
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let bytes: [u8; 8] = value
            .as_bytes()
            .try_into()
            .map_err(|_| "a timestamptz is 8 bytes")?;
        i64::from_be_bytes(bytes)
            .checked_add(PG_EPOCH_UNIX_MICROS)
            .and_then(DateTime::from_timestamp_micros)
            .map(Self)
            .ok_or_else(|| "the timestamptz is out of range (infinity?)".into())
    }
}

impl ToSql<Instant, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_time_text(self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for DbTime {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let mut value = value;
        Ok(Self(
            DateTime::parse_from_rfc3339(value.read_text())?.with_timezone(&Utc),
        ))
    }
}

/// The text form of an instant on SQLite: microseconds, always `Z`, so every stored value
/// has the same width and text order equals time order.
#[must_use]
pub fn sqlite_time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl ToSql<Amount, Pg> for DbMoney {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let numeric = decimal_to_pg_numeric(self.0);
        <PgNumeric as ToSql<Numeric, Pg>>::to_sql(&numeric, &mut out.reborrow())
    }
}

impl FromSql<Amount, Pg> for DbMoney {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let numeric = <PgNumeric as FromSql<Numeric, Pg>>::from_sql(value)?;
        Ok(Self(pg_numeric_to_decimal(&numeric)?))
    }
}

impl ToSql<Amount, Sqlite> for DbMoney {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Amount, Sqlite> for DbMoney {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let mut value = value;
        Ok(Self(Decimal::from_str_exact(value.read_text())?))
    }
}

/// Base of PostgreSQL's numeric digits.
const NBASE: i128 = 10_000;

/// Converts a decimal to PostgreSQL's wire form: base-10000 digit groups around the
/// decimal point, `weight` being the power of 10000 of the first group.
fn decimal_to_pg_numeric(value: Decimal) -> PgNumeric {
    let scale = value.scale();
    // Pad the fraction to whole groups of four decimal digits.
    let padded_scale = scale.div_ceil(4) * 4;
    let mut rest = value.mantissa().unsigned_abs() * 10_u128.pow(padded_scale - scale);
    let mut groups = Vec::new();
    while rest > 0 {
        // Each group is below 10000, so it fits an i16.
        groups.push(i16::try_from(rest % 10_000).unwrap_or_default());
        rest /= 10_000;
    }
    // `groups` is least significant first; the first of them sits at 10000^-(padded/4).
    let fraction_groups = i16::try_from(padded_scale / 4).unwrap_or_default();
    let group_count = i16::try_from(groups.len()).unwrap_or_default();
    let weight = group_count - 1 - fraction_groups;
    let leading_zero_groups = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..leading_zero_groups);
    groups.reverse();
    let scale = u16::try_from(scale).unwrap_or_default();
    if groups.is_empty() {
        return PgNumeric::Positive {
            weight: 0,
            scale,
            digits: groups,
        };
    }
    if value.is_sign_negative() {
        PgNumeric::Negative {
            weight,
            scale,
            digits: groups,
        }
    } else {
        PgNumeric::Positive {
            weight,
            scale,
            digits: groups,
        }
    }
}

/// The inverse of [`decimal_to_pg_numeric`]; refuses NaN and values a `Decimal` cannot hold.
fn pg_numeric_to_decimal(
    value: &PgNumeric,
) -> Result<Decimal, Box<dyn std::error::Error + Send + Sync>> {
    let (negative, weight, scale, digits) = match value {
        PgNumeric::Positive {
            weight,
            scale,
            digits,
        } => (false, *weight, *scale, digits),
        PgNumeric::Negative {
            weight,
            scale,
            digits,
        } => (true, *weight, *scale, digits),
        PgNumeric::NaN => return Err("NaN is not an amount".into()),
    };
    let mut mantissa: i128 = 0;
    for digit in digits {
        mantissa = mantissa
            .checked_mul(NBASE)
            .and_then(|m| m.checked_add(i128::from(*digit)))
            .ok_or("numeric value too large")?;
    }
    // The last group sits at 10000^(weight - len + 1).
    let last_power = i32::from(weight) - i32::try_from(digits.len())? + 1;
    let mut decimal = if last_power >= 0 {
        let factor = NBASE
            .checked_pow(u32::try_from(last_power)?)
            .ok_or("numeric value too large")?;
        Decimal::try_from_i128_with_scale(
            mantissa
                .checked_mul(factor)
                .ok_or("numeric value too large")?,
            0,
        )?
    } else {
        Decimal::try_from_i128_with_scale(mantissa, u32::try_from(-last_power)? * 4)?
    };
    decimal.rescale(u32::from(scale));
    if negative {
        decimal.set_sign_negative(true);
    }
    Ok(decimal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_survive_the_numeric_wire_form() {
        for text in [
            "0",
            "1",
            "1.15",
            "0.0075",
            "10000",
            "12345.6789",
            "99999999.9999",
            "-3.5",
            "0.0001",
            "100000000",
            "20000.0001",
        ] {
            let value = Decimal::from_str_exact(text).unwrap();
            let back = pg_numeric_to_decimal(&decimal_to_pg_numeric(value)).unwrap();
            assert_eq!(back, value, "{text}");
            assert_eq!(
                back.to_string(),
                value.to_string(),
                "{text} keeps its scale"
            );
        }
    }

    #[test]
    fn numeric_wire_form_matches_postgres_layout() {
        // 12345.6789 is stored by PostgreSQL as groups [1, 2345, 6789] with weight 1.
        let value = Decimal::from_str_exact("12345.6789").unwrap();
        assert_eq!(
            decimal_to_pg_numeric(value),
            PgNumeric::Positive {
                weight: 1,
                scale: 4,
                digits: vec![1, 2345, 6789]
            }
        );
    }

    #[test]
    fn sqlite_time_text_has_fixed_width() {
        let early = DateTime::from_timestamp(0, 0).unwrap();
        let late = DateTime::from_timestamp(4_000_000_000, 123_000).unwrap();
        assert_eq!(sqlite_time_text(early), "1970-01-01T00:00:00.000000Z");
        assert_eq!(sqlite_time_text(early).len(), sqlite_time_text(late).len());
    }
}
