//! The text a visitor reads, as blocks: one block per paragraph, list item, table cell, heading…
//!
//! Extractors that read prose (numbers, obfuscated addresses, postal addresses, cue words) need
//! the page as a person sees it: no scripts or styles, nothing hidden, inline markup joined
//! without gaps (`info<span>@</span>acme.de` is one word on screen), line breaks kept (an address
//! is written on lines), and text shown right-to-left by CSS turned back (`ed.emca@ofni` with
//! `direction: rtl; unicode-bidi: bidi-override` reads `info@acme.de`). Blocks keep their order,
//! so a label in one block (`<dt>Telefon</dt>`) can be found for a number in the next.

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

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
}

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
    if element.attr("hidden").is_some() {
        return true;
    }
    if element
        .attr("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
    {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

fn is_rtl_override(element: &scraper::node::Element) -> bool {
    let style: String = element
        .attr("style")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let dir_rtl = style.contains("direction:rtl")
        || element
            .attr("dir")
            .is_some_and(|d| d.eq_ignore_ascii_case("rtl"));
    dir_rtl && style.contains("unicode-bidi:bidi-override")
}

struct Builder {
    blocks: Vec<Block>,
    current: String,
    anchors: Vec<NodeId>,
    /// Start offsets in `current` of open right-to-left elements.
    rtl: Vec<usize>,
    reversed: bool,
}

impl Builder {
    fn flush(&mut self) {
        let text = tidy(&self.current);
        if !text.is_empty() {
            self.blocks.push(Block {
                text,
                reversed: self.reversed,
                anchors: std::mem::take(&mut self.anchors),
            });
        }
        self.anchors.clear();
        self.current.clear();
        self.reversed = false;
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

/// The visible text blocks of a document, in reading order.
#[must_use]
pub fn blocks(document: &Html) -> Vec<Block> {
    let mut builder = Builder {
        blocks: Vec::new(),
        current: String::new(),
        anchors: Vec::new(),
        rtl: Vec::new(),
        reversed: false,
    };
    // Depth inside skipped or hidden elements; text there is not shown.
    let mut skipping = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if skipping > 0 || SKIPPED.contains(&name) || is_hidden(element) {
                        skipping += 1;
                        continue;
                    }
                    if name == "br" {
                        builder.current.push('\n');
                    } else if BLOCKS.contains(&name) {
                        builder.flush();
                    } else if name == "a" {
                        builder.anchors.push(node.id());
                    }
                    if is_rtl_override(element) {
                        builder.rtl.push(builder.current.len());
                    }
                }
                Node::Text(text) if skipping == 0 => {
                    // Source line breaks are layout, not meaning: only <br> makes a line.
                    for c in text.chars() {
                        builder
                            .current
                            .push(if c.is_whitespace() { ' ' } else { c });
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                        continue;
                    }
                    if is_rtl_override(element)
                        && let Some(start) = builder.rtl.pop()
                    {
                        let reversed: String = builder.current[start..].chars().rev().collect();
                        builder.current.truncate(start);
                        builder.current.push_str(&reversed);
                        builder.reversed = true;
                    }
                    if BLOCKS.contains(&element.name()) {
                        builder.flush();
                    }
                }
            }
        }
    }
    builder.flush();
    builder.blocks
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
}
