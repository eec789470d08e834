//! Phone numbers, validated and typed with libphonenumber's metadata (the `phonenumber` crate), so
//! that "0800" means toll-free in Germany and "0900" premium rate because the numbering plan says
//! so, not because of a hand-written prefix table.

use phonenumber::{Mode as Format, PhoneNumber, Type, country, metadata::DATABASE};

use crate::model::{PhoneInfo, PhoneType};

/// A valid number with its display form.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// International display form, e.g. `+49 800 3301000`.
    pub display: String,
    /// E.164, type and region.
    pub info: PhoneInfo,
}

/// Parses what a `tel:` URI or a page writes, with `region` (ISO 3166 alpha-2) for national
/// formats. Returns `None` for anything libphonenumber does not accept as a valid number.
#[must_use]
pub fn parse(raw: &str, region: Option<&str>) -> Option<Number> {
    let cleaned = clean(raw);
    if cleaned.chars().filter(char::is_ascii_digit).count() < 5 {
        return None;
    }
    let id = region.and_then(|r| r.to_ascii_uppercase().parse::<country::Id>().ok());
    let number: PhoneNumber = phonenumber::parse(id, &cleaned).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let kind = map_type(number.number_type(&DATABASE));
    Some(Number {
        display: number.format().mode(Format::International).to_string(),
        info: PhoneInfo {
            e164: number.format().mode(Format::E164).to_string(),
            kind,
            region: number.country().id().map(|id| id.as_ref().to_owned()),
        },
    })
}

/// Removes what people write around numbers that libphonenumber would stumble over: the German
/// "(0)" trunk hint after a country code, slashes, and dots.
fn clean(raw: &str) -> String {
    let mut s = raw.trim().to_owned();
    if s.starts_with('+') || s.starts_with("00") {
        s = s.replace("(0)", "").replace("[0]", "");
    }
    s.chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '\u{a0}' | '\u{2011}' | '\u{2013}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn map_type(t: Type) -> PhoneType {
    match t {
        Type::FixedLine => PhoneType::FixedLine,
        Type::Mobile => PhoneType::Mobile,
        Type::FixedLineOrMobile => PhoneType::FixedLineOrMobile,
        Type::TollFree => PhoneType::TollFree,
        Type::PremiumRate => PhoneType::PremiumRate,
        Type::SharedCost => PhoneType::SharedCost,
        Type::Voip => PhoneType::Voip,
        Type::PersonalNumber => PhoneType::PersonalNumber,
        Type::Pager => PhoneType::Pager,
        Type::Uan => PhoneType::Uan,
        Type::Voicemail => PhoneType::Voicemail,
        _ => PhoneType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms() {
        let n = parse("+49 (0)89 123456-0", None).unwrap();
        assert_eq!(n.info.e164, "+49891234560");
        assert_eq!(n.info.region.as_deref(), Some("DE"));
        let toll = parse("0800 330 1000", Some("de")).unwrap();
        assert_eq!(
            (toll.info.e164.as_str(), toll.info.kind),
            ("+498003301000", PhoneType::TollFree)
        );
        assert_eq!(toll.display, "+49 800 3301000");
        let us = parse("1-800-356-9377", Some("US")).unwrap();
        assert_eq!(
            (us.info.e164.as_str(), us.info.kind),
            ("+18003569377", PhoneType::TollFree)
        );
    }

    #[test]
    fn invalid_or_regionless_national_numbers_are_rejected() {
        assert!(parse("0800 330 1000", None).is_none());
        assert!(parse("12345", Some("DE")).is_none());
        assert!(parse("0800 1", Some("DE")).is_none());
    }
}
