//! Crawl traps: URL families that serve near-identical pages without end — calendars that link
//! month to month, paginated archives, faceted listings, view and print variants, session ids,
//! paths that repeat themselves. A budget of 50 pages spent there finds no contact page.
//!
//! A URL's *family* is its path with numbers and dates replaced and its query reduced to the
//! parameter names. A family is a trap at once when its URL says so (a date or a page number in the
//! path, a page/sort/filter/view parameter, a path that repeats), or once two of its pages turn out
//! near-identical by a SimHash of their text (Manku et al., WWW 2007). A trap family is fetched at
//! most `trap_cap` times; a link with a strong contact cue passes anyway. Session parameters are
//! removed from every URL before it is queued. What is held back is reported per family, with an
//! example and counts. The words and numbers are data in `rules/cues/pages.toml` (`[crawl]`).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use percent_encoding::percent_decode_str;
use url::Url;

use crate::model::TrapFamily;
use crate::rules::CrawlCues;

/// Most near-duplicate fingerprints kept per family.
const MAX_PRINTS: usize = 16;
/// Most session-id variants remembered (for the count); beyond, they are still removed.
const MAX_VARIANTS: usize = 10_000;

/// What a URL's shape says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The family's pattern (`/programm/monat/{date}/`, `/moebel/*/?farbe&seite`).
    pub family: String,
    /// Why the URL alone marks the family a trap; `None` when only near-identical pages would.
    pub trap: Option<&'static str>,
}

#[derive(Debug, Default)]
struct Family {
    why: Option<&'static str>,
    example: Option<String>,
    fetched: u32,
    skipped: u32,
    prints: Vec<u64>,
}

/// The families seen in one crawl, what was fetched of each and what was held back.
#[derive(Debug)]
pub(crate) struct Traps<'a> {
    cues: &'a CrawlCues,
    families: HashMap<String, Family>,
    /// Order of first sight, for a stable report.
    order: Vec<String>,
    /// Per session parameter: the first URL that carried it and the variants removed.
    sessions: Vec<(String, String, HashSet<String>)>,
}

impl<'a> Traps<'a> {
    pub(crate) fn new(cues: &'a CrawlCues) -> Self {
        Self {
            cues,
            families: HashMap::new(),
            order: Vec::new(),
            sessions: Vec::new(),
        }
    }

    /// The URL's family and whether its shape alone marks a trap.
    pub(crate) fn shape(&self, url: &Url) -> Shape {
        shape(url, self.cues)
    }

    /// Removes session parameters (`?sid=…`, `;jsessionid=…`) in place; `true` when it removed one.
    pub(crate) fn clean(&mut self, url: &mut Url) -> bool {
        let raw = url.as_str().to_owned();
        let mut changed = false;
        let mut removed: Vec<String> = Vec::new();
        let path = url.path().to_owned();
        if path.contains(';') {
            let cleaned: Vec<String> = path
                .split('/')
                .map(|segment| {
                    let mut parts = segment.split(';');
                    let mut kept = parts.next().unwrap_or_default().to_owned();
                    for param in parts {
                        let name = param.split('=').next().unwrap_or_default().to_lowercase();
                        if self.cues.strip_params.contains(&name) {
                            changed = true;
                            removed.push(name);
                        } else {
                            kept.push(';');
                            kept.push_str(param);
                        }
                    }
                    kept
                })
                .collect();
            if changed {
                url.set_path(&cleaned.join("/"));
            }
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            type Pairs<'p> = Vec<&'p (String, String)>;
            let (gone, kept): (Pairs<'_>, Pairs<'_>) = pairs
                .iter()
                .partition(|(k, _)| self.cues.strip_params.contains(&k.to_lowercase()));
            removed.extend(gone.iter().map(|(k, _)| k.to_lowercase()));
            if kept.len() < pairs.len() {
                changed = true;
                if kept.is_empty() {
                    url.set_query(None);
                } else {
                    url.query_pairs_mut()
                        .clear()
                        .extend_pairs(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                }
            }
        }
        for name in removed {
            let at = match self.sessions.iter().position(|(n, _, _)| *n == name) {
                Some(at) => at,
                None => {
                    self.sessions.push((name, raw.clone(), HashSet::new()));
                    self.sessions.len() - 1
                }
            };
            let variants = &mut self.sessions[at].2;
            if variants.len() < MAX_VARIANTS {
                variants.insert(raw.clone());
            }
        }
        changed
    }

    /// Whether a URL may be fetched now (`strong`: its link carries a strong contact cue). Counts
    /// it against its family either way.
    pub(crate) fn admit(&mut self, url: &Url, strong: bool) -> bool {
        let shape = self.shape(url);
        let cap = self.cues.trap_cap;
        let family = self.family(&shape);
        let capped = family.why.is_some() && family.fetched >= cap;
        if capped && !strong {
            family.skipped += 1;
            family.example.get_or_insert_with(|| url.to_string());
            return false;
        }
        family.fetched += 1;
        true
    }

    /// Whether the URL's family is capped and the URL would be held back.
    #[cfg(test)]
    pub(crate) fn held_back(&self, url: &Url) -> bool {
        let shape = self.shape(url);
        self.families
            .get(&shape.family)
            .is_some_and(|f| f.why.is_some() && f.fetched >= self.cues.trap_cap)
    }

    /// Whether the URL belongs to a trap family, by its shape or by near-identical pages.
    pub(crate) fn is_trap(&self, url: &Url) -> bool {
        let shape = self.shape(url);
        shape.trap.is_some()
            || self
                .families
                .get(&shape.family)
                .is_some_and(|f| f.why.is_some())
    }

    /// Counts a URL of a trap family left in the queue at the end of the crawl.
    pub(crate) fn hold_back(&mut self, url: &Url) {
        let shape = self.shape(url);
        let family = self.family(&shape);
        family.skipped += 1;
        family.example.get_or_insert_with(|| url.to_string());
    }

    /// A fetched page's text fingerprint: two near-identical pages make their family a trap.
    pub(crate) fn observe(&mut self, url: &Url, fingerprint: u64) {
        let bits = self.cues.near_duplicate_bits;
        let shape = self.shape(url);
        let family = self.family(&shape);
        if family.why.is_none()
            && family
                .prints
                .iter()
                .any(|p| (p ^ fingerprint).count_ones() <= bits)
        {
            family.why = Some("pages of this family are near-identical");
        }
        if family.prints.len() < MAX_PRINTS {
            family.prints.push(fingerprint);
        }
    }

    fn family(&mut self, shape: &Shape) -> &mut Family {
        if !self.families.contains_key(&shape.family) {
            self.order.push(shape.family.clone());
        }
        let family = self.families.entry(shape.family.clone()).or_default();
        if family.why.is_none() {
            family.why = shape.trap;
        }
        family
    }

    /// The families something was held back from, in order of first sight, and the session ids
    /// removed.
    pub(crate) fn report(&self) -> Vec<TrapFamily> {
        let mut out: Vec<TrapFamily> = self
            .order
            .iter()
            .filter_map(|key| {
                let f = &self.families[key];
                (f.skipped > 0).then(|| TrapFamily {
                    pattern: key.clone(),
                    why: f.why.unwrap_or_default().to_owned(),
                    example: f.example.clone().unwrap_or_default(),
                    fetched: f.fetched,
                    skipped: f.skipped,
                })
            })
            .collect();
        for (name, example, variants) in &self.sessions {
            out.push(TrapFamily {
                pattern: format!("?{name}= in the URL"),
                why: "a session, tracking or reply parameter that never changes the page: removed, each page fetched once".to_owned(),
                example: example.clone(),
                fetched: 0,
                skipped: u32::try_from(variants.len()).unwrap_or(u32::MAX),
            });
        }
        out
    }
}

/// The family of a URL: numbers and dates in the path replaced, the query reduced to its names.
fn shape(url: &Url, cues: &CrawlCues) -> Shape {
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| {
            s.map(|seg| percent_decode_str(seg).decode_utf8_lossy().to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let mut trap = None;
    let mut pattern = String::new();
    for (i, segment) in segments.iter().enumerate() {
        pattern.push('/');
        let previous = i.checked_sub(1).map(|p| segments[p].as_str());
        if is_date(
            segment,
            segments.get(i + 1).map(String::as_str),
            previous,
            &cues.date_words,
        ) {
            pattern.push_str("{date}");
            trap.get_or_insert("a date in the path (a calendar or a dated archive)");
        } else if segment.bytes().any(|b| b.is_ascii_digit()) {
            let numeric = segment.bytes().all(|b| b.is_ascii_digit());
            if numeric && previous.is_some_and(|p| cues.trap_params.iter().any(|t| t == p)) {
                trap.get_or_insert("a page number in the path (pagination)");
            }
            pattern.push_str("{n}");
        } else {
            pattern.push_str(segment);
        }
    }
    // A path that repeats a segment three times is a relative link feeding on itself.
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for segment in segments.iter().filter(|s| !s.is_empty()) {
        *counts.entry(segment).or_default() += 1;
    }
    if counts.values().any(|&c| c >= 3) {
        trap.get_or_insert("a path that repeats itself");
        let first: Vec<&str> = segments.iter().take(2).map(String::as_str).collect();
        pattern = format!("/{}/…", first.join("/"));
    }
    if url.query().is_some() {
        let mut names: Vec<String> = url.query_pairs().map(|(k, _)| k.to_lowercase()).collect();
        names.sort();
        names.dedup();
        // PHP array parameters name their meaning last: tx_news_pi1[overwriteDemand][year].
        let meaning = |n: &str| {
            n.trim_end_matches(']')
                .rsplit('[')
                .next()
                .unwrap_or(n)
                .to_owned()
        };
        if names.iter().any(|n| cues.trap_params.contains(&meaning(n))) {
            trap.get_or_insert("a page, sort, filter or view parameter");
            // The same view of every sibling page is one family: `?ical=1` on each event.
            // Top-level sections stay apart: `/blog/?seite` is not `/projekte/?seite`.
            if let Some(cut) = pattern.trim_end_matches('/').rfind('/')
                && cut > 0
            {
                let slash = if pattern.ends_with('/') { "/" } else { "" };
                pattern.truncate(cut);
                pattern.push_str("/*");
                pattern.push_str(slash);
            }
        }
        pattern.push('?');
        pattern.push_str(&names.join("&"));
    }
    Shape {
        family: pattern,
        trap,
    }
}

/// `2024-03`, `2024-03-15`, `20240315`, or a year followed by a month (`/2024/03/`) or preceded by
/// a calendar word.
fn is_date(segment: &str, next: Option<&str>, previous: Option<&str>, words: &[String]) -> bool {
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let year =
        |s: &str| digits(s, 4..=4) && s.parse::<u32>().is_ok_and(|y| (1970..=2100).contains(&y));
    let parts: Vec<&str> = segment.split(['-', '_', '.']).collect();
    match parts.as_slice() {
        [y, m] | [y, m, _] if year(y) && digits(m, 1..=2) => true,
        [d] if digits(d, 8..=8) => year(&d[..4]) && d[4..6] <= *"12",
        [y] if year(y) => {
            next.is_some_and(|n| digits(n, 1..=2))
                || previous.is_some_and(|p| words.iter().any(|w| w == p))
        }
        [m] if digits(m, 1..=2) => previous.is_some_and(year),
        _ => false,
    }
}

/// A 64-bit SimHash of a text's word pairs: near-identical texts differ in few bits.
#[must_use]
pub(crate) fn simhash<'t>(words: impl Iterator<Item = &'t str>) -> u64 {
    let mut weights = [0i32; 64];
    let mut previous: Option<String> = None;
    let mut any = false;
    for word in words {
        let word = word.to_lowercase();
        if let Some(prev) = &previous {
            let mut hasher = std::hash::DefaultHasher::new();
            (prev, &word).hash(&mut hasher);
            let h = hasher.finish();
            for (bit, w) in weights.iter_mut().enumerate() {
                *w += if h >> bit & 1 == 1 { 1 } else { -1 };
            }
            any = true;
        }
        previous = Some(word);
    }
    if !any {
        return 0;
    }
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0, |acc, (bit, _)| acc | 1 << bit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn families_from_dates_pages_parameters_and_loops() {
        let rules = Rules::embedded().unwrap();
        let cues = &rules.pages.crawl;
        let cases = [
            (
                "https://e.de/programm/monat/2015-01/",
                "/programm/monat/{date}/",
                true,
            ),
            (
                "https://e.de/blog/2024/03/ostern/",
                "/blog/{date}/{date}/ostern/",
                true,
            ),
            ("https://e.de/archiv/seite/17/", "/archiv/seite/{n}/", true),
            (
                "https://e.de/moebel/sofas/?farbe=rot&seite=2",
                "/moebel/*/?farbe&seite",
                true,
            ),
            (
                "https://e.de/veranstaltung/lesung/?ical=1",
                "/veranstaltung/*/?ical",
                true,
            ),
            ("https://e.de/a/b/a/b/a/b/", "/a/b/…", true),
            (
                "https://e.de/archiv/?tx_news_pi1[overwriteDemand][year]=2025",
                "/archiv/?tx_news_pi1[overwritedemand][year]",
                true,
            ),
            // Numbers alone are ids, not traps: only near-identical pages would make them one.
            ("https://e.de/seite-42.html", "/{n}", false),
            ("https://e.de/index.php?id=7", "/index.php?id", false),
            ("https://e.de/kontakt/", "/kontakt/", false),
        ];
        for (url, family, trap) in cases {
            let shape = shape(&u(url), cues);
            assert_eq!(
                (shape.family.as_str(), shape.trap.is_some()),
                (family, trap),
                "{url}"
            );
        }
    }

    #[test]
    fn a_trap_family_is_capped_unless_the_link_is_strong() {
        let rules = Rules::embedded().unwrap();
        let mut traps = Traps::new(&rules.pages.crawl);
        let month = |m: u32| u(&format!("https://e.de/kalender/2024-{m:02}/"));
        let admitted = (1..=12).filter(|m| traps.admit(&month(*m), false)).count();
        assert_eq!(admitted, 3);
        assert!(traps.admit(&month(12), true), "a strong cue passes");
        let report = traps.report();
        assert_eq!(report.len(), 1);
        assert_eq!((report[0].fetched, report[0].skipped), (4, 9));
        assert_eq!(report[0].example, "https://e.de/kalender/2024-04/");
    }

    #[test]
    fn near_identical_pages_make_a_family_and_session_ids_go() {
        let rules = Rules::embedded().unwrap();
        let mut traps = Traps::new(&rules.pages.crawl);
        let text = "Unsere Möbel in Eiche und Nussbaum, sortiert nach Preis, mit Lieferung";
        let a = simhash(text.split_whitespace());
        let b = simhash(format!("{text} frei Haus").split_whitespace());
        let other =
            simhash("Impressum Möbelhaus Rehberg GmbH Hauptstraße 1 Berlin".split_whitespace());
        assert!((a ^ b).count_ones() < (a ^ other).count_ones());
        let listing = |q: &str| u(&format!("https://e.de/moebel/?farbe={q}"));
        traps.observe(&listing("rot"), a);
        assert!(!traps.held_back(&listing("blau")));
        traps.observe(&listing("blau"), a);
        for q in ["rot", "blau", "gruen"] {
            traps.admit(&listing(q), false);
        }
        assert!(traps.held_back(&listing("gelb")));

        let mut url = u("https://e.de/produkte;jsessionid=A1B2C3/liste?sid=9f8e&p=2");
        assert!(traps.clean(&mut url));
        assert_eq!(url.as_str(), "https://e.de/produkte/liste?p=2");
        assert!(!traps.clean(&mut url));
        let report = traps.report();
        let sessions: Vec<&str> = report
            .iter()
            .filter(|f| f.pattern.ends_with("= in the URL"))
            .map(|f| f.pattern.as_str())
            .collect();
        assert_eq!(sessions, ["?jsessionid= in the URL", "?sid= in the URL"]);
    }
}
