//! `rules/owners.toml` (whose contact detail it is) and `rules/cues/voice.toml` (which text on a
//! page speaks for the company at all).
//!
//! Both are read around every contact detail of every page, so their words are compiled once at
//! load time into Aho-Corasick automata, and known numbers and domains into hash sets.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use aho_corasick::AhoCorasick;
use serde::Deserialize;

use super::{RulesError, invalid_at, normalize_words};
use crate::model::OwnerKind;

/// `rules/owners.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerRules {
    /// Words naming each kind of third party.
    #[serde(rename = "owner")]
    pub owners: Vec<OwnerCue>,
    /// Organisations known by their published numbers and domains.
    #[serde(rename = "known", default)]
    pub known: Vec<Known>,
    /// Sample data left in pages: never anybody's channel.
    pub placeholders: Placeholders,
    /// Mailbox providers, whose addresses say nothing about the owner.
    pub freemail: DomainList,
    /// Endings of organisation names that mark a legal entity.
    pub legal_forms: WordList,
    /// The compiled lookups.
    #[serde(skip)]
    pub(crate) index: OwnerIndex,
}

/// Words announcing one kind of third party.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerCue {
    /// The kind they announce.
    pub kind: OwnerKind,
    /// How reports name the kind.
    pub title: String,
    /// Matched where a word starts.
    pub words: Vec<String>,
    /// Matched where a word ends (compounds: "Landesärztekammer").
    #[serde(default)]
    pub endings: Vec<String>,
    /// Where such contacts are published, per language.
    pub sources: Vec<String>,
    /// A remark for maintainers.
    #[serde(default)]
    pub note: Option<String>,
}

/// One organisation known by its numbers and domains.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// Its kind.
    pub owner: OwnerKind,
    /// Its name as it publishes it.
    pub name: String,
    /// Published numbers, E.164.
    #[serde(default)]
    pub numbers: Vec<String>,
    /// Hosts (and their subdomains) of its e-mail addresses and links.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Where the numbers and domains are published.
    pub source: String,
    /// A remark for maintainers.
    #[serde(default)]
    pub note: Option<String>,
}

/// `[placeholders]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placeholders {
    /// Example domains (RFC 2606) and template leftovers.
    pub domains: Vec<String>,
    /// Placeholder numbers, E.164.
    #[serde(default)]
    pub numbers: Vec<String>,
    /// Digit sequences that mark a placeholder however formatted.
    #[serde(default)]
    pub digit_runs: Vec<String>,
    /// Sample person names.
    pub names: Vec<String>,
    /// Profile names left from a template.
    pub handles: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
}

/// A list of domains with sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainList {
    /// Domains, lower case.
    pub domains: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
}

/// A list of words with sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordList {
    /// Words, lower case.
    pub words: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
}

/// Shortest digit run accepted as a placeholder: shorter runs occur inside real numbers.
const MIN_DIGIT_RUN: usize = 8;

/// What an owner word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerWord {
    /// Starts a word: a kind's `words`.
    Start(OwnerKind),
    /// Ends a word: a kind's `endings`.
    End(OwnerKind),
    /// A legal form ending an organisation name.
    LegalForm,
}

/// The compiled form of [`OwnerRules`].
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerIndex {
    /// Owner words, endings and legal forms.
    pub(crate) words: Option<AhoCorasick>,
    /// For each pattern of `words`: what it is and its length in bytes.
    pub(crate) meaning: Vec<(OwnerWord, usize)>,
    /// Known numbers (E.164) to the index of their [`Known`] entry.
    pub(crate) numbers: HashMap<String, usize>,
    /// Known domains to the index of their [`Known`] entry.
    pub(crate) domains: HashMap<String, usize>,
    /// Placeholder domains, numbers and handles.
    pub(crate) placeholder_domains: HashSet<String>,
    pub(crate) placeholder_numbers: HashSet<String>,
    pub(crate) placeholder_handles: HashSet<String>,
    /// Placeholder names and digit runs.
    pub(crate) placeholder_names: Option<AhoCorasick>,
    pub(crate) freemail: HashSet<String>,
    /// Each known organisation's name, squashed.
    pub(crate) names: Vec<(String, usize)>,
}

impl OwnerRules {
    /// Validates and compiles the file.
    pub(crate) fn prepare(&mut self, file: &Path, text: &str) -> Result<(), RulesError> {
        let mut kinds = HashSet::new();
        for cue in &mut self.owners {
            if cue.kind == OwnerKind::Company {
                return Err(invalid_at(
                    file,
                    text,
                    "\"company\"",
                    "an [[owner]] names a third party; `company` is what is left when none matches"
                        .into(),
                ));
            }
            if !kinds.insert(cue.kind) {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("\"{}\"", cue.kind.as_str()),
                    format!(
                        "owner kind \"{}\" is listed twice; merge its words into one [[owner]]",
                        cue.kind.as_str()
                    ),
                ));
            }
            normalize_words(file, text, "words", &mut cue.words)?;
            normalize_words(file, text, "endings", &mut cue.endings)?;
        }
        normalize_words(file, text, "legal_forms.words", &mut self.legal_forms.words)?;
        normalize_words(file, text, "freemail.domains", &mut self.freemail.domains)?;
        let p = &mut self.placeholders;
        normalize_words(file, text, "placeholders.domains", &mut p.domains)?;
        normalize_words(file, text, "placeholders.names", &mut p.names)?;
        normalize_words(file, text, "placeholders.handles", &mut p.handles)?;
        for run in &p.digit_runs {
            if run.len() < MIN_DIGIT_RUN || !run.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("\"{run}\""),
                    format!(
                        "digit run \"{run}\" must be at least {MIN_DIGIT_RUN} digits and nothing else; shorter runs occur inside real numbers"
                    ),
                ));
            }
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut meaning = Vec::new();
        for cue in &self.owners {
            for w in &cue.words {
                patterns.push(w.clone());
                meaning.push((OwnerWord::Start(cue.kind), w.len()));
            }
            for w in &cue.endings {
                patterns.push(w.clone());
                meaning.push((OwnerWord::End(cue.kind), w.len()));
            }
        }
        for w in &self.legal_forms.words {
            patterns.push(w.clone());
            meaning.push((OwnerWord::LegalForm, w.len()));
        }
        let compile = |patterns: &[String]| {
            AhoCorasick::new(patterns).map_err(|e| RulesError::Invalid {
                file: file.to_owned(),
                line: 1,
                column: 1,
                reason: format!("the words cannot be indexed: {e}"),
            })
        };
        // Read around every detail of every page: a DFA is worth its memory here.
        let words = AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| compile(&patterns))?;
        let mut numbers = HashMap::new();
        let mut domains = HashMap::new();
        for (i, known) in self.known.iter_mut().enumerate() {
            if known.owner == OwnerKind::Company {
                return Err(invalid_at(
                    file,
                    text,
                    &known.name,
                    format!(
                        "known organisation \"{}\" has owner \"company\"; name its kind",
                        known.name
                    ),
                ));
            }
            for number in &known.numbers {
                if !number.starts_with('+') || !number[1..].bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid_at(
                        file,
                        text,
                        number,
                        format!("\"{number}\" is not E.164; write it like +493019240"),
                    ));
                }
                numbers.entry(number.clone()).or_insert(i);
            }
            normalize_words(file, text, "known.domains", &mut known.domains)?;
            for domain in &known.domains {
                domains.entry(domain.clone()).or_insert(i);
            }
        }
        let known_names = self
            .known
            .iter()
            .enumerate()
            .flat_map(|(i, k)| {
                // "TheFork (LaFourchette)": either name is written on pages.
                k.name
                    .split(['(', ')'])
                    .map(move |part| (squash(part), i))
                    .collect::<Vec<_>>()
            })
            .filter(|(s, _)| s.chars().count() >= 5)
            .collect();
        let mut names = p.names.clone();
        names.extend(p.digit_runs.iter().cloned());
        self.index = OwnerIndex {
            words: Some(words),
            meaning,
            numbers,
            domains,
            placeholder_domains: p.domains.iter().cloned().collect(),
            placeholder_numbers: p.numbers.iter().cloned().collect(),
            placeholder_handles: p.handles.iter().cloned().collect(),
            placeholder_names: Some(compile(&names)?),
            freemail: self.freemail.domains.iter().cloned().collect(),
            names: known_names,
        };
        Ok(())
    }

    /// The known organisation whose published number this is.
    #[must_use]
    pub fn known_number(&self, e164: &str) -> Option<&Known> {
        self.index.numbers.get(e164).map(|&i| &self.known[i])
    }

    /// The known organisation a host belongs to (the host or a parent domain listed).
    #[must_use]
    pub fn known_domain(&self, host: &str) -> Option<&Known> {
        parents(host).find_map(|d| self.index.domains.get(d).map(|&i| &self.known[i]))
    }

    /// Whether a host is a placeholder (`example.org`, `tudominio.com`) or below one.
    #[must_use]
    pub fn placeholder_domain(&self, host: &str) -> bool {
        parents(host).any(|d| self.index.placeholder_domains.contains(d))
    }

    /// Whether a host is a mailbox provider's.
    #[must_use]
    pub fn freemail(&self, host: &str) -> bool {
        parents(host).any(|d| self.index.freemail.contains(d))
    }

    /// The known organisation an organisation name written on a page names: every telling word
    /// of the known name is in it ("Dienst der Doctolib GmbH" names Doctolib).
    #[must_use]
    pub fn known_name(&self, name: &str) -> Option<&Known> {
        let written = squash(name);
        self.index
            .names
            .iter()
            .find(|(known, _)| written.contains(known.as_str()))
            .map(|(_, i)| &self.known[*i])
    }

    /// The title of an owner kind as the rules name it.
    #[must_use]
    pub fn title(&self, kind: OwnerKind) -> &str {
        self.owners
            .iter()
            .find(|o| o.kind == kind)
            .map_or(kind.title(), |o| o.title.as_str())
    }
}

/// Words of names that say nothing about who is meant (legal forms, articles, trades).
const NAME_NOISE: &[&str] = &[
    "gmbh",
    "mbh",
    "und",
    "and",
    "the",
    "der",
    "die",
    "das",
    "des",
    "von",
    "für",
    "fuer",
    "for",
    "les",
    "del",
    "los",
    "las",
    "van",
    "den",
    "het",
    "inc",
    "ltd",
    "llc",
    "plc",
    "sarl",
    "sas",
    "s.a",
    "s.l",
    "co",
    "kg",
    "ohg",
    "ag",
    "e.v",
    "e.k",
    "www",
    "com",
    "net",
    "org",
    "home",
    "startseite",
    "willkommen",
    "welcome",
    "bienvenue",
    "bienvenido",
    "kontakt",
    "contact",
    "impressum",
    "imprint",
    "praxis",
    "dr",
    "med",
    "shop",
    "online",
    "service",
    "group",
    "gruppe",
    "holding",
    "company",
    "limited",
    "corporation",
    "partner",
    "partners",
];

/// The words of an organisation's name that tell it apart, lower case and spelt plainly
/// ("Müller & Söhne GmbH" → ["mueller", "soehne"]), for comparing names written differently.
#[must_use]
pub fn name_tokens(name: &str) -> Vec<String> {
    spell_plainly(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 3 && !NAME_NOISE.contains(t))
        .map(str::to_owned)
        .collect()
}

/// Lower case, umlauts written out and accents dropped ("Müller" → "mueller", "Société" →
/// "societe"), as domains spell names.
fn spell_plainly(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut plain = String::with_capacity(lower.len());
    for c in lower.chars() {
        match c {
            'ä' => plain.push_str("ae"),
            'ö' => plain.push_str("oe"),
            'ü' => plain.push_str("ue"),
            'ß' => plain.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => plain.push('a'),
            'è' | 'é' | 'ê' | 'ë' => plain.push('e'),
            'ì' | 'í' | 'î' | 'ï' => plain.push('i'),
            'ò' | 'ó' | 'ô' | 'õ' => plain.push('o'),
            'ù' | 'ú' | 'û' => plain.push('u'),
            'ç' => plain.push('c'),
            'ñ' => plain.push('n'),
            c => plain.push(c),
        }
    }
    plain
}

/// A name as one run of letters and digits without its legal form and filler words, so "R+V
/// Versicherung AG" is "rvversicherung" and is found in "R+V Versicherung" but not in "Nordlicht
/// Versicherung AG".
fn squash(name: &str) -> String {
    spell_plainly(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !NAME_NOISE.contains(t))
        .collect()
}

/// `host` and each parent domain of it (`a.b.c`, `b.c`, `c`).
fn parents(host: &str) -> impl Iterator<Item = &str> {
    let host = host.trim_end_matches('.');
    std::iter::successors(Some(host), |h| h.split_once('.').map(|(_, rest)| rest))
        .filter(|h| !h.is_empty())
}

/// `rules/cues/voice.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceCues {
    /// Words by which the company speaks of itself ("unser", "our", "nous").
    pub own: Vec<String>,
    /// Markup of code samples.
    pub code: Markup,
    /// Markup of what visitors wrote (comments, reviews, forum posts).
    pub user_content: Markup,
    /// The compiled `own` words.
    #[serde(skip)]
    pub(crate) own_index: Option<AhoCorasick>,
}

/// Elements and class or id names that mark a part of a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markup {
    /// Element names.
    #[serde(default)]
    pub elements: Vec<String>,
    /// Class or id names, matched where a name starts (`comment` matches `comment-body`).
    #[serde(default)]
    pub classes: Vec<String>,
    /// schema.org types in `itemtype` (the last path segment).
    #[serde(default)]
    pub itemtypes: Vec<String>,
    /// URL path segments of pages that are this kind of content as a whole.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
}

impl Markup {
    /// Whether an element is of this kind of markup.
    #[must_use]
    pub fn matches(&self, element: &scraper::node::Element) -> bool {
        if self.elements.iter().any(|e| e == element.name()) {
            return true;
        }
        let named = |value: &str| {
            value.split_ascii_whitespace().any(|token| {
                self.classes.iter().any(|c| {
                    token
                        .get(..c.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(c))
                })
            })
        };
        // One pass over the attributes (most elements have none).
        element.attrs().any(|(name, value)| match name {
            "class" | "id" => named(value),
            "itemtype" => value.split_ascii_whitespace().any(|t| {
                let last = t.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                self.itemtypes.iter().any(|i| last.eq_ignore_ascii_case(i))
            }),
            _ => false,
        })
    }
}

impl Markup {
    /// Whether a page is this kind of content as a whole, by a segment of its URL path.
    #[must_use]
    pub fn page(&self, url: &url::Url) -> bool {
        url.path_segments().is_some_and(|mut segments| {
            segments.any(|s| {
                let s = s.to_ascii_lowercase();
                self.paths.contains(&s)
            })
        })
    }
}

impl VoiceCues {
    /// Validates and compiles the file.
    pub(crate) fn prepare(&mut self, file: &Path, text: &str) -> Result<(), RulesError> {
        normalize_words(file, text, "own", &mut self.own)?;
        for (key, markup) in [
            ("code", &mut self.code),
            ("user_content", &mut self.user_content),
        ] {
            normalize_words(file, text, &format!("{key}.elements"), &mut markup.elements)?;
            normalize_words(file, text, &format!("{key}.classes"), &mut markup.classes)?;
            normalize_words(
                file,
                text,
                &format!("{key}.itemtypes"),
                &mut markup.itemtypes,
            )?;
        }
        self.own_index = Some(
            AhoCorasick::new(&self.own).map_err(|e| RulesError::Invalid {
                file: file.to_owned(),
                line: 1,
                column: 1,
                reason: format!("the `own` words cannot be indexed: {e}"),
            })?,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_domains() {
        let all: Vec<&str> = parents("mail.lda.bayern.de").collect();
        assert_eq!(
            all,
            ["mail.lda.bayern.de", "lda.bayern.de", "bayern.de", "de"]
        );
    }
}
