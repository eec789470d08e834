//! The smaller cue files: hours, offers, page signals and street words. Each is a list of words
//! matched lower-case where a word starts; loading lower-cases them and refuses empty ones.

use regex::Regex;
use serde::Deserialize;

use crate::model::{ChannelKind, Mode};

/// `rules/cues/hours.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursCues {
    /// Hours written without a range ("rund um die Uhr", "24/7").
    pub always: Vec<String>,
    /// Labels that introduce hours ("Servicezeiten").
    pub labels: Vec<String>,
}

/// `rules/cues/offers.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferCues {
    /// The offers.
    #[serde(rename = "offer")]
    pub offers: Vec<OfferCue>,
}

/// One kind of offer and the words that name it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferCue {
    /// The channel it becomes.
    pub kind: ChannelKind,
    /// Who answers.
    pub mode: Mode,
    /// Words in link, button or heading text.
    pub words: Vec<String>,
}

/// `rules/cues/signals.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalCues {
    /// The signals.
    #[serde(rename = "signal")]
    pub signals: Vec<SignalCue>,
}

/// One page signal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalCue {
    /// Stable id (`no_phone_support`).
    pub id: String,
    /// `deflection` (pushes customers away from people).
    pub kind: SignalKind,
    /// Words in the page text.
    pub words: Vec<String>,
}

/// What a signal means for reachability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Pushes customers away from people.
    Deflection,
}

/// `rules/cues/address.toml`, with the patterns built from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressCues {
    /// German, Austrian, Swiss streets.
    pub dach: DachStreets,
    /// British street types.
    pub uk: StreetTypes,
    /// American street types.
    pub us: StreetTypes,
    /// Spanish street types.
    pub es: StreetTypes,
    /// One pattern per convention, built at load time: (convention, pattern with the named
    /// groups `street`, `postcode`, `town`).
    #[serde(skip)]
    pub patterns: Vec<(&'static str, Regex)>,
}

/// Street words of German-speaking countries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DachStreets {
    /// Word endings: "-straße", "-weg".
    pub suffixes: Vec<String>,
    /// Leading words: "Am", "An der".
    pub prefixes: Vec<String>,
}

/// Street type words.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetTypes {
    /// "Street", "Road", "Calle" …
    pub street_types: Vec<String>,
}

fn alternatives(words: &[String]) -> String {
    let mut sorted: Vec<&String> = words.iter().collect();
    // Longest first, so "strasse" is tried before "str.".
    sorted.sort_by_key(|w| std::cmp::Reverse(w.len()));
    sorted
        .iter()
        .map(|w| regex::escape(w))
        .collect::<Vec<_>>()
        .join("|")
}

impl AddressCues {
    /// Builds the per-convention patterns from the words.
    ///
    /// # Errors
    /// A pattern that does not compile (it cannot, from escaped words, but the size is bounded).
    pub fn compile(&mut self) -> Result<(), regex::Error> {
        // Town: capitalised words, a few lower-case joiners ("am", "an der"), a bracketed region.
        let town = r"(?P<town>\p{Lu}[\p{L}.'\-]+(?:[ ](?:\p{Lu}[\p{L}.'\-]+|am|an|im|bei|ob|der|de|del|la|\([\p{L}. ]+\))){0,3})";
        let sep = r"[ ]*(?:,|\n|·|\||–|-)[ ]*(?:[^\n,]{1,40}(?:,|\n)[ ]*)??";
        let dach = format!(
            r"(?P<street>(?:(?i:{prefixes})[ ]+\p{{Lu}}[\p{{L}}\-]+(?:[ ]\p{{Lu}}[\p{{L}}\-]+)?|\p{{Lu}}[\p{{L}}\-]*(?:[ \-]\p{{Lu}}[\p{{L}}\-]*)*?[ \-]?(?i:{suffixes}))[ ]*\d{{1,4}}[ ]?[a-z]?(?:[ ]?[-–/][ ]?\d{{1,4}}[a-z]?)?){sep}(?:(?:D|A|CH|DE|AT)[ \-])?(?P<postcode>\d{{4,5}})[ ]+{town}",
            prefixes = alternatives(&self.dach.prefixes),
            suffixes = alternatives(&self.dach.suffixes),
        );
        let uk = format!(
            r"(?P<street>\d{{1,4}}[A-Za-z]?,?[ ]+\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types})\.?){sep}{town}[ ]*(?:,|\n)?[ ]*(?P<postcode>[A-Z]{{1,2}}\d[A-Z\d]?[ ]?\d[A-Z]{{2}})\b",
            types = alternatives(&self.uk.street_types),
        );
        let us = format!(
            r"(?P<street>\d{{1,6}}[ ]+(?:[NSEW]\.?[ ]+)?\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types})\.?(?:,?[ ](?:Suite|Ste\.?|Floor|Fl\.?|Unit|#)[ ]?[\w\-]+)?){sep}{town},?[ ]+(?P<state>[A-Z]{{2}})[ ]+(?P<postcode>\d{{5}}(?:-\d{{4}})?)\b",
            types = alternatives(&self.us.street_types),
        );
        let es = format!(
            r"(?P<street>(?i:{types})[ ]+[\p{{L}}'. ]{{2,40}}?,?[ ]*(?:n\.?º[ ]*)?\d{{1,4}}(?:[ ]?[A-Za-z])?){sep}(?P<postcode>\d{{5}})[ ]+{town}",
            types = alternatives(&self.es.street_types),
        );
        self.patterns = vec![
            ("dach", Regex::new(&dach)?),
            ("uk", Regex::new(&uk)?),
            ("us", Regex::new(&us)?),
            ("es", Regex::new(&es)?),
        ];
        Ok(())
    }
}
