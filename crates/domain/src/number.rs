//! Phone number values: E.164 numbers, ISO countries, number types and capabilities.

use std::fmt;
use std::str::FromStr;

/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct E164(String);

/// Why a string is not an E.164 number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum E164Error {
    /// The string does not start with `+`.
    #[error("a phone number must start with '+' followed by the country code")]
    MissingPlus,
    /// A character after `+` is not an ASCII digit.
    #[error("a phone number may only contain digits after '+'")]
    NotDigits,
    /// The digit count is outside 8..=15 (including the country code).
    #[error("a phone number must have 8 to 15 digits, it has {0}")]
    Length(usize),
    /// The country code starts with 0.
    #[error("a country code cannot start with 0")]
    LeadingZero,
}

impl E164 {
    /// The number as written, e.g. `+14155550123`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits as one integer, for compact indexes: at most 15 digits always fit, and
    /// since a country code never starts with 0 the integer gives the number back
    /// ([`E164::from_digits_value`]). Ordered by value, not as the strings are.
    #[must_use]
    pub(crate) fn digits_value(&self) -> u64 {
        self.0
            .bytes()
            .skip(1)
            .fold(0, |value, digit| value * 10 + u64::from(digit - b'0'))
    }

    /// The number whose [`E164::digits_value`] is `value`.
    pub(crate) fn from_digits_value(value: u64) -> Self {
        Self(format!("+{value}"))
    }

    /// The number with every digit but the last four replaced by `*`, for logs.
    #[must_use]
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }

    /// What the international numbering plan (libphonenumber's metadata, through the
    /// `phonenumber` crate) says about the number: its country, and its type where the plan
    /// tells one from the others. A purchase names only the number; this is how the service
    /// knows which regulatory bundle and price apply.
    #[must_use]
    pub fn numbering(&self) -> Numbering {
        use phonenumber::Type;
        let Ok(parsed) = phonenumber::parse(None, &self.0) else {
            return Numbering::default();
        };
        let database = &phonenumber::metadata::DATABASE;
        // A number outside every range of a shared calling code (+1, +61, …) belongs to the
        // code's main country, which the metadata lists first.
        let country = parsed
            .country()
            .id()
            .map(|id| id.as_ref().to_owned())
            .or_else(|| {
                let regions = database.region(&parsed.code().value())?;
                regions.first().map(|region| (*region).to_owned())
            })
            .and_then(|id| id.parse::<IsoCountry>().ok());
        let number_type = match parsed.number_type(database) {
            Type::Mobile => Some(NumberType::Mobile),
            Type::TollFree => Some(NumberType::TollFree),
            // Where fixed and mobile ranges are not told apart (the US, Canada), Twilio sells
            // them as local numbers.
            Type::FixedLine | Type::FixedLineOrMobile => Some(NumberType::Local),
            _ => None,
        };
        Numbering {
            country,
            number_type,
        }
    }
}

impl E164 {
    /// Whether the number's calling code is used by `country` (`+44` by GB, but also by
    /// Jersey, Guernsey and the Isle of Man): a buyer who names the country a number was
    /// offered under must name one of these.
    #[must_use]
    pub fn may_belong_to(&self, country: IsoCountry) -> bool {
        let Ok(parsed) = phonenumber::parse(None, &self.0) else {
            return false;
        };
        phonenumber::metadata::DATABASE
            .region(&parsed.code().value())
            .is_some_and(|regions| regions.contains(&country.as_str()))
    }
}

/// What the numbering plan says about a number (see [`E164::numbering`]). Either part is
/// `None` when the plan does not tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Numbering {
    /// The country the number belongs to; for a shared calling code without a matching
    /// range, the code's main country.
    pub country: Option<IsoCountry>,
    /// The type of number.
    pub number_type: Option<NumberType>,
}

/// Masks any phone-number-like string to its last four characters, for logs.
///
/// Keeps a leading `+`; strings of four characters or fewer are fully masked.
#[must_use]
pub fn mask_phone(raw: &str) -> String {
    let (plus, digits) = raw.strip_prefix('+').map_or(("", raw), |rest| ("+", rest));
    let count = digits.chars().count();
    if count <= 4 {
        return format!("{plus}{}", "*".repeat(count));
    }
    let tail: String = digits.chars().skip(count - 4).collect();
    format!("{plus}{}{tail}", "*".repeat(count - 4))
}

impl FromStr for E164 {
    type Err = E164Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('+').ok_or(E164Error::MissingPlus)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E164Error::NotDigits);
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(E164Error::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(E164Error::LeadingZero);
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for E164 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// An ISO-3166-1 alpha-2 country code, stored upper-case (`US`, `GB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsoCountry([u8; 2]);

/// Why a string is not an ISO-3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a country must be a two-letter ISO-3166-1 alpha-2 code such as US or GB")]
pub struct IsoCountryError;

impl IsoCountry {
    /// The upper-case code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for IsoCountry {
    type Err = IsoCountryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(IsoCountryError),
        }
    }
}

impl fmt::Display for IsoCountry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for IsoCountry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for IsoCountry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// The kinds of number a tenant can buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    /// A geographic number.
    Local,
    /// A toll-free number.
    TollFree,
    /// A mobile number.
    Mobile,
}

/// Why a string is not a number type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a number type must be one of local, toll_free, mobile")]
pub struct NumberTypeError;

impl NumberType {
    /// Every number type, in a stable order.
    pub const ALL: [Self; 3] = [Self::Local, Self::TollFree, Self::Mobile];

    /// The stable snake_case name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::TollFree => "toll_free",
            Self::Mobile => "mobile",
        }
    }
}

impl FromStr for NumberType {
    type Err = NumberTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Self::Local),
            "toll_free" => Ok(Self::TollFree),
            "mobile" => Ok(Self::Mobile),
            _ => Err(NumberTypeError),
        }
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a number can do.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Capabilities {
    /// Can make and receive calls.
    pub voice: bool,
    /// Can send and receive SMS.
    pub sms: bool,
    /// Can send and receive MMS.
    pub mms: bool,
    /// Can send and receive faxes.
    pub fax: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_numbering_plan_tells_country_and_type() {
        let facts = |raw: &str| raw.parse::<E164>().unwrap().numbering();
        let gb: IsoCountry = "GB".parse().unwrap();
        assert_eq!(
            facts("+442071234567"),
            Numbering {
                country: Some(gb),
                number_type: Some(NumberType::Local)
            }
        );
        assert_eq!(facts("+447911123456").number_type, Some(NumberType::Mobile));
        assert_eq!(
            facts("+448081570000").number_type,
            Some(NumberType::TollFree)
        );
        assert_eq!(facts("+14155550123").country, Some("US".parse().unwrap()));
        assert_eq!(facts("+16135550123").country, Some("CA".parse().unwrap()));
        assert_eq!(
            facts("+18005550100").number_type,
            Some(NumberType::TollFree)
        );
        assert_eq!(facts("+48501234567").number_type, Some(NumberType::Mobile));
        assert_eq!(facts("+420212345678").country, Some("CZ".parse().unwrap()));
        // A calling code nobody uses tells nothing.
        assert_eq!(facts("+99912345678"), Numbering::default());
        let jersey: E164 = "+447937123456".parse().unwrap();
        assert!(jersey.may_belong_to(gb));
        assert!(jersey.may_belong_to("JE".parse().unwrap()));
        assert!(!jersey.may_belong_to("US".parse().unwrap()));
    }

    use super::*;

    #[test]
    fn e164_accepts_valid_numbers_and_rejects_the_rest() {
        assert!("+14155550123".parse::<E164>().is_ok());
        assert!("+447911123456".parse::<E164>().is_ok());
        assert_eq!("14155550123".parse::<E164>(), Err(E164Error::MissingPlus));
        assert_eq!("+1415555012a".parse::<E164>(), Err(E164Error::NotDigits));
        assert_eq!("+1234567".parse::<E164>(), Err(E164Error::Length(7)));
        assert_eq!(
            "+1234567890123456".parse::<E164>(),
            Err(E164Error::Length(16))
        );
        assert_eq!("+04155550123".parse::<E164>(), Err(E164Error::LeadingZero));
        assert_eq!("+".parse::<E164>(), Err(E164Error::Length(0)));
    }

    #[test]
    fn masking_keeps_only_the_last_four_digits() {
        assert_eq!(mask_phone("+14155550123"), "+*******0123");
        assert_eq!(mask_phone("0123"), "****");
        assert_eq!(mask_phone("+12"), "+**");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn country_codes_are_two_letters_upper_cased() {
        assert_eq!(
            "pl".parse::<IsoCountry>().map(|c| c.to_string()),
            Ok("PL".into())
        );
        assert!("P1".parse::<IsoCountry>().is_err());
        assert!("USA".parse::<IsoCountry>().is_err());
        assert!("é".parse::<IsoCountry>().is_err());
    }

    #[test]
    fn number_types_round_trip_through_their_names() {
        for kind in NumberType::ALL {
            assert_eq!(kind.as_str().parse::<NumberType>(), Ok(kind));
        }
        assert!("TollFree".parse::<NumberType>().is_err());
    }
}
