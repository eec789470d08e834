//! A real HTTP server on 127.0.0.1 (random port) serving one fixture site through the same
//! static-site rules as a directory scan, with a server-side request log (path, host, user agent,
//! time) and faults a test can switch on per path: delays, error statuses, huge bodies, redirect
//! chains, gzip. Runs on its own thread and runtime, so sync (assert_cmd) and async tests use it alike.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reachaudit::crawl::local::StaticSite;

/// What one path should do instead of (or before) serving the file.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Wait, then serve normally.
    Delay(Duration),
    /// Answer with this status and a small HTML body.
    Status(u16),
    /// Answer 200 with an HTML body of this many bytes: a tel: link at the start, another at the end.
    Huge(usize),
    /// `PATH` redirects through this many hops (`PATH?hop=1`, …) before serving the file.
    RedirectChain(usize),
    /// Serve the file gzip-compressed (if the client accepts gzip).
    Gzip,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    pub host: String,
    pub user_agent: String,
    pub accept_encoding: String,
    pub at: Instant,
}

/// A form submission as the server received it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub path: String,
    pub content_type: String,
    pub cookie: String,
    pub referer: String,
    pub user_agent: String,
    pub fields: Vec<(String, String)>,
}

#[derive(Default)]
struct Config {
    faults: HashMap<String, Fault>,
    canonical_host: Option<String>,
    /// Paths that take form posts; while any is set, pages hand out a session cookie.
    forms: Vec<String>,
    posted: Vec<Posted>,
    sessions: u32,
}

pub struct TestServer {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Logged>>>,
    config: Arc<Mutex<Config>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The fixture sites folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites")
}

impl TestServer {
    /// Serves `fixtures/sites/<name>`.
    pub fn fixture(name: &str) -> Self {
        Self::serve(&fixtures().join(name))
    }

    /// Serves any directory laid out like a static site.
    pub fn serve(root: &Path) -> Self {
        let site = Arc::new(StaticSite::open(root).expect("site directory"));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let config = Arc::new(Mutex::new(Config::default()));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (log2, config2) = (log.clone(), config.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    let (stream, _) = tokio::select! {
                        accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
                        _ = &mut stopped => break,
                    };
                    let (site, log, config) = (site.clone(), log2.clone(), config2.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            handle(req, site.clone(), log.clone(), config.clone())
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Self {
            addr,
            log,
            config,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn fault(&self, path: &str, fault: Fault) -> &Self {
        self.config
            .lock()
            .unwrap()
            .faults
            .insert(path.to_owned(), fault);
        self
    }

    /// Requests whose Host is not `host:PORT` are redirected (301) to it, like an apex→www rule.
    pub fn canonical_host(&self, host: &str) -> &Self {
        self.config.lock().unwrap().canonical_host = Some(host.to_owned());
        self
    }

    /// POSTs to `path` are recorded (see [`Self::posted`]) and answered with a redirect to `/`,
    /// as a form handler does; pages set a session cookie, as a CMS does before showing a form.
    pub fn accept_form(&self, path: &str) -> &Self {
        self.config.lock().unwrap().forms.push(path.to_owned());
        self
    }

    /// The form submissions received, in order.
    pub fn posted(&self) -> Vec<Posted> {
        self.config.lock().unwrap().posted.clone()
    }

    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.log().into_iter().map(|l| l.path).collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn html_response(status: u16, body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

async fn handle(
    req: Request<Incoming>,
    site: Arc<StaticSite>,
    log: Arc<Mutex<Vec<Logged>>>,
    config: Arc<Mutex<Config>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let host = header("host");
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    log.lock().unwrap().push(Logged {
        path: if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        },
        host: host.clone(),
        user_agent: header("user-agent"),
        accept_encoding: header("accept-encoding"),
        at: Instant::now(),
    });
    let (fault, canonical, form, session) = {
        let mut config = config.lock().unwrap();
        let form = config.forms.contains(&path);
        let session = if config.forms.is_empty() {
            None
        } else {
            config.sessions += 1;
            Some(config.sessions)
        };
        (
            config.faults.get(&path).cloned(),
            config.canonical_host.clone(),
            form,
            session,
        )
    };
    if form && req.method() == hyper::Method::POST {
        use http_body_util::BodyExt as _;
        let content_type = header("content-type");
        let (cookie, referer, user_agent) =
            (header("cookie"), header("referer"), header("user-agent"));
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let fields = if content_type.starts_with("application/x-www-form-urlencoded") {
            url::form_urlencoded::parse(&body).into_owned().collect()
        } else {
            Vec::new()
        };
        config.lock().unwrap().posted.push(Posted {
            path: path.clone(),
            content_type,
            cookie,
            referer,
            user_agent,
            fields,
        });
        return Ok(Response::builder()
            .status(303)
            .header("Location", "/")
            .body(Full::new(Bytes::new()))
            .unwrap());
    }
    if let Some(canonical) = canonical {
        let port = host.rsplit(':').next().unwrap_or("");
        let wanted = format!("{canonical}:{port}");
        if host != wanted {
            return Ok(Response::builder()
                .status(301)
                .header("Location", format!("http://{wanted}{path}"))
                .body(Full::new(Bytes::new()))
                .unwrap());
        }
    }
    let mut gzip = false;
    match fault {
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Status(code)) => {
            return Ok(html_response(
                code,
                format!("<h1>Error {code}</h1>").into_bytes(),
            ));
        }
        Some(Fault::Huge(size)) => {
            let mut body =
                b"<html><body><p>Hotline: <a href=\"tel:+498003301000\">0800 330 1000</a></p>"
                    .to_vec();
            while body.len() < size.saturating_sub(100) {
                body.extend_from_slice(
                    b"<p>Unsere Angebote im \xc3\x9cberblick und noch mehr Text.</p>\n",
                );
            }
            body.extend_from_slice(
                b"<p><a href=\"tel:+49891234599\">089 1234599</a></p></body></html>",
            );
            return Ok(html_response(200, body));
        }
        Some(Fault::RedirectChain(hops)) => {
            let hop: usize = query
                .strip_prefix("hop=")
                .and_then(|h| h.parse().ok())
                .unwrap_or(0);
            if hop < hops {
                return Ok(Response::builder()
                    .status(302)
                    .header("Location", format!("{path}?hop={}", hop + 1))
                    .body(Full::new(Bytes::new()))
                    .unwrap());
            }
        }
        Some(Fault::Gzip) => gzip = header("accept-encoding").contains("gzip"),
        None => {}
    }
    let origin = format!("http://{host}");
    let answer = site.respond(&path, &origin);
    let mut builder = Response::builder().status(answer.status);
    if let Some(n) = session {
        builder = builder.header("Set-Cookie", format!("sid=s{n}; Path=/; HttpOnly"));
    }
    for (name, value) in &answer.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = if gzip {
        builder = builder.header("Content-Encoding", "gzip");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&answer.body).unwrap();
        encoder.finish().unwrap()
    } else {
        answer.body
    };
    Ok(builder.body(Full::new(Bytes::from(body))).unwrap())
}

/// Writes a small site into a temporary directory: (path, html) pairs.
pub fn temp_site(pages: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in pages {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    dir
}

/// Copies `fixtures/sites/<name>` into `dest` (created), so a test can change a real site.
pub fn copy_fixture(name: &str, dest: &Path) {
    copy_dir(&fixtures().join(name), dest);
}

/// Copies a directory tree into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Applies `edit` to every HTML file under `root`.
pub fn edit_html(root: &Path, edit: &dyn Fn(&str) -> String) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            edit_html(&path, edit);
        } else if path.extension().is_some_and(|e| e == "html") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, edit(&text)).unwrap();
        }
    }
}

/// Runs the binary with extra environment variables: (exit code, stdout, stderr). The SMTP login
/// variables of the developer's shell are removed, so no test logs in anywhere by accident.
pub fn reachaudit_env(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = assert_cmd::Command::cargo_bin("reachaudit").unwrap();
    // Rendering is tested in tests/render.rs; elsewhere a browser would only add time and
    // fetch the fixtures' vendor scripts.
    cmd.args(args)
        .env("REACHAUDIT_RENDER", "never")
        .env_remove("REACHAUDIT_SMTP_USER")
        .env_remove("REACHAUDIT_SMTP_PASSWORD");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs the binary: (exit code, stdout, stderr).
pub fn reachaudit(args: &[&str]) -> (i32, String, String) {
    reachaudit_env(args, &[])
}
