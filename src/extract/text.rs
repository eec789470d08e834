//! The text a visitor reads, as blocks: one block per paragraph, list item, table cell, heading…
//!
//! Extractors that read prose (numbers, obfuscated addresses, postal addresses, cue words) need
//! the page as a person sees it: no scripts or styles, nothing hidden, inline markup joined
//! without gaps (`info<span>@</span>acme.de` is one word on screen), line breaks kept (an address
//! is written on lines), and text shown right-to-left by CSS turned back (`ed.emca@ofni` with
//! `direction: rtl; unicode-bidi: bidi-override` reads `info@acme.de`). Blocks keep their order,
//! so a label in one block (`<dt>Telefon</dt>`) can be found for a number in the next.
//!
//! Each block knows the heading it stands under and the part of the page it belongs to (the
//! footer, an aside, a section), so "Zuständige Kammer" above an address can say whose address
//! it is without the footer below inheriting it. Code samples and what visitors wrote (comments,
//! reviews, forum posts, `rules/cues/voice.toml`) are not the company's voice and are left out.
//! One pass over the tree, so the work grows with the page, not with its depth.

use std::collections::HashSet;
use std::sync::LazyLock;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use crate::rules::VoiceCues;

/// One block of visible text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Whitespace collapsed to single spaces, `<br>` kept as `\n`.
    pub text: String,
    /// The block was text turned back from right-to-left display.
    pub reversed: bool,
    /// The links (`<a>`) whose text is part of this block, so link extractors can find the text
    /// around a link.
    pub anchors: Vec<NodeId>,
    /// The heading this block stands under (for a heading: the next higher one), by index.
    pub heading: Option<usize>,
    /// The block is a heading (`<h1>`–`<h6>`).
    pub is_heading: bool,
    /// The part of the page (between sectioning elements) the block is in; blocks of one part
    /// read as one text, a footer never as the continuation of the article above it.
    pub part: u32,
}

/// The visible text of a page, and the links that are not the company's voice.
#[derive(Debug, Clone, Default)]
pub struct PageText {
    /// Visible text blocks in reading order.
    pub blocks: Vec<Block>,
    /// Links inside code samples and visitors' posts: whatever they point at is not a channel.
    pub silenced: HashSet<NodeId>,
}

/// Elements that end the scope of headings and make a part of their own.
const SECTIONING: &[&str] = &[
    "article", "aside", "footer", "header", "main", "nav", "section", "body",
];

/// Elements that never hold a visitor's post as a whole (a theme's body class must not silence a
/// page).
const NEVER_USER_CONTENT: &[&str] = &["html", "body", "main"];

/// Elements whose content is never shown as text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "math", "select", "textarea",
    "iframe", "object", "canvas",
];

/// Elements that start and end a block.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Whether an element is hidden from every visitor (and so a trap for scrapers, not a channel).
#[must_use]
pub fn is_hidden(element: &scraper::node::Element) -> bool {
    // One pass over the attributes (most elements have none): `attr()` looks each name up anew.
    element.attrs().any(|(name, value)| match name {
        "hidden" => true,
        "type" => value.eq_ignore_ascii_case("hidden"),
        "style" => {
            let style: String = value
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        }
        _ => false,
    })
}

/// The short label of an icon (an image's alt text, an icon element's `aria-label` or `title`):
/// one or two words, no address or figure, which is how icons stand for "Tel." or "Fax".
fn icon_label(element: &scraper::node::Element) -> Option<&str> {
    let label = match element.name() {
        "img" => element.attr("alt"),
        "i" | "span" | "svg" | "em" => element.attr("aria-label").or_else(|| element.attr("title")),
        _ => None,
    }?
    .trim();
    (!label.is_empty()
        && label.chars().count() <= 20
        && label.split_whitespace().count() <= 2
        && !label.contains('@')
        && !label.chars().any(|c| c.is_ascii_digit()))
    .then_some(label)
}

/// Whether an element shows its children in reverse order (`flex-direction: row-reverse`), a way
/// to write "domain @ name" in the source and show "name@domain".
fn reverses_children(element: &scraper::node::Element) -> bool {
    element.attrs().any(|(name, style)| {
        name == "style"
            && style.contains("row-reverse")
            && style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
                .contains("flex-direction:row-reverse")
    })
}

/// Classes a page's own stylesheets turn right-to-left with `unicode-bidi: bidi-override`
/// (`.rev{unicode-bidi:bidi-override;direction:rtl}`): the same trick as an inline style, moved
/// into a `<style>` block. Only simple class selectors are read, and only so much CSS: a hostile
/// page may carry megabytes of it.
fn rtl_classes(document: &Html) -> HashSet<String> {
    const MAX_CSS: usize = 256 * 1024;
    static STYLE: LazyLock<scraper::Selector> =
        LazyLock::new(|| scraper::Selector::parse("style").expect("valid selector"));
    let mut classes = HashSet::new();
    let mut budget = MAX_CSS;
    for style in document.select(&STYLE) {
        if budget == 0 {
            break;
        }
        let mut css: String = style.text().collect();
        if css.len() > budget {
            // Read the first part of an oversized block rather than skipping the blocks after it.
            let mut cut = budget;
            while !css.is_char_boundary(cut) {
                cut -= 1;
            }
            css.truncate(cut);
        }
        budget -= css.len();
        if !css.to_ascii_lowercase().contains("bidi") {
            continue;
        }
        // Rules split by hand, not by a pattern: "selectors { body }" in one pass.
        for rule in css.split('}') {
            let Some((selectors, body)) = rule.rsplit_once('{') else {
                continue;
            };
            let body: String = body
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if !(body.contains("unicode-bidi:bidi-override") && body.contains("direction:rtl")) {
                continue;
            }
            for selector in selectors.split(',') {
                let selector = selector.trim();
                if let Some((_, class)) = selector.rsplit_once('.')
                    && !class.is_empty()
                    && selector
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
                {
                    classes.insert(class.to_owned());
                }
            }
        }
    }
    classes
}

fn is_rtl_override(element: &scraper::node::Element, rtl: &HashSet<String>) -> bool {
    if !rtl.is_empty() && element.classes().any(|c| rtl.contains(c)) {
        return true;
    }
    let mut style = None;
    let mut dir_rtl = false;
    for (name, value) in element.attrs() {
        match name {
            "style" => style = Some(value),
            "dir" => dir_rtl = value.eq_ignore_ascii_case("rtl"),
            _ => {}
        }
    }
    let Some(style) = style.filter(|s| s.to_ascii_lowercase().contains("bidi")) else {
        return false;
    };
    let style: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    (dir_rtl || style.contains("direction:rtl")) && style.contains("unicode-bidi:bidi-override")
}

/// A heading in scope: the depth of the sectioning element around it, its level and block.
#[derive(Debug, Clone, Copy)]
struct Heading {
    section_depth: usize,
    level: u8,
    block: usize,
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    current: String,
    anchors: Vec<NodeId>,
    /// Start offsets in `current` of open right-to-left elements.
    rtl: Vec<usize>,
    reversed: bool,
    /// Headings in scope, levels strictly rising (at most six).
    headings: Vec<Heading>,
    /// Depths of the open sectioning elements.
    sections: Vec<usize>,
    part: u32,
    /// The level of the heading being read, if inside one.
    in_heading: Option<u8>,
    /// Open row-reverse elements: their depth and where each child's text starts in `current`.
    reversed_rows: Vec<(usize, Vec<usize>)>,
}

impl Builder {
    fn flush(&mut self) {
        let text = tidy(&self.current);
        if !text.is_empty() {
            let heading = self.headings.last().map(|h| h.block);
            self.blocks.push(Block {
                text,
                reversed: self.reversed,
                anchors: std::mem::take(&mut self.anchors),
                heading,
                is_heading: false,
                part: self.part,
            });
        }
        self.anchors.clear();
        self.current.clear();
        self.reversed = false;
    }

    /// Closes a heading of `level`: its block (if it had text) now governs what follows.
    fn close_heading(&mut self, level: u8) {
        let before = self.blocks.len();
        self.flush();
        self.in_heading = None;
        if self.blocks.len() == before {
            return;
        }
        let block = self.blocks.len() - 1;
        self.headings.retain(|h| h.level < level);
        self.blocks[block].heading = self.headings.last().map(|h| h.block);
        self.blocks[block].is_heading = true;
        self.headings.push(Heading {
            section_depth: self.sections.last().copied().unwrap_or(0),
            level,
            block,
        });
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Full-width forms as the ASCII they stand for ("０８９－１２３" reads "089-123"), as
/// libphonenumber normalises them: East Asian pages and some typefaces write numbers so.
fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// Collapses spaces but keeps single line breaks.
fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    let mut newline = false;
    for c in raw.chars() {
        if c == '\n' {
            newline = true;
        } else if c.is_whitespace() {
            space = true;
        } else {
            if !out.is_empty() {
                if newline {
                    out.push('\n');
                } else if space {
                    out.push(' ');
                }
            }
            newline = false;
            space = false;
            out.push(c);
        }
    }
    out
}

/// The visible text blocks of a document, in reading order, code samples and visitors' posts
/// left out.
#[must_use]
pub fn read(document: &Html, voice: &VoiceCues) -> PageText {
    let mut builder = Builder::default();
    let mut silenced = HashSet::new();
    let rtl = rtl_classes(document);
    // Depth inside skipped or hidden elements; text there is not shown.
    let mut skipping = 0usize;
    // Depth inside code samples and visitors' posts (counted within `skipping`).
    let mut muted = 0usize;
    let mut depth = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    depth += 1;
                    let name = element.name();
                    if skipping > 0 {
                        skipping += 1;
                        if muted > 0 {
                            muted += 1;
                            if name == "a" {
                                silenced.insert(node.id());
                            }
                        }
                        continue;
                    }
                    if is_hidden(element) {
                        skipping = 1;
                        continue;
                    }
                    // An icon that says what follows ("<img alt='Fax'>", "<i class='icon-fax'
                    // aria-label='Telefax'>", "<svg aria-label='Telefon'>") reads as its word, as a
                    // screen reader says it.
                    if let Some(word) = icon_label(element) {
                        builder.current.push(' ');
                        builder.current.push_str(word);
                        builder.current.push(' ');
                    }
                    if SKIPPED.contains(&name) {
                        skipping = 1;
                        continue;
                    }
                    if voice.code.matches(element)
                        || (!NEVER_USER_CONTENT.contains(&name)
                            && voice.user_content.matches(element))
                    {
                        // A sample's or a post's text is not the company's: it ends the block
                        // around it and stays out of every block.
                        builder.flush();
                        skipping = 1;
                        muted = 1;
                        if name == "a" {
                            silenced.insert(node.id());
                        }
                        continue;
                    }
                    if SECTIONING.contains(&name) {
                        builder.flush();
                        builder.part += 1;
                        builder.sections.push(depth);
                    }
                    if let Some(level) = heading_level(name) {
                        builder.flush();
                        builder.in_heading = Some(level);
                    } else if name == "br" {
                        builder.current.push('\n');
                    } else if BLOCKS.contains(&name) && builder.in_heading.is_none() {
                        builder.flush();
                    } else if name == "a" {
                        builder.anchors.push(node.id());
                    }
                    if is_rtl_override(element, &rtl) {
                        builder.rtl.push(builder.current.len());
                    }
                    if let Some((row, starts)) = builder.reversed_rows.last_mut()
                        && *row + 1 == depth
                    {
                        starts.push(builder.current.len());
                    }
                    if reverses_children(element) {
                        builder.reversed_rows.push((depth, Vec::new()));
                    }
                }
                Node::Text(text) if skipping == 0 => {
                    // Source line breaks are layout, not meaning: only <br> makes a line.
                    for c in text.chars() {
                        builder.current.push(if c.is_whitespace() {
                            ' '
                        } else {
                            half_width(c)
                        });
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    depth -= 1;
                    if skipping > 0 {
                        skipping -= 1;
                        muted = muted.saturating_sub(1);
                        continue;
                    }
                    if is_rtl_override(element, &rtl)
                        && let Some(start) = builder.rtl.pop()
                        && builder.current.is_char_boundary(start)
                    {
                        let reversed: String = builder.current[start..].chars().rev().collect();
                        builder.current.truncate(start);
                        builder.current.push_str(&reversed);
                        builder.reversed = true;
                    }
                    if reverses_children(element)
                        && let Some((row, starts)) = builder.reversed_rows.pop()
                        && row == depth + 1
                        && starts
                            .first()
                            .is_some_and(|s| builder.current.is_char_boundary(*s))
                    {
                        // The children's texts in the order they are shown.
                        let from = starts[0];
                        let mut parts: Vec<String> = Vec::new();
                        for (k, s) in starts.iter().enumerate() {
                            let end = starts.get(k + 1).copied().unwrap_or(builder.current.len());
                            if let Some(part) = builder.current.get(*s..end) {
                                parts.push(part.to_owned());
                            }
                        }
                        builder.current.truncate(from);
                        for part in parts.iter().rev() {
                            builder.current.push_str(part);
                        }
                    }
                    let name = element.name();
                    if let Some(level) = heading_level(name) {
                        if builder.in_heading == Some(level) {
                            builder.close_heading(level);
                        }
                    } else if BLOCKS.contains(&name) && builder.in_heading.is_none() {
                        builder.flush();
                    }
                    if SECTIONING.contains(&name) && builder.sections.last() == Some(&(depth + 1)) {
                        builder.flush();
                        builder.sections.pop();
                        builder.part += 1;
                        let open = depth + 1;
                        builder.headings.retain(|h| h.section_depth < open);
                    }
                }
            }
        }
    }
    builder.flush();
    PageText {
        blocks: builder.blocks,
        silenced,
    }
}

/// The visible text of one element (for headings and labels), whitespace collapsed.
#[must_use]
pub fn of(element: ElementRef<'_>) -> String {
    let mut out = String::new();
    let top = element.id();
    for node in element.descendants() {
        if let Node::Text(t) = node.value() {
            // Only what lies between the text and the element hides it; the caller judges the
            // element itself (a <button> has visible text even though blocks skip scripts).
            let hidden = node.ancestors().take_while(|a| a.id() != top).any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| SKIPPED.contains(&e.name()) || is_hidden(e))
            });
            if !hidden {
                out.push_str(t);
            }
        }
    }
    tidy(&out.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(document: &Html) -> Vec<Block> {
        let rules = crate::rules::Rules::embedded().unwrap();
        read(document, &rules.voice).blocks
    }

    fn texts(html: &str) -> Vec<String> {
        blocks(&Html::parse_document(html))
            .into_iter()
            .map(|b| b.text)
            .collect()
    }

    #[test]
    fn blocks_follow_layout_and_join_inline_markup() {
        assert_eq!(
            texts(
                "<p>Schreiben Sie an info<span>@</span>acme<!-- x -->.de</p>\
                 <address>Musterstraße 1<br>80331   München</address>\
                 <dl><dt>Telefon</dt><dd>089 1234\n560</dd></dl>"
            ),
            [
                "Schreiben Sie an info@acme.de",
                "Musterstraße 1\n80331 München",
                "Telefon",
                "089 1234 560"
            ]
        );
    }

    #[test]
    fn hidden_scripts_and_styles_are_not_text() {
        assert_eq!(
            texts(
                "<p>a<span style='display: none'>trap@spam.de</span>b</p>\
                 <script>var x = 'no@no.de'</script><style>p{}</style>\
                 <p hidden>nope</p><div>c<noscript>n</noscript></div>"
            ),
            ["ab", "c"]
        );
    }

    #[test]
    fn right_to_left_override_is_turned_back() {
        let blocks = blocks(&Html::parse_document(
            "<p>Mail: <span style='unicode-bidi:bidi-override; direction: rtl'>ed.emca@ofni</span></p>",
        ));
        assert_eq!(blocks[0].text, "Mail: info@acme.de");
        assert!(blocks[0].reversed);
    }

    #[test]
    fn right_to_left_classes_of_the_page_stylesheet_are_turned_back_too() {
        let blocks = blocks(&Html::parse_document(
            "<style>body{margin:0} footer a, .rev { unicode-bidi: bidi-override; direction: rtl }\
             .ltr{direction:rtl}</style>\
             <p>Mail: <span class='x rev'>ed.emca@ofni</span></p><p>Not: <span class=ltr>cba</span></p>",
        ));
        assert_eq!(blocks[0].text, "Mail: info@acme.de");
        assert_eq!(
            blocks[1].text, "Not: cba",
            "direction alone does not reorder letters"
        );
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    fn page(html: &str) -> PageText {
        let rules = crate::rules::Rules::embedded().unwrap();
        read(&Html::parse_document(html), &rules.voice)
    }

    fn heading_of<'a>(text: &'a PageText, block: &str) -> Option<&'a str> {
        let b = text.blocks.iter().find(|b| b.text == block)?;
        b.heading.map(|h| text.blocks[h].text.as_str())
    }

    #[test]
    fn blocks_know_their_heading_until_the_next_one_or_the_end_of_their_part() {
        let text = page(
            "<main><h1>Impressum</h1><p>ACME GmbH</p>\
             <h2>Zuständige Kammer</h2><div class='w'><p>Landesärztekammer</p></div>\
             <h3>Sitz</h3><p>Stuttgart</p><h2>Hosting</h2><p>Strato AG</p></main>\
             <footer><p>Tel. 0711 1</p></footer>",
        );
        assert_eq!(heading_of(&text, "ACME GmbH"), Some("Impressum"));
        assert_eq!(
            heading_of(&text, "Landesärztekammer"),
            Some("Zuständige Kammer")
        );
        assert_eq!(heading_of(&text, "Stuttgart"), Some("Sitz"));
        assert_eq!(heading_of(&text, "Sitz"), Some("Zuständige Kammer"));
        assert_eq!(heading_of(&text, "Strato AG"), Some("Hosting"));
        assert_eq!(heading_of(&text, "Hosting"), Some("Impressum"));
        assert_eq!(
            heading_of(&text, "Tel. 0711 1"),
            None,
            "the footer is its own part"
        );
        let part = |t: &str| text.blocks.iter().find(|b| b.text == t).unwrap().part;
        assert_ne!(part("Strato AG"), part("Tel. 0711 1"));
        assert_eq!(part("ACME GmbH"), part("Strato AG"));
    }

    #[test]
    fn icons_read_as_their_word() {
        let text = page(
            "<p><img src='fax.svg' alt='Fax'> 089 1234569</p>\
             <p><i class='icon-phone' aria-label='Telefon'></i>089 1234560</p>\
             <p><svg aria-label='Telefax'><path d='M0'/></svg> 089 1234568</p>\
             <p><img alt='Unser Team beim Sommerfest 2024'> <img alt='info@acme.de'></p>",
        );
        let texts: Vec<&str> = text.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Fax 089 1234569",
                "Telefon 089 1234560",
                "Telefax 089 1234568"
            ],
            "long captions and addresses are not icon words"
        );
    }

    #[test]
    fn code_samples_and_visitors_posts_are_not_text() {
        let text = page(
            "<p>Support: help@devhub.io</p><pre><code>curl -u you@example.com</code></pre>\
             <div class='highlight'><span>+1 415 555 0100</span></div>\
             <ol class='commentlist'><li><p>Call me: <a href='tel:+4915112345678'>0151</a></p></li></ol>\
             <div itemscope itemtype='https://schema.org/Review'><p>mail@kunde.de</p></div>\
             <p>Fragen? <a href='tel:+498912345'>anrufen</a></p>",
        );
        let texts: Vec<&str> = text.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Support: help@devhub.io", "Fragen? anrufen"]);
        assert_eq!(text.silenced.len(), 1, "the link in the comment");
    }
}
