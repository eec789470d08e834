//! sitemaps.org XML: URL sets and sitemap indexes. Sitemaps are extra seeds: a contact page that no
//! menu links to is still a page a customer can land on from a search engine.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The most entries read from one sitemap (the sitemaps.org limit per file).
pub const MAX_ENTRIES: usize = 50_000;

/// What a sitemap file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// Page URLs (`<urlset>`).
    Pages(Vec<String>),
    /// Further sitemaps (`<sitemapindex>`).
    Index(Vec<String>),
}

/// Parses a sitemap or sitemap index.
///
/// # Errors
/// The document is not well-formed XML or is neither a `urlset` nor a `sitemapindex`.
pub fn parse(xml: &[u8]) -> Result<Sitemap, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut root: Option<Vec<u8>> = None;
    let mut loc: Option<String> = None;
    let mut locs = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.error_position()
            )
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if root.is_none() {
                    root = Some(name.clone());
                }
                if name == b"loc" {
                    loc = Some(String::new());
                }
            }
            Event::Text(t) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(t) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&String::from_utf8_lossy(&t));
                }
            }
            // Since quick-xml 0.38 `&amp;` and `&#38;` arrive as events of their own.
            Event::GeneralRef(r) => {
                if let Some(loc) = &mut loc {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        loc.push(c);
                    } else {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        let entity = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name}; in <loc>"))?;
                        loc.push_str(entity);
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref().eq_ignore_ascii_case(b"loc") => {
                if let Some(done) = loc.take()
                    && locs.len() < MAX_ENTRIES
                {
                    locs.push(done.trim().to_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    match root.as_deref() {
        Some(b"urlset") => Ok(Sitemap::Pages(locs)),
        Some(b"sitemapindex") => Ok(Sitemap::Index(locs)),
        Some(other) => Err(format!(
            "root element <{}> is neither <urlset> nor <sitemapindex>",
            String::from_utf8_lossy(other)
        )),
        None => Err("empty document".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urlsets_and_indexes() {
        let set = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://e.de/kontakt/</loc><lastmod>2026-01-01</lastmod></url>
  <url><loc> https://e.de/a?x=1&amp;y=2 </loc></url>
</urlset>"#;
        assert_eq!(
            parse(set).unwrap(),
            Sitemap::Pages(vec![
                "https://e.de/kontakt/".into(),
                "https://e.de/a?x=1&y=2".into()
            ])
        );
        let index = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc><![CDATA[https://e.de/s1.xml]]></loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse(index).unwrap(),
            Sitemap::Index(vec!["https://e.de/s1.xml".into()])
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"<html><body>Not found</body></html>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<urlset><url><loc>x</url>").is_err());
    }
}
