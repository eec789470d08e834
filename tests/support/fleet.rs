//! A fleet of company sites on loopback for the multi-worker tests and benchmark: one port per
//! company (a host of its own as far as claims and politeness go), every fourth company with a
//! second list entry, its shop, on the same host. Every answer comes after a delay, and every
//! request is logged with the User-Agent and when it began and ended.

#![allow(dead_code)] // each user takes what it needs

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub port: u16,
    pub path: String,
    pub agent: String,
    pub start: Instant,
    pub end: Instant,
}

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
    let listeners: Vec<std::net::TcpListener> = (0..sites)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
            l.set_nonblocking(true).unwrap();
            l
        })
        .collect();
    let mut entries = Vec::new();
    for (i, l) in listeners.iter().enumerate() {
        let home = format!("http://{}/", l.local_addr().unwrap());
        if i % 4 == 0 {
            entries.push(format!("{home}shop/"));
        }
        entries.push(home);
    }
    let hits = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&hits);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            for (i, std_listener) in listeners.into_iter().enumerate() {
                let port = std_listener.local_addr().unwrap().port();
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let log = Arc::clone(&log);
                        tokio::spawn(async move {
                            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                                let log = Arc::clone(&log);
                                async move {
                                    let start = Instant::now();
                                    tokio::time::sleep(delay).await;
                                    let path = req.uri().path().to_owned();
                                    let agent = req
                                        .headers()
                                        .get("user-agent")
                                        .and_then(|v| v.to_str().ok())
                                        .unwrap_or_default()
                                        .to_owned();
                                    let response = match page(i, &path) {
                                        Some(body) => Response::builder()
                                            .header(
                                                "content-type",
                                                if path.ends_with(".txt") {
                                                    "text/plain"
                                                } else {
                                                    "text/html; charset=utf-8"
                                                },
                                            )
                                            .body(Full::new(Bytes::from(body))),
                                        None => Response::builder()
                                            .status(404)
                                            .body(Full::new(Bytes::from_static(b"not found"))),
                                    };
                                    log.lock().unwrap().push(Hit {
                                        port,
                                        path,
                                        agent,
                                        start,
                                        end: Instant::now(),
                                    });
                                    Ok::<_, Infallible>(response.unwrap())
                                }
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                });
            }
            std::future::pending::<()>().await;
        });
    });
    Fleet { entries, hits }
}
