//! Deep nesting, flattened before parsing. The HTML standard's tree builder looks through the
//! stack of open elements for every tag (scope checks, the active formatting elements), so a page
//! of 100,000 nested `<div>`s or `<b><i>`s costs time that grows with the square of the page:
//! minutes of CPU for a megabyte. Chromium's parser keeps at most 512 levels and puts deeper
//! elements beside the last one; this pass does the same in one linear scan over the text — it
//! closes the innermost element before a start tag that would go deeper, and leaves out that
//! element's own end tag later — so no page can stall a batch worker, and no element, attribute
//! or text is lost. Pages that stay below the limit (every ordinary page) come back unchanged.
//!
//! The tokenizer checks each attribute against the tag's earlier ones (duplicates are dropped),
//! which is quadratic in a tag's attributes: the same pass keeps the first
//! [`MAX_ATTRIBUTES`] of a tag and leaves out the rest.

use std::borrow::Cow;
use std::collections::HashMap;

/// The depth Chromium's HTML parser keeps (`kMaximumHTMLParserDOMTreeDepth`).
pub(crate) const MAX_DEPTH: usize = 512;

/// Most attributes kept on one tag. Real tags carry a few dozen; a hundred thousand (a hostile
/// page) take html5ever's duplicate check minutes.
pub(crate) const MAX_ATTRIBUTES: usize = 1024;

/// Most elements read from one page. A large real page has tens of thousands; each costs the
/// parsed tree a few hundred bytes, so 5 MiB of bare `<div>`s (a million elements) would take
/// hundreds of megabytes. The rest of such a page is left unread and the page reported cut.
pub(crate) const MAX_ELEMENTS: usize = 100_000;

/// Where the start tag after the first [`MAX_ELEMENTS`] begins, if the page has more.
#[must_use]
pub(crate) fn element_cut(html: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while let Some(p) = memchr(b'<', &bytes[i..]) {
        let at = i + p;
        if bytes.get(at + 1).is_some_and(u8::is_ascii_alphabetic) {
            count += 1;
            if count > MAX_ELEMENTS {
                return Some(at);
            }
        }
        i = at + 1;
    }
    None
}

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];
/// Elements whose content is text up to their own end tag.
const RAW: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];
/// Elements a start tag of the same name closes (`<p>a<p>b`, `<li>a<li>b`).
const SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt", "rp",
];

/// `html` with no element nested deeper than `max` levels: a deeper one becomes the sibling of
/// the innermost open element.
#[must_use]
pub(crate) fn limit(html: &str, max: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut dropped: HashMap<String, usize> = HashMap::new();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(p) = memchr(b'<', &bytes[i..]) {
        let at = i + p;
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            i = find(bytes, b"-->", at + 4).map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = at + 1;
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b':'))
            .map_or(bytes.len(), |n| name_start + n);
        let name = html[name_start..name_end].to_ascii_lowercase();
        let end = tag_end(bytes, name_end);
        let self_closing = end >= 2 && bytes[end - 2] == b'/';
        let mut drop_tag = false;
        let mut close_first: Option<String> = None;
        if closing {
            match dropped.get_mut(&name) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    drop_tag = true;
                }
                _ => {
                    if let Some(pos) = stack.iter().rposition(|s| *s == name) {
                        stack.truncate(pos);
                    }
                }
            }
        } else if RAW.contains(&name.as_str()) {
            // Its text is no markup: jump to its end tag, which closes nothing on the stack.
            i = find_end_tag(bytes, &name, end);
            continue;
        } else if !VOID.contains(&name.as_str()) && !self_closing {
            if SIBLINGS.contains(&name.as_str()) && stack.last() == Some(&name) {
                stack.pop();
            }
            if stack.len() >= max
                && let Some(top) = stack.pop()
            {
                *dropped.entry(top.clone()).or_default() += 1;
                close_first = Some(top);
            }
            stack.push(name);
        }
        if drop_tag {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..at]);
            copied = end;
        } else if let Some(top) = close_first {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..at]);
            buf.push_str("</");
            buf.push_str(&top);
            buf.push('>');
            copied = at;
        }
        if !closing
            && !drop_tag
            && end - name_end > 2 * MAX_ATTRIBUTES
            && let Some(cut) = attributes_cut(bytes, name_end, end)
        {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..cut]);
            buf.push('>');
            copied = end;
        }
        i = end;
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut buf) => {
            buf.push_str(&html[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// Where the attribute after the first [`MAX_ATTRIBUTES`] of a tag starts, if the tag (its
/// name ending at `from`, the tag at `end`) has more. Quoted values are skipped whole; a value
/// written with spaces around its `=` may count as an attribute of its own, which only makes a
/// tag of over a thousand attributes lose a few more.
fn attributes_cut(bytes: &[u8], from: usize, end: usize) -> Option<usize> {
    let mut count = 0;
    let mut quote = None;
    let mut in_attribute = false;
    for (j, &b) in bytes.iter().enumerate().take(end).skip(from) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>' => in_attribute = false,
            b'=' => in_attribute = true,
            _ if !in_attribute => {
                in_attribute = true;
                count += 1;
                if count > MAX_ATTRIBUTES {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// Just past the `>` that ends a tag whose name ends at `from`, quotes respected.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (j, b) in bytes.iter().enumerate().skip(from) {
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return j + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Where `</name` starts at or after `from` (case-insensitive), else the end.
fn find_end_tag(bytes: &[u8], name: &str, from: usize) -> usize {
    let mut i = from;
    while let Some(p) = find(bytes, b"</", i) {
        let candidate = &bytes[p + 2..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return p;
        }
        i = p + 2;
    }
    bytes.len()
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|b| *b == needle)
}

fn find(bytes: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= bytes.len() {
        return None;
    }
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_come_back_unchanged() {
        let page = "<!DOCTYPE html><html><head><title>a<b</title><script>if (a<b) x('<div>')</script></head>\
                    <body><ul><li>a<li>b</ul><p>x<p>y<br><img src=x><!-- <div> --><div><span>z</span></div></body></html>";
        assert!(matches!(limit(page, 8), Cow::Borrowed(_)));
    }

    /// The deepest nesting of a text's tags, counted the way [`limit`] reads them.
    fn depth(html: &str) -> usize {
        let (mut now, mut most) = (0usize, 0);
        for tag in html.split('<').skip(1) {
            if tag.starts_with('/') {
                now = now.saturating_sub(1);
            } else {
                now += 1;
                most = most.max(now);
            }
        }
        most
    }

    #[test]
    fn deeper_elements_become_siblings_and_nothing_is_lost() {
        let deep = format!(
            "{}<a href=\"tel:+4930901822\">030</a>{}",
            "<div>".repeat(20),
            "</div>".repeat(20)
        );
        let flat = limit(&deep, 5);
        assert!(depth(&flat) <= 5, "{flat}");
        assert_eq!(flat.matches("<div>").count(), 20, "every element stays");
        assert_eq!(flat.matches("</div>").count(), 20, "and is closed once");
        assert!(flat.contains("<a href=\"tel:+4930901822\">030</a>"));
        let inline = "<b><i><span>".repeat(1_000) + "text";
        assert!(depth(&limit(&inline, MAX_DEPTH)) <= MAX_DEPTH);
    }

    #[test]
    fn a_flood_of_attributes_keeps_the_first_ones() {
        let many: String = (0..3 * MAX_ATTRIBUTES)
            .map(|i| format!(" data-a{i}=\"x > {i}\""))
            .collect();
        let page = format!("<div id=k{many}>Tel. 030 1234567</div><p class=x>after</p>");
        let cut = limit(&page, MAX_DEPTH);
        let kept = scraper::Html::parse_fragment(&cut);
        let div = kept
            .select(&scraper::Selector::parse("div").unwrap())
            .next()
            .unwrap();
        assert_eq!(div.value().attrs().count(), MAX_ATTRIBUTES);
        assert_eq!(div.value().attr("id"), Some("k"));
        assert!(cut.ends_with(">Tel. 030 1234567</div><p class=x>after</p>"));
        // A tag with few attributes, however long its values, is left alone.
        let long = format!("<a href=\"{}\">x</a>", "y".repeat(10 * MAX_ATTRIBUTES));
        assert!(matches!(limit(&long, MAX_DEPTH), Cow::Borrowed(_)));
    }

    #[test]
    fn pages_of_more_elements_than_the_cap_are_cut_at_a_tag() {
        let page = "<p>x</p>".repeat(MAX_ELEMENTS + 10);
        let cut = element_cut(&page).unwrap();
        assert_eq!(cut, MAX_ELEMENTS * "<p>x</p>".len());
        assert_eq!(element_cut(&"<p>x</p>".repeat(1_000)), None);
    }
}
