//! Tolerant field decoders for Twilio's JSON.
//!
//! Twilio's responses disagree with its own OpenAPI documents in small ways: unset fields
//! arrive as `""` or `null`, coordinates and prices as strings, booleans occasionally as
//! strings. Every decoder here maps "absent", `null` and `""` to `None` and accepts both
//! the typed and the string spelling of a value.
//!
//! Two strengths exist. The `opt_*` decoders are strict: a value they cannot read fails
//! the whole body. They are for the fields a caller acts on (SIDs, the phone number,
//! prices). The `lenient_*` decoders read the same spellings but turn a value they cannot
//! read into `None` (or `false`): they are for cosmetic fields (dates, names, flags), so a
//! malformed one neither turns a successful purchase into an "outcome unknown" decode
//! error nor drops a whole page of a list.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize as _, Deserializer};

/// `null` | `""` | string | number | bool → `Option<String>`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(if v.is_empty() {
                None
            } else {
                Some(v.to_owned())
            })
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(if v.is_empty() { None } else { Some(v) })
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(V)
}

/// `null` | `""` | bool | `"true"`/`"false"` (any case) | 0/1 → `Option<bool>`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, \"true\"/\"false\" or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            match v {
                0 => Ok(Some(false)),
                1 => Ok(Some(true)),
                _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            match v {
                0 => Ok(Some(false)),
                1 => Ok(Some(true)),
                _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                Ok(None)
            } else if t.eq_ignore_ascii_case("true") {
                Ok(Some(true))
            } else if t.eq_ignore_ascii_case("false") {
                Ok(Some(false))
            } else {
                Err(E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
    }
    d.deserialize_any(V)
}

/// `null` | `""` | number | numeric string → `Option<f64>`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, a numeric string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "coordinates are small numbers; an integer one is exact in f64"
        )]
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "coordinates are small numbers; an integer one is exact in f64"
        )]
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

/// Parses a decimal from its text, accepting plain (`"1.00"`) and scientific (`"1e-2"`)
/// notation.
fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// `null` | `""` | decimal string | number → `Option<Decimal>`, exactly for strings.
///
/// JSON numbers are converted through their shortest decimal rendering, which is exact for
/// every price Twilio could write with a few decimals.
pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal string, a number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            parse_decimal(&v.to_string())
                .map(Some)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            parse_decimal(t)
                .map(Some)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

/// Parses a Twilio date: RFC 2822 (the 2010 API) or, as a fallback, RFC 3339.
pub(crate) fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `null` | `""` | RFC 2822 date string → `Option<DateTime<Utc>>`.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(text) = opt_string(d)? else {
        return Ok(None);
    };
    parse_date(text.trim())
        .map(Some)
        .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&text), &"an RFC 2822 date"))
}

/// `null` | `""` | string → `Option<T>` through `From<String>` (for open enums).
pub(crate) fn opt_enum<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    Ok(opt_string(d)?.map(T::from))
}

/// Reads any JSON value, then decodes it with the strict decoder `strict`; a value that
/// decoder refuses becomes `None`. Only a body that is not JSON at all still fails.
fn lenient<'de, D, T>(
    d: D,
    strict: fn(serde_json::Value) -> Result<Option<T>, serde_json::Error>,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(strict(value).ok().flatten())
}

/// Like [`opt_string`], but an object or array becomes `None` instead of an error.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lenient(d, opt_string)
}

/// Like [`opt_bool`], but an unreadable value (`"maybe"`, `2`, an object) becomes `None`.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    lenient(d, opt_bool)
}

/// Like [`lenient_bool`], with an unset or unreadable value read as `false`.
pub(crate) fn lenient_bool_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    lenient_bool(d).map(|v| v.unwrap_or(false))
}

/// Like [`opt_f64`], but an unreadable value becomes `None`.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    lenient(d, opt_f64)
}

/// Like [`opt_date`], but a value that is not a date becomes `None`.
pub(crate) fn lenient_date<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    lenient(d, opt_date)
}

/// Like [`opt_enum`], but an object or array becomes `None`.
pub(crate) fn lenient_enum<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    Ok(lenient_string(d)?.map(T::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "opt_decimal")]
        d: Option<Decimal>,
        #[serde(default, deserialize_with = "opt_date")]
        t: Option<DateTime<Utc>>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn empty_string_null_and_missing_are_all_none() {
        for json in [
            r#"{"s":"","b":"","f":"","d":"","t":""}"#,
            r#"{"s":null,"b":null,"f":null,"d":null,"t":null}"#,
            "{}",
        ] {
            let p = probe(json);
            assert!(p.s.is_none() && p.b.is_none() && p.f.is_none());
            assert!(p.d.is_none() && p.t.is_none(), "{json}");
        }
    }

    #[test]
    fn strings_and_numbers_are_both_accepted() {
        let p = probe(
            r#"{"s":12,"b":"TRUE","f":"-155.090000","d":"1.150","t":"Thu, 30 Jul 2015 23:19:04 +0000"}"#,
        );
        assert_eq!(p.s.as_deref(), Some("12"));
        assert_eq!(p.b, Some(true));
        assert_eq!(p.f, Some(-155.09));
        assert_eq!(p.d.unwrap().to_string(), "1.150");
        assert_eq!(p.t.unwrap().to_rfc3339(), "2015-07-30T23:19:04+00:00");

        let p = probe(r#"{"f":19.72,"d":0.1,"b":false}"#);
        assert_eq!(p.f, Some(19.72));
        assert_eq!(p.d.unwrap().to_string(), "0.1");
        assert_eq!(p.b, Some(false));
    }

    #[derive(Deserialize)]
    struct LenientProbe {
        #[serde(default, deserialize_with = "lenient_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "lenient_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "lenient_bool_or_false")]
        flag: bool,
        #[serde(default, deserialize_with = "lenient_f64")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "lenient_date")]
        t: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "opt_string")]
        key: Option<String>,
    }

    #[test]
    fn lenient_decoders_turn_garbage_into_none_and_keep_good_values() {
        let p: LenientProbe = serde_json::from_str(
            r#"{"s":{"x":1},"b":"maybe","flag":[1],"f":"north","t":"yesterday","key":"PN1"}"#,
        )
        .unwrap();
        assert_eq!(
            (p.s, p.b, p.flag, p.f, p.t),
            (None, None, false, None, None)
        );
        assert_eq!(p.key.as_deref(), Some("PN1"));

        let p: LenientProbe = serde_json::from_str(
            r#"{"s":"x","b":"true","flag":1,"f":"1.5","t":"Thu, 30 Jul 2015 23:19:04 +0000"}"#,
        )
        .unwrap();
        assert_eq!(p.s.as_deref(), Some("x"));
        assert_eq!((p.b, p.flag, p.f), (Some(true), true, Some(1.5)));
        assert_eq!(p.t.unwrap().to_rfc3339(), "2015-07-30T23:19:04+00:00");

        // A strict field next to lenient ones still fails the whole body.
        assert!(serde_json::from_str::<LenientProbe>(r#"{"key":{"x":1}}"#).is_err());
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_silent_none() {
        assert!(serde_json::from_str::<Probe>(r#"{"d":"one dollar"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"t":"yesterday"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"b":"maybe"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"f":"north"}"#).is_err());
    }
}
