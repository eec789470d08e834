//! A fleet of company sites on loopback for the multi-worker tests and benchmark: one port per
//! company (a host of its own as far as claims and politeness go), every fourth company with a
//! second list entry, its shop, on the same host. Every answer comes after a delay, and every
//! request is logged with the User-Agent and when it began and ended.

#![allow(dead_code)] // each user takes what it needs

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[path = "ports.rs"]
mod ports;
pub use ports::Hit;

pub struct Fleet {
    /// The list's URLs: each company's home, and the shop of every fourth.
    pub entries: Vec<String>,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

impl Fleet {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Requests answered so far to the worker with this User-Agent tag.
    pub fn requests_by(&self, tag: &str) -> usize {
        self.hits().iter().filter(|h| h.agent.contains(tag)).count()
    }
}

fn page(i: usize, path: &str) -> Option<String> {
    let wrap = |title: &str, body: &str| {
        format!(
            "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><nav><a href=\"/kontakt.html\">Kontakt</a> <a href=\"/impressum.html\">Impressum</a></nav><main>{body}</main></body></html>"
        )
    };
    Some(match path {
        "/robots.txt" => "User-agent: *\nAllow: /\n".to_owned(),
        "/" => wrap(
            &format!("Firma {i}"),
            "<h1>Willkommen</h1><p>Fragen? Siehe <a href=\"/kontakt.html\">Kontakt</a>.</p>",
        ),
        "/shop/" => wrap(
            &format!("Shop der Firma {i}"),
            "<h1>Shop</h1><p><a href=\"/shop/hilfe.html\">Hilfe zur Bestellung</a></p>",
        ),
        "/shop/hilfe.html" => wrap(
            "Hilfe",
            &format!(
                "<p>Bestellhotline: <a href=\"tel:+4930{:07}\">030 {:07}</a></p>",
                3_000_000 + i,
                3_000_000 + i
            ),
        ),
        "/kontakt.html" => wrap(
            "Kontakt",
            &format!(
                "<p>Kundenservice: <a href=\"tel:+4989{:07}\">089 {:07}</a> (Mo–Fr 8–18 Uhr)</p><p><a href=\"mailto:service@firma{i}.example\">service@firma{i}.example</a></p>",
                2_000_000 + i,
                2_000_000 + i
            ),
        ),
        "/impressum.html" => wrap(
            "Impressum",
            &format!("<p>Firma {i} GmbH, Musterweg {i}, 80331 München</p>"),
        ),
        _ => return None,
    })
}

/// `sites` companies, each on its own loopback port, every answer `delay` late.
pub fn serve(sites: usize, delay: Duration) -> Fleet {
    let served = ports::serve(sites, delay, page);
    let mut entries = Vec::new();
    for (i, home) in served.homes.into_iter().enumerate() {
        if i % 4 == 0 {
            entries.push(format!("{home}shop/"));
        }
        entries.push(home);
    }
    Fleet {
        entries,
        hits: served.hits,
    }
}
