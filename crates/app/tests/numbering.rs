//! When a purchase does not say the country and type it was offered under, the service
//! derives them from the numbering plan (`E164::numbering`). For the numbers the fake stocks
//! that derivation must land in the right calling-code group (a GB offer may fall in a Jersey
//! range: only the offer knows, which is why the purchase body takes `iso_country`), and the
//! type may be unknown (the fake draws some numbers outside the real ranges) but never wrong.

use numbers_domain::{E164, IsoCountry, NumberType};
use twilio_fake::{FakeConfig, NumberKind, TwilioFake};

const STOCKED: [&str; 8] = ["AU", "CA", "CZ", "DE", "FR", "GB", "PL", "US"];

#[test]
fn every_stocked_number_is_filed_under_its_country_and_type() {
    let fake = TwilioFake::start(FakeConfig::with_seed(3)).expect("fake");
    let mut checked = 0;
    let mut exact = 0;
    let mut wrong = Vec::new();
    for iso in STOCKED {
        let country: IsoCountry = iso.parse().unwrap();
        for (kind, number_type) in [
            (NumberKind::Local, NumberType::Local),
            (NumberKind::TollFree, NumberType::TollFree),
            (NumberKind::Mobile, NumberType::Mobile),
        ] {
            let Ok(offers) = fake.control().available_numbers(iso, kind) else {
                continue;
            };
            for offer in offers.iter().step_by(17).take(40) {
                let number: E164 = offer.phone_number.parse().unwrap();
                let facts = number.numbering();
                checked += 1;
                // NANP toll-free numbers are not geographic (Twilio files the same ranges under
                // the US and Canada), and crown dependencies share +44 with GB.
                let country_ok = facts.country == Some(country)
                    || (facts.country.is_some_and(|c| number.may_belong_to(c))
                        && number.may_belong_to(country));
                if facts.country == Some(country) {
                    exact += 1;
                }
                if !country_ok || facts.number_type.is_some_and(|t| t != number_type) {
                    wrong.push(format!("{number} ({iso} {number_type}): {facts:?}"));
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} numbers checked");
    // Most land in the very country.
    assert!(exact * 10 > checked * 9, "{exact} of {checked} exact");
    assert!(
        wrong.is_empty(),
        "{} of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
