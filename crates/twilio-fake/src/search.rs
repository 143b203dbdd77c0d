//! AvailablePhoneNumbers search: the `Contains` pattern language and the other filters.

use crate::model::{AddressRequirement, ApiError, AvailableNumber};

/// Most results Twilio returns for one search, whatever `PageSize` says.
pub const SEARCH_RESULT_CAP: usize = 30;

/// One element of a compiled `Contains` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Digit(u8),
    /// `*`: exactly one digit.
    One,
    /// `%`: any run of digits, possibly empty.
    Any,
}

/// A compiled `Contains` pattern, matched against the number's E.164 digits (country code
/// included, no `+`).
///
/// Rules, following Twilio's description: 2–16 characters from `0-9`, `a-z`, `A-Z`, `*`,
/// `%`, `+`, `$`; letters are keypad digits (`abc`→2 … `wxyz`→9); `*` matches one digit and
/// `%` any run; a leading `+` anchors the pattern at the start of the number and a trailing
/// `$` at its end; otherwise it may match anywhere. At least two non-wildcard characters are
/// needed, and `%` may only stand at the pattern's edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainsPattern {
    tokens: Vec<Token>,
}

impl ContainsPattern {
    /// Compiles `raw`.
    ///
    /// # Errors
    /// 400 with [`crate::codes::INVALID_PARAMETER`] when the pattern breaks the rules above.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let bad = |why: &str| {
            ApiError::invalid_parameter(format!("Invalid Contains pattern {raw:?}: {why}"))
        };
        let len = raw.chars().count();
        if !(2..=16).contains(&len) {
            return Err(bad("it must be 2 to 16 characters long"));
        }
        let (anchored_start, body) = match raw.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (anchored_end, body) = match body.strip_suffix('$') {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        let mut core = Vec::with_capacity(body.len());
        let mut literals = 0;
        for c in body.chars() {
            let token = match c {
                '0'..='9' => Token::Digit(c as u8 - b'0'),
                'a'..='z' | 'A'..='Z' => Token::Digit(keypad(c.to_ascii_lowercase())),
                '*' => Token::One,
                '%' => Token::Any,
                '+' => return Err(bad("'+' may only start the pattern")),
                '$' => return Err(bad("'$' may only end the pattern")),
                _ => return Err(bad("only digits, letters and * % + $ are allowed")),
            };
            if matches!(token, Token::Digit(_)) {
                literals += 1;
            }
            core.push(token);
        }
        if literals < 2 {
            return Err(bad("it needs at least two digits or letters"));
        }
        let first_literal = core.iter().position(|t| matches!(t, Token::Digit(_)));
        let last_literal = core.iter().rposition(|t| matches!(t, Token::Digit(_)));
        if let (Some(first), Some(last)) = (first_literal, last_literal)
            && core[first..=last].contains(&Token::Any)
        {
            return Err(bad("'%' may only stand at the edges"));
        }
        if (anchored_start && core.first() == Some(&Token::Any))
            || (anchored_end && core.last() == Some(&Token::Any))
        {
            return Err(bad("wildcards may not touch '+' or '$'"));
        }
        let mut tokens = Vec::with_capacity(core.len() + 2);
        if !anchored_start {
            tokens.push(Token::Any);
        }
        tokens.extend(core);
        if !anchored_end {
            tokens.push(Token::Any);
        }
        Ok(Self { tokens })
    }

    /// True when `e164` (with or without `+`) matches.
    #[must_use]
    pub fn matches(&self, e164: &str) -> bool {
        let digits = e164.strip_prefix('+').unwrap_or(e164).as_bytes();
        match_tokens(&self.tokens, digits)
    }
}

fn keypad(c: char) -> u8 {
    match c {
        'a'..='c' => 2,
        'd'..='f' => 3,
        'g'..='i' => 4,
        'j'..='l' => 5,
        'm'..='o' => 6,
        'p'..='s' => 7,
        't'..='v' => 8,
        _ => 9,
    }
}

/// Whole-string match; `%` backtracks. Inputs are at most ~16 tokens and 15 digits.
fn match_tokens(tokens: &[Token], digits: &[u8]) -> bool {
    match tokens.split_first() {
        None => digits.is_empty(),
        Some((Token::Any, rest)) => {
            (0..=digits.len()).any(|skip| match_tokens(rest, &digits[skip..]))
        }
        Some((Token::One, rest)) => !digits.is_empty() && match_tokens(rest, &digits[1..]),
        Some((Token::Digit(d), rest)) => {
            digits.first() == Some(&(b'0' + d)) && match_tokens(rest, &digits[1..])
        }
    }
}

/// The filters of one search, parsed from the query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchFilter {
    pub(crate) contains: Option<ContainsPattern>,
    pub(crate) area_code: Option<String>,
    pub(crate) sms: bool,
    pub(crate) mms: bool,
    pub(crate) voice: bool,
    pub(crate) fax: bool,
    pub(crate) exclude_all_address: bool,
    pub(crate) exclude_local_address: bool,
    pub(crate) exclude_foreign_address: bool,
    pub(crate) include_beta: bool,
    pub(crate) in_region: Option<String>,
    pub(crate) in_locality: Option<String>,
    pub(crate) in_postal_code: Option<String>,
    pub(crate) in_lata: Option<String>,
    pub(crate) in_rate_center: Option<String>,
    /// Center and radius in miles of a proximity search.
    pub(crate) near: Option<Near>,
    pub(crate) limit: usize,
}

/// Where a proximity search is centred.
#[derive(Debug, Clone)]
pub(crate) enum Near {
    LatLong(f64, f64),
    /// Resolved against the inventory by the caller.
    Number(String),
}

fn parse_bool(name: &str, raw: &str) -> Result<bool, ApiError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid_parameter(format!(
            "{name} must be true or false, got {raw:?}"
        ))),
    }
}

impl SearchFilter {
    /// Parses the query pairs of a search. Unknown parameters are ignored, as Twilio does.
    pub(crate) fn from_query(pairs: &[(String, String)]) -> Result<(Self, f64), ApiError> {
        let mut f = Self {
            include_beta: true,
            limit: SEARCH_RESULT_CAP,
            ..Self::default()
        };
        let mut distance = 25.0;
        let mut near_lat_long = None;
        let mut near_number = None;
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "Contains" => f.contains = Some(ContainsPattern::parse(value)?),
                "AreaCode" => {
                    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(ApiError::invalid_parameter(format!(
                            "AreaCode must be a three-digit area code, got {value:?}"
                        )));
                    }
                    f.area_code = Some(value.to_owned());
                }
                "SmsEnabled" => f.sms = parse_bool(name, value)?,
                "MmsEnabled" => f.mms = parse_bool(name, value)?,
                "VoiceEnabled" => f.voice = parse_bool(name, value)?,
                "FaxEnabled" => f.fax = parse_bool(name, value)?,
                "ExcludeAllAddressRequired" => f.exclude_all_address = parse_bool(name, value)?,
                "ExcludeLocalAddressRequired" => {
                    f.exclude_local_address = parse_bool(name, value)?;
                }
                "ExcludeForeignAddressRequired" => {
                    f.exclude_foreign_address = parse_bool(name, value)?;
                }
                "Beta" => f.include_beta = parse_bool(name, value)?,
                "InRegion" => f.in_region = Some(value.to_owned()),
                "InLocality" => f.in_locality = Some(value.to_owned()),
                "InPostalCode" => f.in_postal_code = Some(value.to_owned()),
                "InLata" => f.in_lata = Some(value.to_owned()),
                "InRateCenter" => f.in_rate_center = Some(value.to_owned()),
                "NearNumber" => near_number = Some(value.to_owned()),
                "NearLatLong" => {
                    let parsed = value.split_once(',').and_then(|(lat, long)| {
                        Some((
                            lat.trim().parse::<f64>().ok()?,
                            long.trim().parse::<f64>().ok()?,
                        ))
                    });
                    let Some((lat, long)) = parsed.filter(|(lat, long)| {
                        lat.is_finite()
                            && long.is_finite()
                            && lat.abs() <= 90.0
                            && long.abs() <= 180.0
                    }) else {
                        return Err(ApiError::invalid_parameter(format!(
                            "NearLatLong must be \"latitude,longitude\", got {value:?}"
                        )));
                    };
                    near_lat_long = Some((lat, long));
                }
                "Distance" => {
                    distance = value
                        .parse::<u32>()
                        .ok()
                        .filter(|d| *d <= 500)
                        .map(f64::from)
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "Distance must be an integer from 0 to 500, got {value:?}"
                            ))
                        })?;
                }
                "PageSize" => {
                    let size = value
                        .parse::<usize>()
                        .ok()
                        .filter(|s| (1..=1000).contains(s))
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "PageSize must be an integer from 1 to 1000, got {value:?}"
                            ))
                        })?;
                    f.limit = size.min(SEARCH_RESULT_CAP);
                }
                _ => {}
            }
        }
        if f.in_rate_center.is_some() && f.in_lata.is_none() {
            return Err(ApiError::invalid_parameter(
                "InRateCenter requires InLata to be set as well",
            ));
        }
        f.near = match (near_lat_long, near_number) {
            (Some((lat, long)), _) => Some(Near::LatLong(lat, long)),
            (None, Some(n)) => Some(Near::Number(n)),
            (None, None) => None,
        };
        Ok((f, distance))
    }

    /// True when `n` passes every filter except proximity (checked by the caller, which
    /// resolves [`Near::Number`]).
    pub(crate) fn accepts(&self, n: &AvailableNumber) -> bool {
        let caps = n.capabilities;
        let eq = |want: &Option<String>, have: &Option<String>| match want {
            None => true,
            Some(w) => have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)),
        };
        let addr = n.address_requirements;
        (!self.sms || caps.sms)
            && (!self.mms || caps.mms)
            && (!self.voice || caps.voice)
            && (!self.fax || caps.fax)
            && (self.include_beta || !n.beta)
            && !(self.exclude_all_address && addr != AddressRequirement::None)
            && !(self.exclude_local_address && addr == AddressRequirement::Local)
            && !(self.exclude_foreign_address && addr == AddressRequirement::Foreign)
            && self.area_code.as_ref().is_none_or(|code| {
                !n.phone_number.starts_with("+1") || n.phone_number[2..].starts_with(code.as_str())
            })
            && eq(&self.in_region, &n.region)
            && eq(&self.in_locality, &n.locality)
            && eq(&self.in_postal_code, &n.postal_code)
            && eq(&self.in_lata, &n.lata)
            && eq(&self.in_rate_center, &n.rate_center)
            && self
                .contains
                .as_ref()
                .is_none_or(|p| p.matches(&n.phone_number))
    }
}

/// Great-circle distance in miles.
pub(crate) fn distance_miles(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 3958.8 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, number: &str) -> bool {
        ContainsPattern::parse(pattern).unwrap().matches(number)
    }

    #[test]
    fn plain_digits_match_anywhere_in_the_number() {
        assert!(m("555", "+14155550123"));
        assert!(m("0123", "+14155550123"));
        assert!(!m("999", "+14155550123"));
    }

    #[test]
    fn star_is_one_digit_and_percent_any_run() {
        assert!(m("415***0123", "+14155550123"));
        assert!(!m("415****0123", "+14155550123"));
        assert!(m("%0123", "+14155550123"));
        assert!(m("41%", "+14155550123"));
    }

    #[test]
    fn plus_anchors_at_the_start_and_dollar_at_the_end() {
        assert!(m("+1415", "+14155550123"));
        assert!(!m("+415", "+14155550123"));
        assert!(m("0123$", "+14155550123"));
        assert!(!m("555$", "+14155550123"));
        assert!(m("+14155550123$", "+14155550123"));
    }

    #[test]
    fn letters_are_keypad_digits() {
        // S-T-O-R-M = 7-8-6-7-6
        assert!(m("STORM", "+14157867600"));
        assert!(m("storm", "+14157867600"));
        assert!(!m("STORM", "+14155550123"));
    }

    #[test]
    fn malformed_patterns_are_refused_with_400() {
        for bad in [
            "5",
            "12345678901234567",
            "5+5",
            "5$5",
            "**",
            "1%2",
            "12-3",
            "+%12",
            "12%$",
        ] {
            let e = ContainsPattern::parse(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
    }

    #[test]
    fn distance_between_known_cities_is_about_right() {
        let sf = (37.7749, -122.4194);
        let la = (34.0522, -118.2437);
        let d = distance_miles(sf, la);
        assert!((340.0..360.0).contains(&d), "{d}");
    }
}
