//! Shared fixtures for the persistence tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use numbers_domain::{E164, IsoCountry, NumberType, TenantId};
use numbers_persistence::{Actor, NewReservation};

/// A distinct valid US number for index `n`.
pub fn number(n: u32) -> E164 {
    format!("+1415555{n:04}").parse().expect("valid number")
}

/// A reservation request for `number` by `tenant`.
pub fn reservation(tenant: TenantId, number: E164) -> NewReservation {
    NewReservation {
        tenant_id: tenant,
        phone_number: number,
        account_sid: "AC00000000000000000000000000000000".into(),
        iso_country: "US".parse::<IsoCountry>().expect("country"),
        number_type: NumberType::Local,
        channel_id: None,
        monthly_price_usd: Some("1.15".parse().expect("money")),
    }
}

/// The actor used by tests.
pub fn actor() -> Actor {
    Actor::api("user-1", Some("req-1".into()))
}
