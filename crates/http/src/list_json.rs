//! The JSON of `GET /v1/phone-numbers`, written by hand.
//!
//! The list is the hottest answer of the API, and most of its bytes are values that never need
//! escaping (ids, E.164 numbers, names of statuses and types, instants, prices). Written
//! through serde, every key and every value goes through the string escaper, and that was the
//! largest piece of the endpoint's own CPU after the database driver. Here only the strings
//! that can hold anything (the friendly name, an unknown release reason) are escaped, with
//! serde_json's own escaper.
//!
//! The output is byte for byte what `serde_json::to_vec(&PhoneNumberList)` writes: the
//! derived `Serialize` stays the reference (and the schema), and a test compares both on
//! generated lists.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::views::{PhoneNumberList, PhoneNumberView, instant_text};

/// About how many bytes one number takes (the longest seen is under 500).
const NUMBER_LEN: usize = 512;

impl PhoneNumberList {
    /// The list as JSON, exactly as its `Serialize` implementation writes it.
    ///
    /// # Errors
    /// Never in practice: writing to a `Vec` cannot fail, and every value here can be written.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(32 + self.phone_numbers.len() * NUMBER_LEN);
        out.extend_from_slice(b"{\"phone_numbers\":[");
        for (index, number) in self.phone_numbers.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_number(&mut out, number)?;
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

fn write_number(out: &mut Vec<u8>, n: &PhoneNumberView) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"id\":");
    write_uuid(out, &n.id);
    out.extend_from_slice(b",\"phone_number\":");
    write_plain(out, n.phone_number.as_str());
    out.extend_from_slice(b",\"friendly_name\":");
    write_escaped(out, n.friendly_name.as_deref())?;
    out.extend_from_slice(b",\"status\":");
    write_plain(out, n.status.as_str());
    out.extend_from_slice(b",\"number_type\":");
    write_plain(out, n.number_type.as_str());
    out.extend_from_slice(b",\"iso_country\":");
    write_plain(out, n.iso_country.as_str());
    out.extend_from_slice(b",\"channel_id\":");
    match &n.channel_id {
        Some(id) => write_uuid(out, id),
        None => out.extend_from_slice(b"null"),
    }
    let c = &n.capabilities;
    for (key, value) in [
        (&b",\"capabilities\":{\"voice\":"[..], c.voice),
        (b",\"sms\":", c.sms),
        (b",\"mms\":", c.mms),
        (b",\"fax\":", c.fax),
    ] {
        out.extend_from_slice(key);
        out.extend_from_slice(if value { b"true" } else { b"false" });
    }
    out.extend_from_slice(b"},\"monthly_price_usd\":");
    match &n.monthly_price_usd {
        Some(price) => serde_json::to_writer(&mut *out, &price.shown())?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"failure_code\":");
    match n.failure_code {
        Some(code) => write!(out, "{code}").map_err(serde_json::Error::io)?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"created_at\":");
    write_instant(out, Some(&n.created_at))?;
    out.extend_from_slice(b",\"purchased_at\":");
    write_instant(out, n.purchased_at.as_ref())?;
    out.extend_from_slice(b",\"released_at\":");
    write_instant(out, n.released_at.as_ref())?;
    out.extend_from_slice(b",\"release_reason\":");
    write_escaped(out, n.release_reason.as_ref().map(|r| r.as_str()))?;
    out.push(b'}');
    Ok(())
}

/// A string known to need no escaping: ASCII letters, digits, `+`, `_`.
fn write_plain(out: &mut Vec<u8>, text: &str) {
    debug_assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'_'),
        "{text:?} needs escaping"
    );
    write_plain_bytes(out, text.as_bytes());
}

fn write_escaped(out: &mut Vec<u8>, text: Option<&str>) -> serde_json::Result<()> {
    match text {
        Some(text) => serde_json::to_writer(&mut *out, text),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

fn write_uuid(out: &mut Vec<u8>, id: &Uuid) {
    let mut buffer = Uuid::encode_buffer();
    write_plain_bytes(out, id.hyphenated().encode_lower(&mut buffer).as_bytes());
}

fn write_plain_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
}

fn write_instant(out: &mut Vec<u8>, at: Option<&DateTime<Utc>>) -> serde_json::Result<()> {
    let Some(at) = at else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    let mut buffer = [0_u8; instant_text::LONGEST];
    match instant_text::format(at, &mut buffer) {
        Some(len) => {
            write_plain_bytes(out, &buffer[..len]);
            Ok(())
        }
        None => serde_json::to_writer(&mut *out, at),
    }
}

#[cfg(test)]
mod tests {
    use numbers_domain::{Capabilities, E164, IsoCountry, NumberStatus, NumberType, ReleaseReason};
    use proptest::prelude::*;

    use super::*;
    use crate::views::CapabilitiesView;

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // From year 1 to year 12000 (beyond the fast path), at every fraction width.
        (
            -62_135_596_800_i64..316_000_000_000,
            0_u32..4,
            0_u32..1_000_000_000,
        )
            .prop_map(|(seconds, width, nanos)| {
                let nanos = match width {
                    0 => 0,
                    1 => nanos / 1_000_000 * 1_000_000,
                    2 => nanos / 1_000 * 1_000,
                    _ => nanos,
                };
                DateTime::from_timestamp(seconds, nanos).unwrap()
            })
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,20}",
            "\\PC{0,12}",
            Just("quote \" backslash \\ tab \t nl \n nul \u{0} del \u{7f}".to_owned()),
            Just("émoji ☎️ \u{2028}".to_owned()),
        ]
    }

    prop_compose! {
        fn number()(
            id in any::<u128>(),
            digits in 10_000_000_u64..999_999_999_999_999,
            friendly_name in proptest::option::of(text()),
            status in proptest::sample::select(NumberStatus::ALL.to_vec()),
            number_type in proptest::sample::select(NumberType::ALL.to_vec()),
            country in proptest::sample::select(vec!["US", "GB", "PL", "CA"]),
            channel in proptest::option::of(any::<u128>()),
            caps in any::<[bool; 4]>(),
            price in proptest::option::of((0_i64..10_000_000_000, 0_u32..5)),
            failure_code in proptest::option::of(any::<i32>()),
            created_at in instant(),
            purchased_at in proptest::option::of(instant()),
            released_at in proptest::option::of(instant()),
            reason in proptest::option::of(prop_oneof![
                Just(ReleaseReason::User),
                Just(ReleaseReason::Drift),
                Just(ReleaseReason::SubscriptionCanceled),
                Just(ReleaseReason::PurchaseNotCompleted),
                text().prop_map(ReleaseReason::Other),
            ]),
        ) -> PhoneNumberView {
            PhoneNumberView {
                id: Uuid::from_u128(id),
                phone_number: format!("+{digits}").parse::<E164>().unwrap(),
                friendly_name,
                status,
                number_type,
                iso_country: country.parse::<IsoCountry>().unwrap(),
                channel_id: channel.map(Uuid::from_u128),
                capabilities: CapabilitiesView::from(Capabilities {
                    voice: caps[0],
                    sms: caps[1],
                    mms: caps[2],
                    fax: caps[3],
                }),
                monthly_price_usd: price.and_then(|(mantissa, scale)| {
                    numbers_domain::Money::new(rust_decimal::Decimal::new(mantissa, scale)).ok()
                }),
                failure_code,
                created_at,
                purchased_at,
                released_at,
                release_reason: reason,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn writes_what_serde_writes(numbers in proptest::collection::vec(number(), 0..4)) {
            let list = PhoneNumberList { phone_numbers: numbers };
            let ours = list.to_json().unwrap();
            let reference = serde_json::to_vec(&list).unwrap();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(reference).unwrap());
        }
    }

    #[test]
    fn an_empty_list_is_an_empty_array() {
        let list = PhoneNumberList {
            phone_numbers: Vec::new(),
        };
        assert_eq!(list.to_json().unwrap(), b"{\"phone_numbers\":[]}");
    }
}
