//! Sites on loopback, one listener per site (a host of its own as far as claims and politeness
//! go), all answered by one tokio server on a thread of the test process. Every answer comes
//! after a delay, and every request is logged with the User-Agent and when it began and ended.

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

/// Site `i`'s page at a path, or `None` for a 404.
pub type Pages = fn(usize, &str) -> Option<String>;

pub struct Served {
    /// Each site's home page URL, in order.
    pub homes: Vec<String>,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

/// `count` sites answering with `pages`, every answer `delay` late.
pub fn serve(count: usize, delay: Duration, pages: Pages) -> Served {
    let listeners: Vec<std::net::TcpListener> = (0..count)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
            l.set_nonblocking(true).unwrap();
            l
        })
        .collect();
    let homes = listeners
        .iter()
        .map(|l| format!("http://{}/", l.local_addr().unwrap()))
        .collect();
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
                                    let response = match pages(i, &path) {
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
    Served { homes, hits }
}
