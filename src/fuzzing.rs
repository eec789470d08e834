//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_regressions.rs`, which runs
//! every seed and every input a fuzzer once failed on through the same code. Each takes untrusted
//! bytes or text, runs one parser or extractor the way the program does, and throws the result
//! away: none of them may panic, whatever the input. Not a stable API; hidden from the
//! documentation and free to change with the fuzz targets.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::crawl::classify::{self, LinkPlace};
use crate::crawl::robots::Robots;
use crate::crawl::sitemap::{self, Sitemap};
use crate::crawl::{PageView, decode, depth};
use crate::extract::{Context, email, phone};
use crate::rules::Rules;
use crate::rules::owners::{OwnerRules, VoiceCues};
use crate::rules::scoring::Scoring;
use crate::rules::vendors::Vendors;

/// Where every fuzzed page is read: a contact page, so the page-kind cues apply.
const PAGE_URL: &str = "https://fuzz.example/kontakt/";
/// The site robots.txt rules and sitemap entries are resolved against.
const SITE_URL: &str = "https://fuzz.example/";
/// Paths every fuzzed robots.txt is asked about.
const ROBOTS_PATHS: &[&str] = &[
    "/",
    "/kontakt/",
    "/impressum",
    "/hilfe/faq?q=tel%C3%A9fono&page=2",
    "/admin/login.php",
    "/%7Euser/r%C3%A9sum%C3%A9.html",
];
/// Most robots.txt lines whose value is also asked about as a path.
const ROBOTS_LINES: usize = 16;
/// Most sitemap entries classified like frontier candidates.
const SITEMAP_ENTRIES: usize = 64;
/// Regions the text scanner runs with: none, and plans with and without a trunk prefix.
const REGIONS: [Option<&str>; 4] = [None, Some("DE"), Some("US"), Some("GB")];
/// Text fuzzed vendor patterns are matched against.
const VENDOR_SNIPPET: &str =
    r#"<script src="https://widget.fuzz.example/loader.js" async></script> window.chat = {id: 1};"#;

/// The embedded rules, loaded once per thread (a fuzzer runs one input after another; each test
/// runs on its own thread). Leaked on purpose: they live as long as the process.
fn embedded() -> &'static Rules {
    thread_local! {
        static RULES: &'static Rules = Box::leak(Box::new(
            Rules::embedded().expect("the embedded rules load (a unit test proves it)"),
        ));
    }
    RULES.with(|rules| *rules)
}

fn constant_url(constant: &str) -> Url {
    Url::parse(constant).expect("a valid constant URL")
}

/// One HTTP response body as a page, the way the crawler settles it: decoded (byte-order mark,
/// `<meta>` charset, UTF-8 or windows-1252), cut at the element cap, nesting flattened, parsed,
/// then every extractor run with the embedded rules and no page budget. Returns the number of
/// channel sightings.
#[must_use]
pub fn page(bytes: &[u8]) -> usize {
    thread_local! {
        static HTML: scraper::Selector =
            scraper::Selector::parse("html").expect("a valid constant selector");
    }
    let (mut html, _encoding) = decode::html(bytes, Some("text/html"));
    if let Some(cut) = depth::element_cut(&html) {
        html.truncate(cut);
    }
    let html = match depth::limit(&html, depth::MAX_DEPTH) {
        std::borrow::Cow::Owned(flat) => flat,
        std::borrow::Cow::Borrowed(_) => html,
    };
    let document = scraper::Html::parse_document(&html);
    let lang: Option<String> = HTML.with(|root| {
        document
            .select(root)
            .next()
            .and_then(|e| e.value().attr("lang"))
            .map(str::to_owned)
    });
    let url = constant_url(PAGE_URL);
    let view = PageView {
        url: &url,
        document: &document,
        lang: lang.as_deref(),
        html: &html,
        rendered: None,
    };
    let context = Context {
        rules: embedded(),
        country: None,
        site_region: None,
        site_lang: None,
        // No budget: a page that takes too long is a finding (libFuzzer's -timeout), not a cut.
        deadline: None,
    };
    crate::extract::page(&view, &context).observations.len()
}

/// Text as the phone and e-mail scanners read a page's text blocks: every phone-shaped run and
/// its inner readings, judged and parsed for no region, DE, US and GB, the whole text parsed as
/// a `tel:` value would be; addresses written plainly, written out (`[at]`), assembled by a
/// script, in a `mailto:` value and in `data-` attributes.
pub fn text(text: &str) {
    let candidates = phone::candidates(text);
    for region in REGIONS {
        let _ = phone::parse(text, region);
        for candidate in &candidates {
            let _ = phone::extension(&text[candidate.end..]);
            for c in phone::inner(text, candidate) {
                let _ = phone::looks_like_other_figure(text, &c);
                let run = &text[c.start..c.end];
                if let Some((number, used)) = phone::parse_run(run, region) {
                    let _ = phone::shaped_like_phone(&run[..used], region, &number);
                    let _ = phone::extension(&text[c.start + used..]);
                }
            }
        }
    }
    let mut addresses = email::in_text(text);
    if let Some(plain) = email::deobfuscate(text) {
        addresses.extend(email::in_text(&plain));
    }
    addresses.extend(email::in_script(text));
    addresses.extend(email::from_mailto(text));
    let (name, value) = text.split_once('=').unwrap_or(("data-email", text));
    addresses.extend(email::in_data_attributes(
        [(name, value), ("data-domain", value)].into_iter(),
    ));
    let no_reply = &embedded().labels.no_reply;
    for address in &addresses {
        let _ = email::is_valid(address);
        let _ = email::is_no_reply(address, no_reply);
    }
}

/// A robots.txt body answered with HTTP 200, asked about a few paths and about the value of each
/// of its first lines, then its Crawl-delay (capped as the crawler caps it) and sitemaps.
pub fn robots(bytes: &[u8]) {
    let robots = Robots::from_response(200, bytes);
    let site = constant_url(SITE_URL);
    let ask = |path: &str| {
        if let Ok(target) = site.join(path) {
            let _ = robots.allows(&target);
        }
    };
    for &path in ROBOTS_PATHS {
        ask(path);
    }
    let body = String::from_utf8_lossy(bytes);
    for line in body.lines().take(ROBOTS_LINES) {
        if let Some((_, value)) = line.split_once(':') {
            ask(value.trim());
        }
    }
    if let Some(delay) = robots.crawl_delay() {
        let capped = delay.min(crate::crawl::DEFAULT_MAX_CRAWL_DELAY.as_secs_f64());
        let _ = Duration::from_secs_f64(capped);
    }
    for map in robots.sitemaps() {
        let _ = site.join(map);
    }
}

/// A sitemap or sitemap index; its first entries resolved against the site and classified as the
/// frontier classifies links (priority, page kinds).
pub fn sitemap(bytes: &[u8]) {
    let Ok(map) = sitemap::parse(bytes) else {
        return;
    };
    let (Sitemap::Pages(entries) | Sitemap::Index(entries)) = &map;
    let base = constant_url(SITE_URL);
    let cues = &embedded().pages;
    for entry in entries.iter().take(SITEMAP_ENTRIES) {
        if let Ok(target) = base.join(entry) {
            let _ = classify::frontier_priority(cues, &target, "", LinkPlace::default());
            let _ = classify::page_kinds(cues, &target, None, None, &[], false);
        }
    }
}

/// A `reachaudit.toml`: parsed, its assertions validated against the embedded rules, and its
/// options filled into empty `scan` arguments as the command line does.
pub fn config(text: &str) {
    let Ok(parsed) = crate::cli::config::parse(text) else {
        return;
    };
    let _ = crate::cli::config::validate(&parsed.assertions, embedded(), "reachaudit.toml");
    let loaded = crate::cli::config::Loaded {
        path: PathBuf::from("fuzz/reachaudit.toml"),
        config: parsed,
    };
    let _ = loaded.probe();
    loaded.fill(&mut crate::cli::args::ScanArgs::default());
}

/// A rule file, read as each kind it could be: a vendor file (`rules/vendors/`), a compliance
/// rule pack (`rules/compliance/`), `rules/scoring.toml` (checked against the embedded rule and
/// signal ids), `rules/owners.toml`, `rules/cues/voice.toml` and every other single file (page,
/// label, chat, form, hours, offer, signal, address, mail and script cues, `probe.toml`), each
/// parsed and validated as the loader does; what validates is then used a little.
pub fn rules(text: &str) {
    for name in crate::rules::SINGLE_FILES {
        // These three are read below, where what validates is also used.
        if !matches!(*name, "scoring.toml" | "owners.toml" | "cues/voice.toml") {
            let _ = crate::rules::check_file(name, text);
        }
    }
    let rules = embedded();
    let file = Path::new("rules/fuzz.toml");
    let files = [(file.to_path_buf(), text.to_owned())];
    let mut signal_ids: Vec<String> = rules.signals.signals.iter().map(|s| s.id.clone()).collect();
    signal_ids.extend(
        [
            crate::rules::cues::CONTACT_LINK_IN_NAVIGATION,
            crate::rules::cues::IMPRINT_LINK_IN_NAVIGATION,
        ]
        .map(str::to_owned),
    );

    if let Ok(vendors) = Vendors::load(&files) {
        let _ = vendors
            .by_host("https://widget.fuzz.example/loader.js")
            .count();
        for vendor in &vendors.list {
            let _ = vendor.inline_snippet(VENDOR_SNIPPET);
        }
    }

    let _ = crate::rules::compliance::load(&files, &signal_ids);

    if let Ok(scoring) = crate::rules::parse::<Scoring>(file, text)
        && scoring.validate(file, text, crate::score::ITEMS).is_ok()
    {
        let rule_ids: Vec<&str> = rules.compliance.iter().map(|r| r.id.as_str()).collect();
        let _ = scoring.validate_references(file, text, &rule_ids, &signal_ids);
        for total in [0, 50, 100] {
            let _ = scoring.grade(total);
        }
        let _ = scoring.week.days("Mo. – Fr. 8–18 Uhr");
    }

    if let Ok(mut owners) = crate::rules::parse::<OwnerRules>(file, text)
        && owners.prepare(file, text).is_ok()
    {
        let _ = owners.known_number("+498912345678");
        let _ = owners.known_domain("www.fuzz.example");
        let _ = owners.placeholder_domain("example.com");
        let _ = owners.known_name("Fuzz GmbH");
    }

    if let Ok(mut voice) = crate::rules::parse::<VoiceCues>(file, text) {
        let _ = voice.prepare(file, text);
        let _ = voice.user_content.page(&constant_url(PAGE_URL));
    }
}

/// A raw message (RFC 5322 bytes) as `probe poll` reads a reply: classified with the embedded
/// mail cues, and searched for a probe token.
pub fn mail(raw: &[u8]) {
    let classification = crate::probe::classify::classify(raw, &embedded().mail);
    let _ = classification.class.as_str();
    if let Some(message) = mail_parser::MessageParser::default().parse(raw) {
        let _ = crate::probe::inbox::find_token(&message, &|_: &str| true);
    }
}

/// A company list as `reachaudit batch` reads it, once as a CSV file and once as a text file of
/// URLs (the reader tells them by the extension), from a temporary file.
pub fn list(bytes: &[u8]) {
    for suffix in [".csv", ".txt"] {
        let Ok(mut file) = tempfile::Builder::new()
            .prefix("reachaudit-fuzz-")
            .suffix(suffix)
            .tempfile()
        else {
            return;
        };
        if file.write_all(bytes).is_err() {
            return;
        }
        let _ = crate::batch::read_list(file.path());
    }
}
