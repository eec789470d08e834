//! The smaller cue files: hours, offers, page signals and street words. Each is a list of words
//! matched lower-case where a word starts; loading lower-cases them and refuses empty ones.

use regex::Regex;
use serde::Deserialize;

use crate::model::{ChannelKind, Mode};

/// The signal id for pages whose navigation, header or footer links to a contact page (found by
/// the extract stage from the page-kind cues, not from `signals.toml`).
pub const CONTACT_LINK_IN_NAVIGATION: &str = "contact_link_in_navigation";
/// The signal id for pages whose navigation, header or footer links to the imprint.
pub const IMPRINT_LINK_IN_NAVIGATION: &str = "imprint_link_in_navigation";

impl SignalCues {
    /// A signal's title for people; an id no rule names reads as its words.
    #[must_use]
    pub fn title(&self, id: &str) -> String {
        match id {
            CONTACT_LINK_IN_NAVIGATION => "a contact link in the navigation".to_owned(),
            IMPRINT_LINK_IN_NAVIGATION => "an imprint link in the navigation".to_owned(),
            _ => self
                .signals
                .iter()
                .find(|s| s.id == id)
                .map_or_else(|| id.replace('_', " "), |s| s.title.clone()),
        }
    }
}

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
    /// What it means, for people ("sends customers to the FAQ before contact").
    pub title: String,
    /// `deflection` (pushes customers away from people) or `notice` (what compliance rules look for).
    pub kind: SignalKind,
    /// Where the words are matched.
    #[serde(rename = "in", default)]
    pub scope: SignalScope,
    /// Words in the page text.
    pub words: Vec<String>,
}

/// What a signal means for reachability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Pushes customers away from people.
    Deflection,
    /// Neither good nor bad by itself.
    Notice,
}

/// Where a signal's words are matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalScope {
    /// The page's visible text.
    #[default]
    Text,
    /// The visible text of links and buttons.
    Links,
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
    /// French, Belgian and Québécois street types and delivery-service lines.
    pub fr: FrenchStreets,
    /// Dutch and Flemish street endings and PO boxes.
    pub nl: DutchStreets,
    /// Canadian provinces.
    pub ca: Provinces,
    /// One pattern per convention, built at load time: (convention, pattern with the named
    /// groups `street`, `postcode`, `town`).
    #[serde(skip)]
    pub patterns: Vec<(&'static str, Regex)>,
    /// All patterns in one set, so a block is scanned once to learn which conventions match.
    #[serde(skip)]
    pub any: Option<regex::RegexSet>,
}

/// Street words of German-speaking countries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DachStreets {
    /// Post-office box words: "Postfach".
    pub po_box: Vec<String>,
    /// Word endings: "-straße", "-weg".
    pub suffixes: Vec<String>,
    /// Leading words: "Am", "An der".
    pub prefixes: Vec<String>,
}

/// French street types.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrenchStreets {
    /// "rue", "avenue" …
    pub street_types: Vec<String>,
    /// "CS", "TSA", "BP".
    pub po_box: Vec<String>,
}

/// Dutch street endings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutchStreets {
    /// "-straat", "-gracht" …
    pub suffixes: Vec<String>,
    /// "Postbus".
    pub po_box: Vec<String>,
}

/// Canadian provinces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provinces {
    /// Codes and names.
    pub provinces: Vec<String>,
}

/// Street type words.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetTypes {
    /// "Street", "Road", "Calle" …
    pub street_types: Vec<String>,
    /// Counties written between the post town and the postcode ("Ashford, Kent TN23 1PD"): the
    /// town is the word before them.
    #[serde(default)]
    pub counties: Vec<String>,
}

/// The address patterns are large (word lists, Unicode letter classes); a roomier lazy-DFA cache
/// keeps matching on the fast path instead of falling back to the slower engines.
fn big(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .dfa_size_limit(64 << 20)
        .size_limit(64 << 20)
        .build()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
        // A town word: capitalised ("München"), an abbreviation ("St."), or all capitals as
        // Royal Mail writes them ("LEEDS"); joined by a few lower-case words ("am", "an der")
        // or a bracketed region. A full stop ends the town unless it ends an abbreviation.
        let word = r"(?:\p{Lu}\p{Ll}{0,2}\.|\p{Lu}\p{Ll}[\p{L}'\-]*|\p{Lu}{3,})";
        let town = format!(
            r"(?P<town>{word}(?:[ ](?:{word}|am|an|im|bei|ob|der|de|del|la|\([\p{{L}} ]+\))){{0,3}})"
        );
        // Between street and town: a comma, a line break, a middle dot, a bar, or a dash with
        // spaces around it ("Saint-Jean" is one word); perhaps one line more (a floor, a suite).
        let sep = r"(?:[ ]*(?:,|\n|·|\|)[ ]*|[ ]+(?:–|-)[ ]+)(?:[^\n,]{1,40}(?:,|\n)[ ]*)??";
        // Leading street words are written capitalised ("An der Alster 5"); matching them
        // case-sensitively keeps "an der Löwenstrasse 20" in running text from becoming a street.
        let prefixes = alternatives(
            &self
                .dach
                .prefixes
                .iter()
                .map(|p| capitalise(p))
                .collect::<Vec<_>>(),
        );
        let joiner = r"(?:du|de|des|la|le|les|dei|della|del|di|da|\p{Lu}[\p{L}'\-]*)";
        let dach_box = alternatives(
            &self
                .dach
                .po_box
                .iter()
                .map(|p| capitalise(p))
                .collect::<Vec<_>>(),
        );
        let dach = format!(
            r"(?P<street>(?:{dach_box})[ ]+\d{{1,6}}(?:[ ]\d{{2,4}})?|(?:(?:{prefixes})(?:[ ]+{joiner}){{1,3}}|\p{{Lu}}[\p{{L}}\-]*(?:[ \-]\p{{Lu}}[\p{{L}}\-]*)*?[ \-]?(?i:{suffixes}))[ ]*\d{{1,4}}[ ]?[a-z]?(?:[ ]?[-–/][ ]?\d{{1,4}}[a-z]?){{0,3}}){sep}(?:(?:D|A|CH|DE|AT)[ \-])?(?P<postcode>\d{{4,5}})[ ]+{town}(?:[ ](?P<canton>[A-Z]{{2}})(?-u:\b))?",
            suffixes = alternatives(&self.dach.suffixes),
        );
        let po_box = r"(?i:P\.?[ ]?O\.?[ ]?Box)[ ]+\d{1,6}";
        let county = if self.uk.counties.is_empty() {
            String::new()
        } else {
            format!(
                r"(?:(?:,[ ]*|\n|[ ]+)(?:{}))?",
                alternatives(&self.uk.counties)
            )
        };
        let uk = format!(
            r"(?P<street>\d{{1,4}}[A-Za-z]?,?[ ]+\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types})\.?|{po_box}){sep}{town}{county}[ ]*(?:,|\n)?[ ]*(?P<postcode>[A-Z]{{1,2}}\d[A-Z\d]?[ ]?\d[A-Z]{{2}})(?-u:\b)",
            types = alternatives(&self.uk.street_types),
        );
        let us = format!(
            r"(?P<street>\d{{1,6}}[ ]+(?:[NSEW]\.?[ ]+)?\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types})\.?(?:,?[ ](?:[NSEW]{{1,2}}(?-u:\b)|[NS]\.[EW]\.))?(?:,?[ ](?:Suite|Ste\.?|Floor|Fl\.?|Unit|#)[ ]?[\w\-]+)?|{po_box}){sep}{town},?[ ]+(?P<state>[A-Z]{{2}}|[A-Z]\.[A-Z]\.)[ ]+(?P<postcode>\d{{5}}(?:-\d{{4}})?)(?-u:\b)",
            types = alternatives(&self.us.street_types),
        );
        let es = format!(
            r"(?P<street>(?i:{types})[ ]+[\p{{L}}'. ]{{2,40}}?,?[ ]*(?:n\.?º[ ]*)?\d{{1,4}}(?:[ ]?[A-Za-z])?){sep}(?P<postcode>\d{{5}})[ ]+{town}",
            types = alternatives(&self.es.street_types),
        );
        // A street that is its type alone ("Promenade 18", "Markt 3").
        let dach_alone = alternatives(
            &self
                .dach
                .suffixes
                .iter()
                .filter(|s| s.chars().all(char::is_alphabetic))
                .map(|s| capitalise(s))
                .collect::<Vec<_>>(),
        );
        let dach = dach.replacen(
            "(?P<street>",
            &format!("(?P<street>(?:{dach_alone})[ ]+\\d{{1,4}}[ ]?[a-z]?|"),
            1,
        );
        // UK streets without a house number, one per line as Royal Mail writes them
        // ("Wycliffe House\nWater Lane\nWilmslow\nCheshire\nSK9 5AF"), or the same lines joined
        // by commas ("Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF").
        let uk_lines = format!(
            r"(?P<street>\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types}))(?:\n|,[ ]*){town}(?:(?:\n|,[ ]*)\p{{Lu}}[\p{{L}}\-]+)?[ ]*(?:,|\n)?[ ]*(?P<postcode>[A-Z]{{1,2}}\d[A-Z\d]?[ ]?\d[A-Z]{{2}})(?-u:\b)",
            types = alternatives(&self.uk.street_types),
        );
        // Ireland: "1-2 Haddington Road, Dublin 4, D04 XN32" (Eircode after the town).
        let ie = format!(
            r"(?P<street>\d{{1,4}}(?:-\d{{1,4}})?[ ]+\p{{Lu}}[\p{{L}}'\-]*(?:[ ]\p{{Lu}}[\p{{L}}'\-]*)*[ ](?i:{types})\.?){sep}(?P<town>\p{{Lu}}\p{{Ll}}+(?:[ ]\d{{1,2}})?),?[ ]+(?P<postcode>[AC-FHKNPRTV-Y]\d{{2}}[ ]?[0-9AC-FHKNPRTV-Y]{{4}})(?-u:\b)",
            types = alternatives(&self.uk.street_types),
        );
        // France, Belgium, Québec: "14 rue des Trois Frères Barthélemy, 13006 Marseille",
        // "3 place de Fontenoy – TSA 80715 – 75334 Paris Cedex 07".
        let fr_box = alternatives(
            &self
                .fr
                .po_box
                .iter()
                .map(|b| b.to_uppercase())
                .collect::<Vec<_>>(),
        );
        let fr_street = format!(
            r"\d{{1,4}}(?:[ ]?(?:bis|ter|quater|[A-D]))?,?[ ]+(?i:{types})[ ]+[\p{{L}}'’\-. ]{{2,50}}?",
            types = alternatives(&self.fr.street_types),
        );
        let fr = format!(
            r"(?P<street>{fr_street}){sep}(?:(?:{fr_box})[ ]\d{{2,6}}(?:[ ]*(?:,|\n)[ ]*|[ ]+[–-][ ]+))?(?P<postcode>\d{{5}}|\d{{4}})[ ]+{town}(?P<cedex>(?:[ ]+(?i:cedex))?[ ]+\d{{1,2}}(?-u:\b))?"
        );
        // Netherlands, Flanders: "Keizersgracht 123\n1015 CJ Amsterdam", "Postbus 93374, 2509 AJ
        // Den Haag".
        let nl_box = alternatives(
            &self
                .nl
                .po_box
                .iter()
                .map(|b| capitalise(b))
                .collect::<Vec<_>>(),
        );
        let nl = format!(
            r"(?P<street>(?:{nl_box})[ ]+\d{{1,6}}|\p{{Lu}}[\p{{L}}\-]*?(?i:{suffixes})[ ]+\d{{1,4}}(?:[ ]?[a-zA-Z]|-\d{{1,4}})?){sep}(?P<postcode>\d{{4}}[ ]?[A-Z]{{2}})[ ]+{town}",
            suffixes = alternatives(&self.nl.suffixes),
        );
        // Canada: "468 Queen St W\nToronto, ON M5V 2A9", "1180 Rue Sainte-Catherine Ouest,
        // Montréal (Québec) H3B 1A7".
        let ca = format!(
            r"(?P<street>\d{{1,6}},?[ ]+(?:(?i:{fr_types})[ ]+[\p{{L}}'’\-. ]{{2,50}}?|\p{{Lu}}[\p{{L}}'’\-]*(?:[ ]\p{{Lu}}[\p{{L}}'’\-]*)*[ ](?i:{us_types})\.?(?:[ ](?:[NSEW]|Ouest|Est|Nord|Sud|West|East))?)){sep}{town}(?:,?[ ]+|[ ]*\()(?i:{provinces})\)?[ \u{{a0}}]+(?P<postcode>[A-Z]\d[A-Z][ \u{{a0}}]?\d[A-Z]\d)(?-u:\b)",
            fr_types = alternatives(&self.fr.street_types),
            us_types = alternatives(&self.us.street_types),
            provinces = alternatives(&self.ca.provinces),
        );
        self.patterns = vec![
            ("dach", big(&dach)?),
            ("uk", big(&uk)?),
            ("uk", big(&uk_lines)?),
            ("ie", big(&ie)?),
            ("us", big(&us)?),
            ("es", big(&es)?),
            ("ca", big(&ca)?),
            ("fr", big(&fr)?),
            ("nl", big(&nl)?),
        ];
        self.any = Some(
            regex::RegexSetBuilder::new(self.patterns.iter().map(|(_, r)| r.as_str()))
                .dfa_size_limit(128 << 20)
                .size_limit(128 << 20)
                .build()?,
        );
        Ok(())
    }
}

/// `rules/cues/mail.toml`: how replies to probes are told apart.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailCues {
    /// Headers that mark a message automated.
    #[serde(rename = "header")]
    pub headers: Vec<AutoHeader>,
    /// Helpdesk systems.
    #[serde(rename = "helpdesk")]
    pub helpdesks: Vec<Helpdesk>,
    /// Out-of-office wording.
    pub out_of_office: ClassWords,
    /// Ticket acknowledgement wording.
    pub ticket_ack: ClassWords,
    /// Auto-reply wording.
    pub auto_reply: ClassWords,
    /// Challenge-response filter wording.
    pub challenge: ClassWords,
    /// What makes a mail a reply.
    pub reply: ReplyCues,
    /// Bounce wording and the senders of delivery notices.
    pub bounce: BounceCues,
    /// Delay-warning wording.
    pub delayed: ClassWords,
    /// Mail systems and what their notices say.
    #[serde(rename = "system")]
    pub systems: Vec<MailSystem>,
    /// What a failure means when a notice gives no status code.
    #[serde(rename = "status")]
    pub statuses: Vec<StatusWords>,
    /// Where quoted text begins.
    pub quote: QuoteCues,
}

/// A header that marks a message automated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoHeader {
    /// The header name, lower case.
    pub name: String,
    /// Only these values count (prefix match, lower case).
    #[serde(default)]
    pub values: Vec<String>,
    /// Every value counts but these.
    #[serde(default)]
    pub except: Vec<String>,
    /// Where the header is defined or documented.
    pub source: String,
}

/// A helpdesk system and how its mail is recognised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helpdesk {
    /// Stable id.
    pub id: String,
    /// Header names it adds, lower case.
    pub headers: Vec<String>,
    /// Substrings of its Message-IDs.
    #[serde(default)]
    pub message_id: Vec<String>,
    /// Public documentation.
    pub source: String,
}

/// Words in the subject and in the reply's own text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassWords {
    /// Matched in the subject.
    pub subject: Vec<String>,
    /// Matched in the reply's own text.
    #[serde(default)]
    pub body: Vec<String>,
}

/// What makes a mail a reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyCues {
    /// Subject prefixes of replies and forwards, lower case with the colon.
    pub prefixes: Vec<String>,
}

/// Bounce wording and the senders of delivery notices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BounceCues {
    /// Local parts of notice senders.
    pub senders: Vec<String>,
    /// Words in the display names of notice senders.
    pub names: Vec<String>,
    /// Matched in the subject.
    pub subject: Vec<String>,
    /// Matched in the notice's text.
    pub body: Vec<String>,
}

/// A mail system (MTA, gateway, provider) and how its notices read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSystem {
    /// Stable id.
    pub id: String,
    /// The name a reader knows.
    pub name: String,
    /// Local parts of its notices' senders.
    #[serde(default)]
    pub senders: Vec<String>,
    /// Words in its notices' display names.
    #[serde(default)]
    pub names: Vec<String>,
    /// Header names only it writes.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Failure wording in the subject.
    #[serde(default)]
    pub subject: Vec<String>,
    /// Failure wording in the text.
    #[serde(default)]
    pub body: Vec<String>,
    /// Delay wording in the subject.
    #[serde(default)]
    pub delayed_subject: Vec<String>,
    /// Delay wording in the text.
    #[serde(default)]
    pub delayed_body: Vec<String>,
    /// Where the wording was taken from.
    pub source: String,
}

/// A failure's meaning, for notices without a status code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusWords {
    /// RFC 3463 subject and detail (`1.1`); the class digit comes from the notice.
    pub detail: String,
    /// What it means, in words.
    pub meaning: String,
    /// Wording that says so.
    pub words: Vec<String>,
}

/// Where quoted text begins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteCues {
    /// Separator lines.
    pub markers: Vec<String>,
    /// Header lines of a quoted message block (`Von:`).
    pub headers: Vec<String>,
    /// Words of an attribution line ending in a colon (`Am … schrieb …:`).
    pub attribution: Vec<String>,
}
