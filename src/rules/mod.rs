//! Rules are data: the TOML files under `rules/`, embedded at build time and overridable file by
//! file with `--rules DIR`. This module only loads and validates them; the stages interpret them.
//!
//! Loading is strict on purpose (unknown keys, empty word lists and duplicate kinds are errors with
//! file, line and column), because a silently ignored typo in a rule file would make the audit quietly
//! weaker — the one failure an audit tool must not have.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::PageKind;

pub mod compliance;
pub mod cues;
pub mod owners;
pub mod probe;
pub mod scoring;
pub mod vendors;

pub use cues::{AddressCues, HoursCues, MailCues, OfferCues, SignalCues, SignalKind, SignalScope};
pub use owners::{OwnerRules, VoiceCues};
pub use vendors::{Vendor, VendorKind, Vendors};

/// Every file under `rules/` as (path below `rules/`, text), embedded at build time by `build.rs`.
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// All rules, loaded and validated.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Words that announce page kinds and steer the crawl.
    pub pages: PageCues,
    /// Labels next to contact details.
    pub labels: LabelCues,
    /// Words telling who answers a chat.
    pub chat: ChatCues,
    /// What makes a form a contact form.
    pub forms: FormCues,
    /// Hours words.
    pub hours: HoursCues,
    /// Offers named by links and buttons.
    pub offers: OfferCues,
    /// Page signals (deflection).
    pub signals: SignalCues,
    /// Street words and the address patterns built from them.
    pub address: AddressCues,
    /// Whose contact detail it is: third parties' words, known numbers and domains, placeholders.
    pub owners: OwnerRules,
    /// Which text speaks for the company (not code samples, not visitors' posts).
    pub voice: VoiceCues,
    /// Vendor fingerprints.
    pub vendors: Vendors,
    /// Which script types a browser runs.
    pub scripts: ScriptCues,
    /// The scoring method.
    pub scoring: scoring::Scoring,
    /// Compliance rules of every jurisdiction.
    pub compliance: Vec<compliance::Rule>,
    /// How replies to probes are classified.
    pub mail: MailCues,
    /// The text of probes and which channels get one.
    pub probe: probe::ProbeRules,
    /// Where rule files replaced the built-in ones (`--rules`), for [`Rules::version`].
    dir: Option<PathBuf>,
}

/// `rules/cues/scripts.toml`: which `<script>` elements a browser runs, so a snippet that cannot
/// run (switched off) is told from one that runs, maybe later or after consent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptCues {
    /// Types a browser runs at once (the JavaScript MIME types, `module`, no type).
    pub runs: Vec<String>,
    /// Type endings of scripts an optimiser renames and runs itself (Rocket Loader).
    #[serde(default)]
    pub runs_suffix: Vec<String>,
    /// Types that performance plugins give scripts they run after the first interaction.
    #[serde(default)]
    pub runs_later: Vec<String>,
    /// Data and template types the page's own code reads: their text counts like a script's.
    #[serde(default)]
    pub data: Vec<String>,
    /// Source snippets of tag managers and loaders that add widgets at runtime: a page with
    /// one is rendered under `--render auto`.
    #[serde(default)]
    pub loaders: Vec<String>,
    /// Source snippets of app shells that draw the page with JavaScript.
    #[serde(default)]
    pub app_shells: Vec<String>,
}

/// Whether a `<script>` runs, as its `type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptRuns {
    /// Runs now, later (delay plugins), or is data the page's code reads.
    Yes,
    /// No browser runs it: switched off, unless a consent manager switches it on.
    No,
}

impl ScriptCues {
    /// How a script with this `type` attribute (absent = `None`) is treated.
    #[must_use]
    pub fn runs(&self, kind: Option<&str>) -> ScriptRuns {
        let kind = kind.unwrap_or("").trim().to_ascii_lowercase();
        let kind = kind.split(';').next().unwrap_or("").trim();
        let listed = |list: &[String]| list.iter().any(|t| t == kind);
        if listed(&self.runs)
            || listed(&self.runs_later)
            || listed(&self.data)
            || self.runs_suffix.iter().any(|s| kind.ends_with(s.as_str()))
        {
            ScriptRuns::Yes
        } else {
            ScriptRuns::No
        }
    }
}

/// `rules/cues/forms.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormCues {
    /// Words marking search, login, newsletter and comment forms.
    pub not_contact: Vec<String>,
    /// Words saying a login stands before writing.
    pub login: Vec<String>,
}

/// `rules/cues/chat.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatCues {
    /// The site discloses an automated assistant.
    pub bot: Vec<String>,
    /// The site promises people.
    pub human: Vec<String>,
    /// The site offers a way from the bot to a person.
    pub handoff: Vec<String>,
}

/// `rules/cues/pages.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageCues {
    /// Page kinds and their words.
    #[serde(rename = "kind")]
    pub kinds: Vec<KindCue>,
    /// Words that raise a link's priority without naming a kind.
    #[serde(rename = "boost", default)]
    pub boosts: Vec<BoostCue>,
    /// How the crawler spends its budget.
    pub crawl: CrawlCues,
}

/// How the crawler orders links and which URL families it stops following.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlCues {
    /// Every link's starting priority.
    pub base: u32,
    /// Added for links in the page's footer.
    pub footer: u32,
    /// Added for links in the header or navigation.
    pub navigation: u32,
    /// Added for links found on contact, help and imprint pages.
    pub from_service_page: u32,
    /// Taken from content links.
    pub demote: u32,
    /// Taken from links into trap-like families.
    pub trap_penalty: u32,
    /// Pages fetched per trap family.
    pub trap_cap: u32,
    /// A link cue this strong passes a family's cap.
    pub strong_cue: u32,
    /// Path segments after which a four-digit year is a date.
    pub date_words: Vec<String>,
    /// Class or id words of a footer.
    pub footer_classes: Vec<String>,
    /// Class or id words of a header or navigation.
    pub navigation_classes: Vec<String>,
    /// Longest link text (in words) whose boost words count: menu items, not headlines.
    pub boost_max_words: u32,
    /// SimHash bits two near-identical pages may differ in.
    pub near_duplicate_bits: u32,
    /// Path segments of content pages.
    pub demote_paths: Vec<String>,
    /// Link texts of content links.
    pub demote_words: Vec<String>,
    /// Query parameters that only page, sort, filter or change the view of a listing.
    pub trap_params: Vec<String>,
    /// Query (and `;name=` path) parameters that never change what a page says: session ids,
    /// campaign tags, comment-reply links.
    pub strip_params: Vec<String>,
}

/// Words announcing one page kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindCue {
    /// The kind announced.
    pub kind: PageKind,
    /// How early the crawler fetches such pages (higher first).
    pub priority: u32,
    /// Matched in link text, title and main heading.
    pub words: Vec<String>,
    /// Matched in URL path segments.
    pub paths: Vec<String>,
    /// Words that begin like the kind's but name something else ("Kontaktlinsen").
    #[serde(default)]
    pub except: Vec<String>,
    /// `words` in one automaton, built at load time: every link of every page is read with them.
    #[serde(skip)]
    pub word_index: Option<aho_corasick::AhoCorasick>,
}

/// Words that make a link worth following early.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoostCue {
    /// Frontier priority for matching links.
    pub priority: u32,
    /// Matched in link text.
    pub words: Vec<String>,
    /// Matched in URL path segments.
    pub paths: Vec<String>,
}

/// `rules/cues/labels.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelCues {
    /// Labels that make a number a fax.
    pub fax: Vec<String>,
    /// Short labels of figures that are not phone numbers, read only as whole words.
    #[serde(default)]
    pub not_phone_short: Vec<String>,
    /// One- and two-letter fax labels ("F:", "Fx"), only as the whole word before a number.
    #[serde(default)]
    pub fax_short: Vec<String>,
    /// One- and two-letter phone labels ("T", "M:", "DD:"), only as the whole word before a number.
    #[serde(default)]
    pub phone_short: Vec<String>,
    /// Labels that make a number a telephone.
    pub phone: Vec<String>,
    /// Labels of figures that look like phone numbers but are not (IBAN, register, order numbers).
    pub not_phone: Vec<String>,
    /// Words announcing a number free of charge.
    pub free: Vec<String>,
    /// E-mail local parts that nobody reads.
    pub no_reply: Vec<String>,
    /// What a number or address is for.
    #[serde(rename = "role", default)]
    pub roles: Vec<RoleCue>,
    /// Messengers named next to a number, which reach it there too.
    #[serde(rename = "messenger", default)]
    pub messengers: Vec<MessengerCue>,
    /// Every word above in one automaton, built at load time: labels are read around every
    /// number on every page, so one pass over the text beats a search per word.
    #[serde(skip)]
    pub index: LabelIndex,
}

/// Which list a label word came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelList {
    /// `fax`.
    Fax,
    /// `phone`.
    Phone,
    /// `not_phone`.
    NotPhone,
    /// `not_phone_short`, whole words only.
    NotPhoneWhole,
    /// `free`.
    Free,
    /// A `[[role]]`, by index.
    Role(usize),
}

/// All label words in one Aho-Corasick automaton.
#[derive(Debug, Clone, Default)]
pub struct LabelIndex {
    /// The automaton (`None` until built).
    pub automaton: Option<aho_corasick::AhoCorasick>,
    /// For each pattern: its list and its length in bytes.
    pub words: Vec<(LabelList, usize)>,
}

impl LabelCues {
    fn build_index(&mut self) -> Result<(), aho_corasick::BuildError> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut words = Vec::new();
        let lists = [
            (LabelList::Fax, &self.fax),
            (LabelList::Phone, &self.phone),
            (LabelList::NotPhone, &self.not_phone),
            (LabelList::NotPhoneWhole, &self.not_phone_short),
            (LabelList::Free, &self.free),
        ];
        for (list, entries) in lists {
            for w in entries {
                patterns.push(w);
                words.push((list, w.len()));
            }
        }
        for (i, role) in self.roles.iter().enumerate() {
            for w in &role.words {
                patterns.push(w);
                words.push((LabelList::Role(i), w.len()));
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(&patterns)?;
        self.index = LabelIndex {
            automaton: Some(automaton),
            words,
        };
        Ok(())
    }
}

/// A messenger named next to a number ("WhatsApp: 0170 …").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerCue {
    /// The messenger vendor's id in `rules/vendors/`.
    pub vendor: String,
    /// Words naming it.
    pub words: Vec<String>,
    /// Its link for the number, with `{digits}` for the E.164 digits without "+".
    pub url: String,
}

/// Words naming what a contact detail is for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleCue {
    /// Snake-case role id shown in reports (`customer_service`).
    pub role: String,
    /// Label words.
    pub words: Vec<String>,
    /// Mailbox names that say the same of an address without a label ("privacy@", "presse@").
    #[serde(default)]
    pub mailboxes: Vec<String>,
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// The file could not be read.
    #[error("{}: cannot read rule file: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or breaks a rule-file constraint.
    #[error("{}:{line}:{column}: {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, and how to fix it.
        reason: String,
    },
}

impl Rules {
    /// The rules built into this binary.
    ///
    /// # Errors
    /// Only if the embedded files are broken, which a unit test rules out.
    pub fn embedded() -> Result<Self, RulesError> {
        Self::load(None)
    }

    /// The embedded rules, with each file replaced by `dir/<same path>` where that exists.
    ///
    /// # Errors
    /// A file that cannot be read or does not validate, with its path, line and reason.
    pub fn load(dir: Option<&Path>) -> Result<Self, RulesError> {
        let source = |name: &str| -> Result<(PathBuf, String), RulesError> {
            if let Some(dir) = dir {
                let path = dir.join(name);
                if path.exists() {
                    return std::fs::read_to_string(&path)
                        .map(|text| (path.clone(), text))
                        .map_err(|source| RulesError::Io { file: path, source });
                }
            }
            let text = EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (*t).to_owned())
                .unwrap_or_default();
            Ok((PathBuf::from("rules").join(name), text))
        };

        let (file, text) = source("cues/pages.toml")?;
        let pages = read_pages(&file, &text)?;
        let (file, text) = source("cues/labels.toml")?;
        let labels = read_labels(&file, &text)?;
        let (file, text) = source("cues/chat.toml")?;
        let chat = read_chat(&file, &text)?;
        let (file, text) = source("cues/forms.toml")?;
        let forms = read_forms(&file, &text)?;
        let (file, text) = source("cues/hours.toml")?;
        let hours = read_hours(&file, &text)?;
        let (file, text) = source("cues/offers.toml")?;
        let offers = read_offers(&file, &text)?;
        let (file, text) = source("cues/signals.toml")?;
        let signals = read_signals(&file, &text)?;
        let (file, text) = source("cues/address.toml")?;
        let address = read_address(&file, &text)?;
        let (file, text) = source("owners.toml")?;
        let owners = read_owners(&file, &text)?;
        let (file, text) = source("cues/voice.toml")?;
        let voice = read_voice(&file, &text)?;
        let (file, text) = source("cues/mail.toml")?;
        let mail = read_mail(&file, &text)?;
        let (file, text) = source("probe.toml")?;
        let probe = read_probe(&file, &text)?;
        let (file, text) = source("scoring.toml")?;
        let scoring = read_scoring(&file, &text)?;
        let vendors = Vendors::load(&group(dir, "vendors/")?)?;
        let (file, text) = source("cues/scripts.toml")?;
        let scripts = read_scripts(&file, &text)?;
        let mut signal_ids: Vec<String> = signals.signals.iter().map(|s| s.id.clone()).collect();
        signal_ids.extend(
            [
                cues::CONTACT_LINK_IN_NAVIGATION,
                cues::IMPRINT_LINK_IN_NAVIGATION,
            ]
            .map(str::to_owned),
        );
        let compliance = compliance::load(&group(dir, "compliance/")?, &signal_ids)?;
        {
            let (file, text) = source("scoring.toml")?;
            let ids: Vec<&str> = compliance.iter().map(|r| r.id.as_str()).collect();
            scoring.validate_references(&file, &text, &ids, &signal_ids)?;
        }
        Ok(Self {
            compliance,
            scoring,
            pages,
            labels,
            chat,
            forms,
            hours,
            offers,
            signals,
            address,
            owners,
            voice,
            vendors,
            scripts,
            mail,
            probe,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// A fingerprint of the rule files in use (`sha256:` and 12 hex digits), so results made
    /// with different rules can be told apart. Computed on demand (batch runs record it), not
    /// at every start.
    #[must_use]
    pub fn version(&self) -> String {
        fingerprint(self.dir.as_deref())
    }
}

/// Rule files read on their own (the groups `vendors/` and `compliance/` aside), by their path
/// below `rules/`.
pub(crate) const SINGLE_FILES: &[&str] = &[
    "cues/pages.toml",
    "cues/labels.toml",
    "cues/chat.toml",
    "cues/forms.toml",
    "cues/hours.toml",
    "cues/offers.toml",
    "cues/signals.toml",
    "cues/address.toml",
    "owners.toml",
    "cues/voice.toml",
    "cues/mail.toml",
    "probe.toml",
    "scoring.toml",
    "cues/scripts.toml",
];

/// Parses and checks one of [`SINGLE_FILES`] as the loader does, without the checks that need the
/// other files (scoring's references to rule and signal ids): the rules fuzz target feeds every
/// kind of rule file hostile text through it.
pub(crate) fn check_file(name: &str, text: &str) -> Result<(), RulesError> {
    let file = PathBuf::from("rules").join(name);
    let file = file.as_path();
    match name {
        "cues/pages.toml" => read_pages(file, text).map(drop),
        "cues/labels.toml" => read_labels(file, text).map(drop),
        "cues/chat.toml" => read_chat(file, text).map(drop),
        "cues/forms.toml" => read_forms(file, text).map(drop),
        "cues/hours.toml" => read_hours(file, text).map(drop),
        "cues/offers.toml" => read_offers(file, text).map(drop),
        "cues/signals.toml" => read_signals(file, text).map(drop),
        "cues/address.toml" => read_address(file, text).map(drop),
        "owners.toml" => read_owners(file, text).map(drop),
        "cues/voice.toml" => read_voice(file, text).map(drop),
        "cues/mail.toml" => read_mail(file, text).map(drop),
        "probe.toml" => read_probe(file, text).map(drop),
        "scoring.toml" => read_scoring(file, text).map(drop),
        "cues/scripts.toml" => read_scripts(file, text).map(drop),
        _ => Err(RulesError::Invalid {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            reason: "no rule file has this name".to_owned(),
        }),
    }
}

/// `rules/cues/pages.toml`, parsed and checked.
fn read_pages(file: &Path, text: &str) -> Result<PageCues, RulesError> {
    let mut pages: PageCues = parse(file, text)?;
    validate_pages(file, text, &mut pages)?;
    Ok(pages)
}

/// `rules/cues/labels.toml`, parsed and checked.
fn read_labels(file: &Path, text: &str) -> Result<LabelCues, RulesError> {
    let mut labels: LabelCues = parse(file, text)?;
    for (key, list) in [
        ("fax", &mut labels.fax),
        ("fax_short", &mut labels.fax_short),
        ("not_phone_short", &mut labels.not_phone_short),
        ("phone_short", &mut labels.phone_short),
        ("phone", &mut labels.phone),
        ("not_phone", &mut labels.not_phone),
        ("free", &mut labels.free),
        ("no_reply", &mut labels.no_reply),
    ] {
        normalize_words(file, text, key, list)?;
    }
    for role in &mut labels.roles {
        normalize_words(file, text, "words", &mut role.words)?;
    }
    for messenger in &mut labels.messengers {
        normalize_words(file, text, "words", &mut messenger.words)?;
        if !messenger.url.contains("{digits}") {
            return Err(invalid_at(
                file,
                text,
                &messenger.url,
                format!(
                    "messenger \"{}\": url has no {{digits}} for the number",
                    messenger.vendor
                ),
            ));
        }
    }
    labels.build_index().map_err(|e| RulesError::Invalid {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        reason: format!("the label words cannot be indexed: {e}"),
    })?;
    Ok(labels)
}

/// `rules/cues/chat.toml`, parsed and checked.
fn read_chat(file: &Path, text: &str) -> Result<ChatCues, RulesError> {
    let mut chat: ChatCues = parse(file, text)?;
    for (key, list) in [
        ("bot", &mut chat.bot),
        ("human", &mut chat.human),
        ("handoff", &mut chat.handoff),
    ] {
        normalize_words(file, text, key, list)?;
    }
    Ok(chat)
}

/// `rules/cues/forms.toml`, parsed and checked.
fn read_forms(file: &Path, text: &str) -> Result<FormCues, RulesError> {
    let mut forms: FormCues = parse(file, text)?;
    for (key, list) in [
        ("not_contact", &mut forms.not_contact),
        ("login", &mut forms.login),
    ] {
        normalize_words(file, text, key, list)?;
    }
    Ok(forms)
}

/// `rules/cues/hours.toml`, parsed and checked.
fn read_hours(file: &Path, text: &str) -> Result<HoursCues, RulesError> {
    let mut hours: HoursCues = parse(file, text)?;
    normalize_words(file, text, "always", &mut hours.always)?;
    normalize_words(file, text, "labels", &mut hours.labels)?;
    Ok(hours)
}

/// `rules/cues/offers.toml`, parsed and checked.
fn read_offers(file: &Path, text: &str) -> Result<OfferCues, RulesError> {
    let mut offers: OfferCues = parse(file, text)?;
    for offer in &mut offers.offers {
        normalize_words(file, text, "words", &mut offer.words)?;
    }
    Ok(offers)
}

/// `rules/cues/signals.toml`, parsed and checked.
fn read_signals(file: &Path, text: &str) -> Result<SignalCues, RulesError> {
    let mut signals: SignalCues = parse(file, text)?;
    let mut ids = HashSet::new();
    for signal in &mut signals.signals {
        if !ids.insert(signal.id.clone()) {
            return Err(invalid_at(
                file,
                text,
                &format!("\"{}\"", signal.id),
                format!(
                    "signal \"{}\" is defined twice; ids must be unique",
                    signal.id
                ),
            ));
        }
        normalize_words(file, text, "words", &mut signal.words)?;
    }
    Ok(signals)
}

/// `rules/cues/address.toml`, parsed and checked.
fn read_address(file: &Path, text: &str) -> Result<AddressCues, RulesError> {
    let mut address: AddressCues = parse(file, text)?;
    for (key, list) in [
        ("po_box", &mut address.dach.po_box),
        ("suffixes", &mut address.dach.suffixes),
        ("prefixes", &mut address.dach.prefixes),
        ("street_types", &mut address.uk.street_types),
        ("street_types", &mut address.us.street_types),
        ("street_types", &mut address.es.street_types),
        ("street_types", &mut address.fr.street_types),
        ("po_box", &mut address.fr.po_box),
        ("suffixes", &mut address.nl.suffixes),
        ("po_box", &mut address.nl.po_box),
        ("provinces", &mut address.ca.provinces),
    ] {
        normalize_words(file, text, key, list)?;
    }
    address.compile().map_err(|e| RulesError::Invalid {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        reason: format!("the street words make a pattern that does not compile: {e}"),
    })?;
    Ok(address)
}

/// `rules/owners.toml`, parsed and checked.
fn read_owners(file: &Path, text: &str) -> Result<OwnerRules, RulesError> {
    let mut owners: OwnerRules = parse(file, text)?;
    owners.prepare(file, text)?;
    Ok(owners)
}

/// `rules/cues/voice.toml`, parsed and checked.
fn read_voice(file: &Path, text: &str) -> Result<VoiceCues, RulesError> {
    let mut voice: VoiceCues = parse(file, text)?;
    voice.prepare(file, text)?;
    Ok(voice)
}

/// `rules/cues/mail.toml`, parsed and checked.
fn read_mail(file: &Path, text: &str) -> Result<MailCues, RulesError> {
    let mut mail: MailCues = parse(file, text)?;
    for (key, list) in [
        ("out_of_office.subject", &mut mail.out_of_office.subject),
        ("out_of_office.body", &mut mail.out_of_office.body),
        ("ticket_ack.subject", &mut mail.ticket_ack.subject),
        ("ticket_ack.body", &mut mail.ticket_ack.body),
        ("auto_reply.subject", &mut mail.auto_reply.subject),
        ("auto_reply.body", &mut mail.auto_reply.body),
        ("challenge.subject", &mut mail.challenge.subject),
        ("challenge.body", &mut mail.challenge.body),
        ("reply.prefixes", &mut mail.reply.prefixes),
        ("bounce.subject", &mut mail.bounce.subject),
        ("bounce.senders", &mut mail.bounce.senders),
        ("bounce.names", &mut mail.bounce.names),
        ("bounce.body", &mut mail.bounce.body),
        ("delayed.subject", &mut mail.delayed.subject),
        ("delayed.body", &mut mail.delayed.body),
        ("quote.markers", &mut mail.quote.markers),
        ("quote.headers", &mut mail.quote.headers),
        ("quote.attribution", &mut mail.quote.attribution),
    ] {
        normalize_words(file, text, key, list)?;
    }
    for header in &mut mail.headers {
        header.name = header.name.trim().to_ascii_lowercase();
        normalize_words(file, text, "values", &mut header.values)?;
        normalize_words(file, text, "except", &mut header.except)?;
    }
    for helpdesk in &mut mail.helpdesks {
        normalize_words(file, text, "headers", &mut helpdesk.headers)?;
        normalize_words(file, text, "message_id", &mut helpdesk.message_id)?;
    }
    for system in &mut mail.systems {
        for (key, list) in [
            ("senders", &mut system.senders),
            ("names", &mut system.names),
            ("headers", &mut system.headers),
            ("subject", &mut system.subject),
            ("body", &mut system.body),
            ("delayed_subject", &mut system.delayed_subject),
            ("delayed_body", &mut system.delayed_body),
        ] {
            normalize_words(file, text, key, list)?;
        }
    }
    for status in &mut mail.statuses {
        normalize_words(file, text, "words", &mut status.words)?;
        let digits: Vec<&str> = status.detail.split('.').collect();
        let valid = digits.len() == 2
            && digits
                .iter()
                .all(|d| (1..=3).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return Err(invalid_at(
                file,
                text,
                &format!("\"{}\"", status.detail),
                format!(
                    "status detail \"{}\" is not an RFC 3463 subject.detail such as \"1.1\"",
                    status.detail
                ),
            ));
        }
    }
    Ok(mail)
}

/// `rules/probe.toml`, parsed and checked.
fn read_probe(file: &Path, text: &str) -> Result<probe::ProbeRules, RulesError> {
    let mut probe: probe::ProbeRules = parse(file, text)?;
    probe.validate(file, text)?;
    Ok(probe)
}

/// `rules/scoring.toml`, parsed and checked.
fn read_scoring(file: &Path, text: &str) -> Result<scoring::Scoring, RulesError> {
    let scoring: scoring::Scoring = parse(file, text)?;
    scoring.validate(file, text, crate::score::ITEMS)?;
    Ok(scoring)
}

/// `rules/cues/scripts.toml`, parsed and checked.
fn read_scripts(file: &Path, text: &str) -> Result<ScriptCues, RulesError> {
    let mut scripts: ScriptCues = parse(file, text)?;
    for (key, list) in [
        ("runs", &mut scripts.runs),
        ("runs_suffix", &mut scripts.runs_suffix),
        ("runs_later", &mut scripts.runs_later),
        ("data", &mut scripts.data),
        ("loaders", &mut scripts.loaders),
        ("app_shells", &mut scripts.app_shells),
    ] {
        for t in list.iter_mut() {
            *t = t.trim().to_ascii_lowercase();
        }
        if key == "runs" && !list.iter().any(String::is_empty) {
            return Err(invalid_at(
                file,
                text,
                "runs",
                "runs must list \"\" (a script without a type runs)".to_owned(),
            ));
        }
    }
    Ok(scripts)
}

/// The embedded rule texts and every `.toml` under `dir`, hashed in name order.
fn fingerprint(dir: Option<&Path>) -> String {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    out.push(p);
                }
            }
        }
    }
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (name, text) in EMBEDDED {
        ctx.update(name.as_bytes());
        ctx.update(text.as_bytes());
    }
    if let Some(dir) = dir {
        let mut files = Vec::new();
        walk(dir, &mut files);
        files.sort();
        for f in files {
            ctx.update(
                f.strip_prefix(dir)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            ctx.update(&std::fs::read(&f).unwrap_or_default());
        }
    }
    let hex: String = ctx
        .finish()
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Every file of a rule group (`vendors/`): the embedded ones, each replaced by the file of the
/// same name in `dir`, plus the files only `dir` has, in name order.
fn group(dir: Option<&Path>, prefix: &str) -> Result<Vec<(PathBuf, String)>, RulesError> {
    let mut files: Vec<(String, PathBuf, String)> = EMBEDDED
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, text)| {
            (
                (*name).to_owned(),
                PathBuf::from("rules").join(name),
                (*text).to_owned(),
            )
        })
        .collect();
    if let Some(dir) = dir {
        let sub = dir.join(prefix.trim_end_matches('/'));
        if let Ok(entries) = std::fs::read_dir(&sub) {
            let mut paths: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let name = format!(
                    "{prefix}{}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                let text = std::fs::read_to_string(&path).map_err(|source| RulesError::Io {
                    file: path.clone(),
                    source,
                })?;
                files.retain(|(n, _, _)| *n != name);
                files.push((name, path, text));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files
        .into_iter()
        .map(|(_, path, text)| (path, text))
        .collect())
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, RulesError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_column(text, offset);
        RulesError::Invalid {
            file: file.to_owned(),
            line,
            column,
            reason: e.message().trim().replace('\n', " "),
        }
    })
}

fn validate_pages(file: &Path, text: &str, pages: &mut PageCues) -> Result<(), RulesError> {
    let mut seen = HashSet::new();
    for cue in &mut pages.kinds {
        if !seen.insert(cue.kind) {
            return Err(invalid_at(
                file,
                text,
                &format!("kind = \"{}\"", cue.kind.as_str()),
                format!(
                    "kind \"{}\" is defined twice; merge the two entries",
                    cue.kind.as_str()
                ),
            ));
        }
        normalize_words(file, text, "words", &mut cue.words)?;
        normalize_words(file, text, "paths", &mut cue.paths)?;
        normalize_words(file, text, "except", &mut cue.except)?;
        cue.word_index = aho_corasick::AhoCorasick::new(&cue.words).ok();
    }
    for cue in &mut pages.boosts {
        normalize_words(file, text, "words", &mut cue.words)?;
        normalize_words(file, text, "paths", &mut cue.paths)?;
    }
    let crawl = &mut pages.crawl;
    for (key, list) in [
        ("demote_paths", &mut crawl.demote_paths),
        ("demote_words", &mut crawl.demote_words),
        ("trap_params", &mut crawl.trap_params),
        ("strip_params", &mut crawl.strip_params),
        ("date_words", &mut crawl.date_words),
        ("footer_classes", &mut crawl.footer_classes),
        ("navigation_classes", &mut crawl.navigation_classes),
    ] {
        normalize_words(file, text, key, list)?;
    }
    if crawl.trap_cap == 0 {
        return Err(invalid_at(
            file,
            text,
            "trap_cap",
            "trap_cap = 0 would never fetch a page of a numbered or paged family; use 1 or more"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Lower-cases every word and refuses empty ones: an empty word would match every text.
pub(crate) fn normalize_words(
    file: &Path,
    text: &str,
    key: &str,
    words: &mut [String],
) -> Result<(), RulesError> {
    for word in words.iter_mut() {
        let trimmed = word.trim().to_lowercase();
        if trimmed.is_empty() {
            return Err(invalid_at(
                file,
                text,
                "\"\"",
                format!("an empty word in `{key}` would match every text; remove it"),
            ));
        }
        *word = trimmed;
    }
    Ok(())
}

pub(crate) fn invalid_at(file: &Path, text: &str, needle: &str, reason: String) -> RulesError {
    let (line, column) = line_column(text, text.find(needle).unwrap_or(0));
    RulesError::Invalid {
        file: file.to_owned(),
        line,
        column,
        reason,
    }
}

/// 1-based line and column (in characters) of a byte offset, for `FILE:LINE:COLUMN` messages.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target reaches every rule file through `check_file`: each embedded one that is
    /// not part of a group must be listed, pass on its own, and fail when broken.
    #[test]
    fn every_single_rule_file_is_checked_on_its_own() {
        for (name, text) in EMBEDDED {
            if name.starts_with("vendors/") || name.starts_with("compliance/") {
                continue;
            }
            assert!(SINGLE_FILES.contains(name), "{name} is not in SINGLE_FILES");
            check_file(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                check_file(name, "[[broken").is_err(),
                "{name} took broken TOML"
            );
        }
        assert!(check_file("cues/unknown.toml", "").is_err());
    }

    #[test]
    fn embedded_rules_load() {
        let rules = Rules::embedded().expect("embedded rules must validate");
        assert!(
            rules
                .pages
                .kinds
                .iter()
                .any(|k| k.kind == PageKind::Contact)
        );
        assert!(rules.labels.fax.contains(&"fax".to_owned()));
    }

    #[test]
    fn override_dir_replaces_a_file_and_reports_line_of_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cues")).unwrap();
        std::fs::write(
            dir.path().join("cues/labels.toml"),
            "fax = [\"fax\"]\nphone = [\"tel\"]\nnot_phone = []\n\nfree = []\nno_reply = [\"noreply\"]\ncolour = 1\n",
        )
        .unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("cues/labels.toml:7:1"), "{err}");
        assert!(err.contains("colour"), "{err}");

        std::fs::write(
            dir.path().join("cues/labels.toml"),
            "fax = [\"Telefax\"]\nphone = [\"tel\"]\nnot_phone = []\n\nfree = []\nno_reply = [\"noreply\"]\n",
        )
        .unwrap();
        let rules = Rules::load(Some(dir.path())).unwrap();
        assert_eq!(rules.labels.fax, vec!["telefax".to_owned()]);
    }

    #[test]
    fn scoring_items_must_be_known_and_weighted() {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EMBEDDED
            .iter()
            .find(|(n, _)| *n == "scoring.toml")
            .unwrap()
            .1;
        std::fs::write(
            dir.path().join("scoring.toml"),
            embedded.replace("id = \"hours\"", "id = \"vibes\""),
        )
        .unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("scoring.toml:") && err.contains("\"vibes\" is not a scoring function"),
            "{err}"
        );
        std::fs::write(
            dir.path().join("scoring.toml"),
            embedded.replace("weight = 0.15", "weight = 0"),
        )
        .unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("weight must be greater than 0"), "{err}");

        for (from, to, says) in [
            (
                "  published = 0.7\n",
                "",
                "item \"hours\" needs the parameter published",
            ),
            (
                "when = \"no_person\"",
                "when = \"no.such.rule\"",
                "cap \"no.such.rule\" is neither a compliance rule id",
            ),
            (
                "grade = \"E\"\nwhy",
                "grade = \"Z\"\nwhy",
                "grade \"Z\" is not one of [grades]",
            ),
            (
                "gates = [\"topic_picker\"",
                "gates = [\"coin_slot\"",
                "\"coin_slot\" is not a signal",
            ),
        ] {
            assert!(embedded.contains(from), "{from}");
            std::fs::write(dir.path().join("scoring.toml"), embedded.replace(from, to)).unwrap();
            let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
            assert!(err.contains("scoring.toml:") && err.contains(says), "{err}");
        }
    }

    #[test]
    fn empty_word_and_duplicate_kind_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cues")).unwrap();
        let embedded = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/cues/pages.toml"
        ))
        .unwrap();
        let crawl = &embedded[embedded.find("[crawl]").unwrap()..];
        let page = "[[kind]]\nkind = \"contact\"\npriority = 1\nwords = [\"\"]\npaths = []\n";
        std::fs::write(dir.path().join("cues/pages.toml"), format!("{page}{crawl}")).unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("pages.toml:4:"), "{err}");

        let twice = "[[kind]]\nkind = \"contact\"\npriority = 1\nwords = [\"a\"]\npaths = []\n\
                     [[kind]]\nkind = \"contact\"\npriority = 2\nwords = [\"b\"]\npaths = []\n";
        std::fs::write(
            dir.path().join("cues/pages.toml"),
            format!("{twice}{crawl}"),
        )
        .unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("defined twice"), "{err}");
    }
}
