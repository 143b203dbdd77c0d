//! Static knowledge of the countries the fake stocks: names, calling codes, localities, number
//! formats, default prices and default regulations.

use crate::model::{AddressRequirement, AvailableNumber, Capabilities, NumberKind, Regulation};
use crate::rng::SplitMix64;

/// A place numbers are drawn for.
#[derive(Debug)]
pub(crate) struct Locality {
    pub(crate) name: &'static str,
    /// National prefix of its numbers (area code, or trunk-less city code).
    pub(crate) prefix: &'static str,
    /// Digits after the prefix.
    pub(crate) rest_len: usize,
    pub(crate) region: Option<&'static str>,
    pub(crate) postal_code: Option<&'static str>,
    pub(crate) lata: Option<&'static str>,
    pub(crate) rate_center: Option<&'static str>,
    pub(crate) lat_long: Option<(f64, f64)>,
}

/// A national number range without a locality (mobile, toll-free).
#[derive(Debug)]
pub(crate) struct Range {
    pub(crate) prefix: &'static str,
    pub(crate) rest_len: usize,
}

/// One country the fake stocks.
#[derive(Debug)]
pub(crate) struct Country {
    pub(crate) iso: &'static str,
    pub(crate) name: &'static str,
    /// Calling code without `+`.
    pub(crate) calling_code: &'static str,
    pub(crate) local: &'static [Locality],
    pub(crate) toll_free: &'static [Range],
    /// Empty when Twilio stocks no mobile numbers there (US, CA).
    pub(crate) mobile: &'static [Range],
    /// Monthly prices in USD: (kind, base, current).
    pub(crate) prices: &'static [(NumberKind, &'static str, &'static str)],
}

impl Country {
    pub(crate) fn offers(&self, kind: NumberKind) -> bool {
        match kind {
            NumberKind::Local => !self.local.is_empty(),
            NumberKind::TollFree => !self.toll_free.is_empty(),
            NumberKind::Mobile => !self.mobile.is_empty(),
        }
    }

    pub(crate) fn kinds(&self) -> impl Iterator<Item = NumberKind> + '_ {
        NumberKind::ALL.into_iter().filter(|k| self.offers(*k))
    }

    pub(crate) fn is_nanp(&self) -> bool {
        self.calling_code == "1"
    }
}

const fn nanp(
    name: &'static str,
    area: &'static str,
    region: &'static str,
    postal: &'static str,
    lata: Option<&'static str>,
    rate_center: &'static str,
    lat_long: (f64, f64),
) -> Locality {
    Locality {
        name,
        prefix: area,
        rest_len: 7,
        region: Some(region),
        postal_code: Some(postal),
        lata,
        rate_center: Some(rate_center),
        lat_long: Some(lat_long),
    }
}

const fn city(name: &'static str, prefix: &'static str, rest_len: usize) -> Locality {
    Locality {
        name,
        prefix,
        rest_len,
        region: None,
        postal_code: None,
        lata: None,
        rate_center: None,
        lat_long: None,
    }
}

const fn range(prefix: &'static str, rest_len: usize) -> Range {
    Range { prefix, rest_len }
}

const NANP_TOLL_FREE: &[Range] = &[
    range("800", 7),
    range("833", 7),
    range("844", 7),
    range("855", 7),
    range("866", 7),
    range("877", 7),
    range("888", 7),
];

/// The countries the fake stocks, in ISO order of the pricing country list.
pub(crate) static COUNTRIES: &[Country] = &[
    Country {
        iso: "AU",
        name: "Australia",
        calling_code: "61",
        local: &[
            city("Sydney", "2", 8),
            city("Melbourne", "3", 8),
            city("Brisbane", "7", 8),
            city("Perth", "8", 8),
        ],
        toll_free: &[range("1800", 6)],
        mobile: &[range("4", 8)],
        prices: &[
            (NumberKind::Local, "3.00", "3.00"),
            (NumberKind::TollFree, "16.00", "16.00"),
            (NumberKind::Mobile, "6.50", "6.50"),
        ],
    },
    Country {
        iso: "CA",
        name: "Canada",
        calling_code: "1",
        local: &[
            nanp(
                "Toronto",
                "416",
                "ON",
                "M5H 2N2",
                None,
                "TORONTO",
                (43.653, -79.383),
            ),
            nanp(
                "Vancouver",
                "604",
                "BC",
                "V6B 1A1",
                None,
                "VANCOUVER",
                (49.282, -123.120),
            ),
            nanp(
                "Montreal",
                "514",
                "QC",
                "H2Y 1C6",
                None,
                "MONTREAL",
                (45.501, -73.567),
            ),
            nanp(
                "Calgary",
                "403",
                "AB",
                "T2P 1J9",
                None,
                "CALGARY",
                (51.044, -114.071),
            ),
            nanp(
                "Ottawa",
                "613",
                "ON",
                "K1P 1J1",
                None,
                "OTTAWA",
                (45.421, -75.697),
            ),
        ],
        toll_free: NANP_TOLL_FREE,
        mobile: &[],
        prices: &[
            (NumberKind::Local, "1.15", "1.15"),
            (NumberKind::TollFree, "2.15", "2.15"),
        ],
    },
    Country {
        iso: "CZ",
        name: "Czech Republic",
        calling_code: "420",
        local: &[
            city("Praha", "2", 8),
            city("Brno", "54", 7),
            city("Ostrava", "59", 7),
            city("Plzeň", "37", 7),
            city("Olomouc", "58", 7),
        ],
        toll_free: &[range("800", 6)],
        mobile: &[
            range("601", 6),
            range("603", 6),
            range("604", 6),
            range("605", 6),
            range("606", 6),
            range("607", 6),
            range("608", 6),
            range("72", 7),
            range("73", 7),
            range("77", 7),
            range("79", 7),
        ],
        prices: &[
            (NumberKind::Local, "8.00", "8.00"),
            (NumberKind::TollFree, "25.00", "25.00"),
            (NumberKind::Mobile, "12.00", "12.00"),
        ],
    },
    Country {
        iso: "DE",
        name: "Germany",
        calling_code: "49",
        local: &[
            city("Berlin", "30", 8),
            city("Hamburg", "40", 8),
            city("Munich", "89", 8),
            city("Frankfurt am Main", "69", 8),
            city("Cologne", "221", 7),
        ],
        toll_free: &[range("800", 7)],
        mobile: &[
            range("151", 8),
            range("152", 8),
            range("157", 8),
            range("160", 7),
            range("170", 7),
            range("171", 7),
            range("176", 8),
            range("179", 7),
        ],
        prices: &[
            (NumberKind::Local, "1.00", "1.00"),
            (NumberKind::TollFree, "25.00", "25.00"),
            (NumberKind::Mobile, "15.00", "15.00"),
        ],
    },
    Country {
        iso: "FR",
        name: "France",
        calling_code: "33",
        local: &[
            city("Paris", "1", 8),
            city("Nantes", "2", 8),
            city("Strasbourg", "3", 8),
            city("Lyon", "4", 8),
            city("Bordeaux", "5", 8),
        ],
        toll_free: &[range("800", 6), range("805", 6)],
        mobile: &[range("6", 8), range("7", 8)],
        prices: &[
            (NumberKind::Local, "1.00", "1.00"),
            (NumberKind::TollFree, "20.00", "20.00"),
            (NumberKind::Mobile, "2.50", "2.50"),
        ],
    },
    Country {
        iso: "GB",
        name: "United Kingdom",
        calling_code: "44",
        local: &[
            city("London", "20", 8),
            city("Manchester", "161", 7),
            city("Birmingham", "121", 7),
            city("Edinburgh", "131", 7),
            city("Leeds", "113", 7),
        ],
        toll_free: &[range("800", 7), range("808", 7)],
        mobile: &[
            range("74", 8),
            range("75", 8),
            range("77", 8),
            range("78", 8),
            range("79", 8),
        ],
        prices: &[
            (NumberKind::Local, "1.15", "1.15"),
            (NumberKind::TollFree, "2.15", "2.15"),
            (NumberKind::Mobile, "1.15", "1.15"),
        ],
    },
    Country {
        iso: "PL",
        name: "Poland",
        calling_code: "48",
        local: &[
            city("Warszawa", "22", 7),
            city("Kraków", "12", 7),
            city("Gdańsk", "58", 7),
            city("Poznań", "61", 7),
            city("Wrocław", "71", 7),
        ],
        toll_free: &[range("800", 6)],
        mobile: &[
            range("50", 7),
            range("51", 7),
            range("53", 7),
            range("57", 7),
            range("60", 7),
            range("66", 7),
            range("69", 7),
            range("72", 7),
            range("78", 7),
            range("79", 7),
            range("88", 7),
        ],
        prices: &[
            (NumberKind::Local, "4.00", "4.00"),
            (NumberKind::TollFree, "25.00", "25.00"),
            (NumberKind::Mobile, "5.00", "4.50"),
        ],
    },
    Country {
        iso: "US",
        name: "United States",
        calling_code: "1",
        local: &[
            nanp(
                "New York",
                "212",
                "NY",
                "10001",
                Some("132"),
                "NWYRCYZN01",
                (40.750, -73.997),
            ),
            nanp(
                "San Francisco",
                "415",
                "CA",
                "94103",
                Some("722"),
                "SNFC CNTRL",
                (37.772, -122.411),
            ),
            nanp(
                "Chicago",
                "312",
                "IL",
                "60601",
                Some("358"),
                "CHCG",
                (41.886, -87.622),
            ),
            nanp(
                "Los Angeles",
                "213",
                "CA",
                "90012",
                Some("730"),
                "LSAN DA 01",
                (34.061, -118.238),
            ),
            nanp(
                "Boston",
                "617",
                "MA",
                "02108",
                Some("128"),
                "BOSTON",
                (42.358, -71.064),
            ),
            nanp(
                "Seattle",
                "206",
                "WA",
                "98101",
                Some("674"),
                "SEATTLE",
                (47.610, -122.334),
            ),
            nanp(
                "Miami",
                "305",
                "FL",
                "33130",
                Some("460"),
                "MIAMI",
                (25.767, -80.204),
            ),
            nanp(
                "Austin",
                "512",
                "TX",
                "78701",
                Some("558"),
                "AUSTIN",
                (30.271, -97.742),
            ),
            nanp(
                "Hilo",
                "808",
                "HI",
                "96720",
                Some("834"),
                "HILO",
                (19.720, -155.090),
            ),
            nanp(
                "Denver",
                "303",
                "CO",
                "80202",
                Some("656"),
                "DENVER",
                (39.752, -104.998),
            ),
            nanp(
                "Atlanta",
                "404",
                "GA",
                "30303",
                Some("438"),
                "ATLANTA",
                (33.753, -84.390),
            ),
            nanp(
                "Las Vegas",
                "702",
                "NV",
                "89101",
                Some("721"),
                "LAS VEGAS",
                (36.172, -115.146),
            ),
        ],
        toll_free: NANP_TOLL_FREE,
        mobile: &[],
        prices: &[
            (NumberKind::Local, "1.15", "1.15"),
            (NumberKind::TollFree, "2.15", "2.15"),
        ],
    },
];

/// The country with ISO code `iso` (case-insensitive), if the fake stocks it.
pub(crate) fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso.eq_ignore_ascii_case(iso))
}

/// The stocked country a number belongs to, by calling code (and area code for NANP).
pub(crate) fn country_of_number(e164: &str) -> Option<&'static Country> {
    let digits = e164.strip_prefix('+')?;
    if let Some(national) = digits.strip_prefix('1') {
        let ca = country("CA")?;
        if ca.local.iter().any(|l| national.starts_with(l.prefix)) {
            return Some(ca);
        }
        return country("US");
    }
    COUNTRIES
        .iter()
        .find(|c| !c.is_nanp() && digits.starts_with(c.calling_code))
}

/// The regulation Twilio applies to a pair by default in this fake: GB numbers need a bundle,
/// as do PL, FR and DE/AU mobile ones; DE and CZ local numbers need an address in their
/// country and AU local numbers an address anywhere; US and CA need nothing.
pub(crate) fn default_regulation(iso: &str, kind: NumberKind) -> Regulation {
    match (iso, kind) {
        ("GB" | "PL" | "FR", _) | ("DE", NumberKind::Mobile | NumberKind::TollFree) => {
            Regulation::BUNDLE
        }
        ("AU", NumberKind::Mobile) => Regulation::BUNDLE,
        ("DE" | "CZ", NumberKind::Local) => Regulation::address(AddressRequirement::Local),
        ("AU", NumberKind::Local) => Regulation::address(AddressRequirement::Any),
        _ => Regulation::NONE,
    }
}

/// Default inventory size of a pair.
pub(crate) fn default_inventory_size(iso: &str, kind: NumberKind) -> usize {
    match (iso, kind) {
        ("US", NumberKind::Local) => 3000,
        ("US" | "CA", NumberKind::TollFree) | ("CA", NumberKind::Local) => 1000,
        _ => 500,
    }
}

fn default_capabilities(country: &Country, kind: NumberKind, rng: &mut SplitMix64) -> Capabilities {
    let mut caps = match (country.iso, kind) {
        ("US" | "CA", NumberKind::Local) => Capabilities {
            voice: true,
            sms: true,
            mms: true,
            fax: rng.chance(20),
        },
        ("US" | "CA", NumberKind::TollFree) => Capabilities {
            voice: true,
            sms: true,
            mms: country.iso == "US",
            fax: rng.chance(10),
        },
        ("AU", NumberKind::Mobile) => Capabilities {
            voice: true,
            sms: true,
            mms: true,
            fax: false,
        },
        (_, NumberKind::Mobile) => Capabilities {
            voice: true,
            sms: true,
            mms: false,
            fax: false,
        },
        _ => Capabilities {
            voice: true,
            sms: false,
            mms: false,
            fax: false,
        },
    };
    // Some variety, so capability filters have something to filter.
    if caps.sms && rng.chance(8) {
        caps.sms = false;
        caps.mms = false;
    }
    if rng.chance(3) {
        caps.voice = false;
    }
    caps
}

/// `(415) 555-0123` for NANP, the E.164 string elsewhere (as Twilio does).
pub(crate) fn friendly_name(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(n) if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..])
        }
        _ => e164.to_owned(),
    }
}

/// Draws the national digits after a prefix. NANP exchanges start with 2–9 and are never
/// `N11`; elsewhere the first digit after a short city code avoids 0 and 1 as real plans do.
fn national_rest(country: &Country, rest_len: usize, rng: &mut SplitMix64) -> String {
    if country.is_nanp() && rest_len == 7 {
        loop {
            let exchange = rng.digits(3, 2);
            if &exchange[1..] != "11" {
                return format!("{exchange}{}", rng.digits(4, 0));
            }
        }
    }
    rng.digits(rest_len, 2)
}

/// Generates `count` distinct numbers for one pair. The result depends only on `seed`, the
/// country, the kind and `count` (a larger count extends a smaller one's list).
pub(crate) fn generate_inventory(
    seed: u64,
    country: &'static Country,
    kind: NumberKind,
    count: usize,
    regulation: Regulation,
) -> Vec<AvailableNumber> {
    let mut rng = SplitMix64::derive(seed, &format!("inventory/{}/{}", country.iso, kind));
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    let mut attempts = 0usize;
    while out.len() < count && attempts < count.saturating_mul(20) + 100 {
        attempts += 1;
        let (prefix, rest_len, locality) = match kind {
            NumberKind::Local => {
                let l = rng.pick(country.local);
                (l.prefix, l.rest_len, Some(l))
            }
            NumberKind::TollFree => {
                let r = rng.pick(country.toll_free);
                (r.prefix, r.rest_len, None)
            }
            NumberKind::Mobile => {
                let r = rng.pick(country.mobile);
                (r.prefix, r.rest_len, None)
            }
        };
        let rest = national_rest(country, rest_len, &mut rng);
        let e164 = format!("+{}{prefix}{rest}", country.calling_code);
        let capabilities = default_capabilities(country, kind, &mut rng);
        let beta = rng.chance(5);
        if !seen.insert(e164.clone()) {
            continue;
        }
        // Spread a city's numbers over about ±0.1° so proximity searches have work to do.
        let mut jitter = || (rng.below(2001) as f64 - 1000.0) / 10_000.0;
        let (lat_jitter, long_jitter) = (jitter(), jitter());
        out.push(AvailableNumber {
            friendly_name: Some(friendly_name(&e164)),
            phone_number: e164,
            iso_country: country.iso.to_owned(),
            kind,
            locality: locality.map(|l| l.name.to_owned()),
            region: locality.and_then(|l| l.region).map(str::to_owned),
            postal_code: locality.and_then(|l| l.postal_code).map(str::to_owned),
            lata: locality.and_then(|l| l.lata).map(str::to_owned),
            rate_center: locality.and_then(|l| l.rate_center).map(str::to_owned),
            latitude: locality
                .and_then(|l| l.lat_long)
                .map(|(lat, _)| lat + lat_jitter),
            longitude: locality
                .and_then(|l| l.lat_long)
                .map(|(_, long)| long + long_jitter),
            address_requirements: regulation.address_requirement,
            beta,
            capabilities,
        });
    }
    out
}

/// Area codes (US then CA) in the order used for seeded owned numbers.
pub(crate) fn nanp_area_codes() -> impl Iterator<Item = (&'static Country, &'static Locality)> {
    ["US", "CA"]
        .into_iter()
        .filter_map(country)
        .flat_map(|c| c.local.iter().map(move |l| (c, l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stocked_country_generates_well_formed_distinct_numbers() {
        for c in COUNTRIES {
            for kind in c.kinds() {
                let numbers = generate_inventory(1, c, kind, 200, Regulation::NONE);
                assert_eq!(numbers.len(), 200, "{} {kind}", c.iso);
                let distinct: std::collections::HashSet<_> =
                    numbers.iter().map(|n| &n.phone_number).collect();
                assert_eq!(distinct.len(), 200);
                for n in &numbers {
                    let digits = n.phone_number.strip_prefix('+').unwrap();
                    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{n:?}");
                    assert!(digits.starts_with(c.calling_code));
                    assert!((10..=15).contains(&digits.len()), "{}", n.phone_number);
                    // NANP toll-free numbers are shared by US and CA.
                    if !(c.is_nanp() && kind == NumberKind::TollFree) {
                        assert_eq!(country_of_number(&n.phone_number).unwrap().iso, c.iso);
                    }
                }
            }
        }
    }

    #[test]
    fn nanp_friendly_names_are_formatted_and_others_are_e164() {
        assert_eq!(friendly_name("+14155550123"), "(415) 555-0123");
        assert_eq!(friendly_name("+442071234567"), "+442071234567");
    }

    #[test]
    fn us_and_ca_have_no_mobile_inventory_and_gb_is_regulated() {
        assert!(!country("US").unwrap().offers(NumberKind::Mobile));
        assert!(!country("ca").unwrap().offers(NumberKind::Mobile));
        assert!(country("GB").unwrap().offers(NumberKind::Mobile));
        assert!(default_regulation("GB", NumberKind::Local).bundle_required);
        assert_eq!(
            default_regulation("DE", NumberKind::Local).address_requirement,
            AddressRequirement::Local
        );
        assert_eq!(
            default_regulation("CZ", NumberKind::Local).address_requirement,
            AddressRequirement::Local
        );
        assert!(!default_regulation("CZ", NumberKind::Mobile).is_regulated());
        assert!(!default_regulation("US", NumberKind::Local).is_regulated());
    }
}
