//! Sending probes: which planned probes may go out (caps, opt-out list, no second probe to the
//! same channel within the window), and handing each one to the mail server or the form.
//!
//! Every probe is written to the store as `planned` before anything leaves, marked `sending` in
//! its own committed transaction right before it is handed over, and `sent` or `failed` after the
//! answer. A run killed at any point leaves each probe in one of these states; a later run resumes
//! `planned` ones and never sends a `sending` one again (it may have left: only a reply, read by
//! `probe poll`, proves it did). Only when the server answered that it did not take the message
//! does a probe go back to `planned`, to be retried.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use url::Url;

use super::form::{self, Values};
use super::plan::{Plan, Planned};
use super::token::new_token;
use crate::rules::probe::ProbeRules;
use crate::store::{NewProbe, Probe, ProbeState, Store, StoreError};

/// The most probes per day, over all companies, unless told otherwise: a study, not a flood.
pub const DEFAULT_MAX_PER_DAY: u32 = 20;

/// What can stop a send before anything leaves.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A setting is wrong; the message names it and the fix.
    #[error("{0}")]
    Setting(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who signs and where replies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// A person's or the organisation's name.
    pub name: String,
    /// The sender address.
    pub address: String,
    /// The reply address with `{token}` in it.
    pub reply_pattern: String,
}

impl Identity {
    /// From `Name <address>`, and a reply pattern (default: plus-addressing on the sender).
    ///
    /// # Errors
    /// No name, no valid address, or a pattern without `{token}`.
    pub fn parse(from: &str, reply_pattern: Option<&str>) -> Result<Self, SendError> {
        let bad = || {
            SendError::Setting(format!(
                "--from {from:?}: give who is writing, as \"Erika Mustermann <erika@example.org>\""
            ))
        };
        let mailbox: Mailbox = from.trim().parse().map_err(|_| bad())?;
        let name = mailbox.name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            return Err(bad());
        }
        let address = mailbox.email.to_string().to_lowercase();
        let reply_pattern = match reply_pattern {
            Some(p) => {
                let sample = p.replace("{token}", "ra-abcdefghjk");
                if !p.contains("{token}") || sample.parse::<Address>().is_err() {
                    return Err(SendError::Setting(format!(
                        "--reply-to {p:?}: give an address with {{token}} in it, e.g. probe-{{token}}@example.org"
                    )));
                }
                p.to_owned()
            }
            None => {
                let (local, domain) = address.split_once('@').ok_or_else(bad)?;
                format!("{local}+{{token}}@{domain}")
            }
        };
        Ok(Self {
            name: name.trim().to_owned(),
            address,
            reply_pattern,
        })
    }

    /// `Name <address>`.
    #[must_use]
    pub fn display(&self) -> String {
        Mailbox::new(
            Some(self.name.clone()),
            self.address.parse().expect("checked when parsed"),
        )
        .to_string()
    }

    fn reply_to(&self, token: &str) -> String {
        self.reply_pattern.replace("{token}", token)
    }
}

/// Domains that asked not to be probed: one per line, `#` comments; a domain covers its
/// subdomains.
#[derive(Debug, Clone, Default)]
pub struct OptOut {
    domains: Vec<String>,
}

impl OptOut {
    /// Reads the lists.
    ///
    /// # Errors
    /// A file that cannot be read, or a line that is not a domain.
    pub fn read(files: &[PathBuf]) -> Result<Self, SendError> {
        let mut domains = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file).map_err(|e| {
                SendError::Setting(format!(
                    "--opt-out {}: cannot read it ({e}); give a text file with one domain per line",
                    file.display()
                ))
            })?;
            for (n, line) in text.lines().enumerate() {
                let entry = line.split('#').next().unwrap_or_default().trim();
                if entry.is_empty() {
                    continue;
                }
                let domain = entry
                    .trim_start_matches("*.")
                    .trim_start_matches('@')
                    .trim_end_matches('.')
                    .to_lowercase();
                let domain = domain.rsplit('@').next().unwrap_or_default().to_owned();
                if domain.is_empty()
                    || !domain.contains('.')
                    || domain
                        .chars()
                        .any(|c| !(c.is_alphanumeric() || c == '.' || c == '-'))
                {
                    return Err(SendError::Setting(format!(
                        "{}:{}: {entry:?} is not a domain; write one domain per line, like example.de",
                        file.display(),
                        n + 1
                    )));
                }
                domains.push(ascii_host(&domain));
            }
        }
        Ok(Self { domains })
    }

    /// The entry that covers any of these places: URLs, addresses or host names.
    #[must_use]
    pub fn covers_any<'a>(&self, places: impl IntoIterator<Item = &'a str>) -> Option<&str> {
        places.into_iter().find_map(|place| {
            let host = Url::parse(place)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| place.to_owned());
            self.covers(&host)
        })
    }

    /// The entry that covers a host or an address's domain.
    #[must_use]
    pub fn covers(&self, host: &str) -> Option<&str> {
        let host = ascii_host(host.rsplit('@').next().unwrap_or(host));
        let host = host.trim_end_matches('.');
        self.domains
            .iter()
            .find(|d| host == d.as_str() || host.ends_with(&format!(".{d}")))
            .map(String::as_str)
    }
}

/// A host name in its ASCII (punycode) form, as URLs carry it: `müller.de` → `xn--mller-kva.de`.
fn ascii_host(host: &str) -> String {
    Url::parse(&format!("http://{host}/"))
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| host.to_lowercase())
}

/// Limits on what one run may send.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Probes per company within `window_secs`, counting earlier runs.
    pub max_per_company: u32,
    /// Probes per day over all companies, counting earlier runs.
    pub max_per_day: u32,
    /// A channel probed within this many seconds is not probed again.
    pub window_secs: i64,
    /// Who asked not to be probed.
    pub opt_out: OptOut,
}

/// A probe not sent by this run, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    /// The company's site.
    pub company: String,
    /// `email` or `contact_form`.
    pub channel: String,
    /// The address or the form.
    pub target: String,
    /// Why.
    pub reason: String,
}

/// What a run would send: earlier runs' `planned` probes first, then new ones.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Probes an interrupted run wrote down and never handed over.
    pub resumed: Vec<Probe>,
    /// New probes (company, plan entry).
    pub new: Vec<(String, Planned)>,
    /// Probes left as `sending` by an interrupted run: never sent again.
    pub unconfirmed: Vec<Probe>,
    /// What is held back, and why.
    pub held: Vec<Held>,
}

/// Decides what may be sent, reading the store but writing nothing.
///
/// # Errors
/// A failed query.
pub fn select(
    plans: &[Plan],
    store: &Store,
    policy: &Policy,
    now: i64,
) -> Result<Selection, SendError> {
    let mut sel = Selection::default();
    let earlier = store.probes(None)?;
    let mut today = store.count_all_since(now - 86_400)?;
    for p in &earlier {
        match p.state {
            ProbeState::Planned => sel.resumed.push(p.clone()),
            ProbeState::Sending => sel.unconfirmed.push(p.clone()),
            _ => {}
        }
    }
    // Counted across plans too: two reports of one site must not double its probes.
    let mut counts: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut chosen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for plan in plans {
        let company = plan.site.clone();
        if !counts.contains_key(&company) {
            let stored = store.count_since(&company, now - policy.window_secs)?;
            counts.insert(company.clone(), stored);
        }
        for planned in &plan.probes {
            let hold = |reason: String| Held {
                company: company.clone(),
                channel: planned.channel.clone(),
                target: planned.target.clone(),
                reason,
            };
            let places = [company.as_str(), planned.target.as_str()];
            let opted = policy
                .opt_out
                .covers_any(places.into_iter().chain(planned.page_url.as_deref()));
            if let Some(domain) = opted {
                sel.held
                    .push(hold(format!("{domain} is on the opt-out list")));
                continue;
            }
            if let Some(before) = earlier.iter().find(|p| {
                p.new.target == planned.target && p.created_at >= now - policy.window_secs
            }) {
                sel.held.push(hold(format!(
                    "already probed ({}, {}); not again within the window",
                    before.new.token,
                    before.state.as_str()
                )));
                continue;
            }
            if chosen.contains(&planned.target) {
                sel.held.push(hold("already chosen in this run".to_owned()));
                continue;
            }
            let count = counts.entry(company.clone()).or_default();
            if *count >= policy.max_per_company {
                sel.held.push(hold(format!(
                    "the cap of {} probes per company is reached",
                    policy.max_per_company
                )));
                continue;
            }
            if today >= policy.max_per_day {
                sel.held.push(hold(format!(
                    "the cap of {} probes per day is reached; run again tomorrow",
                    policy.max_per_day
                )));
                continue;
            }
            *count += 1;
            today += 1;
            chosen.insert(planned.target.clone());
            sel.new.push((company.clone(), planned.clone()));
        }
    }
    // The list may have grown since an interrupted run wrote its probes down.
    sel.resumed.retain(|p| {
        let places = [p.new.company.as_str(), p.new.target.as_str()];
        let opted = policy
            .opt_out
            .covers_any(places.into_iter().chain(p.new.page_url.as_deref()));
        match opted {
            Some(domain) => {
                sel.held.push(Held {
                    company: p.new.company.clone(),
                    channel: p.new.channel.clone(),
                    target: p.new.target.clone(),
                    reason: format!("{domain} is on the opt-out list (written down earlier)"),
                });
                false
            }
            None => true,
        }
    });
    Ok(sel)
}

/// A new probe with its own token, filled into the plan's text.
///
/// # Errors
/// No random source.
pub fn draft(company: &str, planned: &Planned, identity: &Identity) -> Result<NewProbe, SendError> {
    let token =
        new_token().map_err(|e| SendError::Setting(format!("no random source for tokens: {e}")))?;
    let domain = identity
        .address
        .rsplit('@')
        .next()
        .unwrap_or("reachaudit.invalid");
    Ok(NewProbe {
        token: token.clone(),
        company: company.to_owned(),
        channel: planned.channel.clone(),
        target: planned.target.clone(),
        page_url: planned.page_url.clone(),
        sender: identity.display(),
        reply_to: identity.reply_to(&token),
        message_id: format!("<{token}@{domain}>"),
        subject: planned.subject.replace("{token}", &token),
        body: planned.body.replace("{token}", &token),
    })
}

/// The e-mail exactly as it goes out (without Date, which is set when it leaves).
///
/// # Errors
/// An address the message cannot carry.
pub fn message(probe: &NewProbe) -> Result<Message, String> {
    let from: Mailbox = probe
        .sender
        .parse()
        .map_err(|e| format!("sender {}: {e}", probe.sender))?;
    let reply: Address = probe
        .reply_to
        .parse()
        .map_err(|e| format!("reply address {}: {e}", probe.reply_to))?;
    let to: Mailbox = probe.target.parse().map_err(|e| {
        format!(
            "{}: not an address the mail server takes ({e})",
            probe.target
        )
    })?;
    let envelope = lettre::address::Envelope::new(Some(reply.clone()), vec![to.email.clone()])
        .map_err(|e| e.to_string())?;
    Message::builder()
        .from(from.clone())
        .reply_to(Mailbox::new(from.name.clone(), reply))
        .to(to)
        .subject(probe.subject.clone())
        .message_id(Some(probe.message_id.clone()))
        .header(lettre::message::header::MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN)
        .envelope(envelope)
        .body(probe.body.clone())
        .map_err(|e| e.to_string())
}

/// A password or similar, never printed.
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How to reach the outgoing mail server.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtps://host[:465]` (TLS), `smtp://host[:587]` (STARTTLS required), or
    /// `smtp://host:port?tls=none` (plain text, loopback only).
    pub url: String,
    /// Login name.
    pub user: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Extra CA certificate (PEM) to trust, for a server with a private CA.
    pub ca_file: Option<PathBuf>,
}

/// How the mail server is reached, decided from the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte.
    Tls,
    /// STARTTLS, refused if the server does not offer it.
    StartTls,
    /// Plain text: loopback only.
    Plain,
}

impl SmtpSettings {
    /// Host, port and security from the URL, with the rules that keep credentials safe.
    ///
    /// # Errors
    /// A URL that is not SMTP, carries a password, or asks for plain text off loopback.
    pub fn endpoint(&self) -> Result<(String, u16, Security), SendError> {
        let bad =
            |why: &str| SendError::Setting(format!("--smtp {}: {why}", super::redacted(&self.url)));
        let (url, host) = super::server_url(
            &self.url,
            "smtps://host, smtp://host:587 or smtp://127.0.0.1:25?tls=none",
            "REACHAUDIT_SMTP_PASSWORD",
        )
        .map_err(|why| bad(&why))?;
        let tls_none = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
        let (security, default_port) = match url.scheme() {
            "smtps" => (Security::Tls, 465),
            "smtp" if tls_none => (Security::Plain, 25),
            "smtp" => (Security::StartTls, 587),
            _ => return Err(bad("use smtps:// (TLS) or smtp:// (STARTTLS)")),
        };
        if security == Security::Plain && !super::is_loopback(&host) {
            return Err(bad(
                "plain text is allowed to a loopback server only; drop ?tls=none to use STARTTLS",
            ));
        }
        Ok((host, url.port().unwrap_or(default_port), security))
    }

    /// Builds the transport; nothing is sent.
    ///
    /// # Errors
    /// A bad URL or CA file.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (host, port, security) = self.endpoint()?;
        let tls = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(host.clone());
            if let Some(ca) = &self.ca_file {
                let pem = std::fs::read(ca).map_err(|e| {
                    SendError::Setting(format!("--smtp-ca {}: cannot read it ({e})", ca.display()))
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    SendError::Setting(format!(
                        "--smtp-ca {}: not a PEM certificate ({e})",
                        ca.display()
                    ))
                })?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| SendError::Setting(format!("--smtp {}: TLS setup: {e}", self.url)))
        };
        let tls = match security {
            Security::Tls => Tls::Wrapper(tls()?),
            Security::StartTls => Tls::Required(tls()?),
            Security::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)));
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => {
                if security == Security::Plain {
                    return Err(SendError::Setting(format!(
                        "--smtp {}: a login over plain text is refused; use smtps:// or STARTTLS",
                        self.url
                    )));
                }
                builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
            }
            (Some(_), None) => {
                return Err(SendError::Setting(
                    "REACHAUDIT_SMTP_USER is set but no password: set REACHAUDIT_SMTP_PASSWORD"
                        .into(),
                ));
            }
            (None, Some(_)) => {
                return Err(SendError::Setting(
                    "an SMTP password is set but no user: set REACHAUDIT_SMTP_USER".into(),
                ));
            }
            (None, None) => {}
        }
        Ok(builder.build())
    }
}

/// How a hand-over ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted; the server's answer.
    Sent(String),
    /// Refused for good; the probe is `failed`.
    Refused(String),
    /// Refused for now, before anything was taken: back to `planned` for a later run.
    Retry(String),
    /// No answer after handing it over: it may have left, so it stays `sending`.
    Unknown(String),
}

/// Hands probes to the mail server and to forms.
pub struct Sender {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    http: reqwest::Client,
    rules: Arc<ProbeRules>,
    allow_private: bool,
    max_page_bytes: usize,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("smtp", &self.smtp.is_some())
            .finish_non_exhaustive()
    }
}

/// Settings of the HTTP client for form probes.
#[derive(Debug, Clone)]
pub struct FormSettings {
    /// The identifiable user agent.
    pub user_agent: String,
    /// Per request.
    pub timeout: Duration,
    /// Loopback and private addresses allowed (tests, intranets).
    pub allow_private: bool,
}

impl Sender {
    /// # Errors
    /// A bad SMTP setting, or an HTTP client that cannot be built.
    pub fn new(
        smtp: Option<&SmtpSettings>,
        forms: &FormSettings,
        rules: Arc<ProbeRules>,
    ) -> Result<Self, SendError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let smtp = smtp.map(SmtpSettings::transport).transpose()?;
        let allow_private = forms.allow_private;
        let http = reqwest::Client::builder()
            .user_agent(forms.user_agent.clone())
            .timeout(forms.timeout)
            .cookie_store(true)
            .no_proxy()
            .dns_resolver(crate::crawl::guard::GuardedResolver::new(
                allow_private,
                std::collections::HashMap::new(),
            ))
            // Every hop of a post-redirect-get passes the same address check.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    return attempt.error("too many redirects");
                }
                let refused = attempt
                    .url()
                    .host()
                    .and_then(|h| crate::crawl::guard::check_host(&h, allow_private).err());
                match refused {
                    Some(e) => attempt.error(e.to_string()),
                    None => attempt.follow(),
                }
            }))
            .build()
            .map_err(|e| SendError::Setting(format!("HTTP client: {e}")))?;
        Ok(Self {
            smtp,
            http,
            rules,
            allow_private,
            max_page_bytes: 5 * 1024 * 1024,
        })
    }

    /// Checks that the mail server answers, before any probe is marked `sending`.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the login.
    pub async fn check(&self, url: &str) -> Result<(), SendError> {
        if let Some(smtp) = &self.smtp {
            match smtp.test_connection().await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(SendError::Setting(format!(
                        "--smtp {url}: the server did not answer; check host and port"
                    )));
                }
                Err(e) => {
                    return Err(SendError::Setting(format!(
                        "--smtp {url}: {e}; check host, port, TLS and REACHAUDIT_SMTP_USER/PASSWORD"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Hands one probe over.
    pub async fn deliver(&self, probe: &NewProbe, sender_name: &str) -> Delivery {
        match probe.channel.as_str() {
            "email" => self.mail(probe).await,
            _ => self.form(probe, sender_name).await,
        }
    }

    async fn mail(&self, probe: &NewProbe) -> Delivery {
        let Some(smtp) = &self.smtp else {
            return Delivery::Retry("no --smtp server given for e-mail probes".into());
        };
        let message = match message(probe) {
            Ok(m) => m,
            Err(e) => return Delivery::Refused(e),
        };
        match smtp.send(message).await {
            Ok(response) => Delivery::Sent(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) if e.is_permanent() => Delivery::Refused(e.to_string()),
            // 4xx: the server said "not now" and did not take it.
            Err(e) if e.is_transient() => Delivery::Retry(e.to_string()),
            // The handshake comes before the message: nothing left.
            Err(e) if e.is_tls() => Delivery::Retry(e.to_string()),
            Err(e) => Delivery::Unknown(e.to_string()),
        }
    }

    async fn form(&self, probe: &NewProbe, sender_name: &str) -> Delivery {
        let Some(page_url) = probe.page_url.as_deref().and_then(|u| Url::parse(u).ok()) else {
            return Delivery::Refused("no page the form is on".into());
        };
        let Ok(action) = Url::parse(&probe.target) else {
            return Delivery::Refused(format!("{}: not a form address", probe.target));
        };
        // The page first, as a person opens it: its CSRF token and session cookie.
        let (page, page_url) = match self.fetch(&page_url).await {
            Ok(page) => page,
            Err(e) => return e,
        };
        let values = Values {
            name: sender_name,
            email: &probe.reply_to,
            subject: &probe.subject,
            message: &probe.body,
        };
        let submission = match form::fill(&page, &page_url, &action, &values, &self.rules) {
            Ok(s) => s,
            Err(e) => return Delivery::Refused(e),
        };
        if let Some(host) = submission.action.host()
            && let Err(e) = crate::crawl::guard::check_host(&host, self.allow_private)
        {
            return Delivery::Refused(e.to_string());
        }
        let request = if submission.method == "POST" {
            let r = self
                .http
                .post(submission.action.clone())
                .header(reqwest::header::REFERER, page_url.as_str());
            if submission.multipart {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in submission.pairs {
                    form = form.text(k, v);
                }
                r.multipart(form)
            } else {
                r.form(&submission.pairs)
            }
        } else {
            let mut url = submission.action.clone();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(&submission.pairs);
            self.http
                .get(url)
                .header(reqwest::header::REFERER, page_url.as_str())
        };
        match request.send().await {
            Ok(r) if r.status().is_success() => {
                Delivery::Sent(format!("HTTP {} from {}", r.status().as_u16(), r.url()))
            }
            Ok(r) => Delivery::Refused(format!(
                "the form answered HTTP {} at {}",
                r.status().as_u16(),
                r.url()
            )),
            Err(e) if private(&e).is_some() => Delivery::Refused(private(&e).unwrap_or_default()),
            Err(e) if e.is_connect() => Delivery::Retry(format!("cannot connect: {e}")),
            Err(e) => Delivery::Unknown(format!("no answer from the form: {e}")),
        }
    }

    /// The form page and where it ended up after redirects (relative form actions resolve
    /// against that).
    async fn fetch(&self, url: &Url) -> Result<(String, Url), Delivery> {
        // Names are checked by the resolver; literal addresses here.
        if let Some(host) = url.host()
            && let Err(e) = crate::crawl::guard::check_host(&host, self.allow_private)
        {
            return Err(Delivery::Refused(e.to_string()));
        }
        let mut response =
            self.http
                .get(url.clone())
                .send()
                .await
                .map_err(|e| match private(&e) {
                    // The address will not change by waiting: refused, not retried.
                    Some(refused) => Delivery::Refused(refused),
                    None => Delivery::Retry(format!("cannot open the form page {url}: {e}")),
                })?;
        let final_url = response.url().clone();
        if !response.status().is_success() {
            return Err(Delivery::Refused(format!(
                "the form page {url} answered HTTP {}",
                response.status().as_u16()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Delivery::Retry(format!("cannot read the form page {url}: {e}")))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_page_bytes {
                return Err(Delivery::Refused(format!(
                    "the form page {url} is larger than {} bytes",
                    self.max_page_bytes
                )));
            }
        }
        Ok((String::from_utf8_lossy(&body).into_owned(), final_url))
    }
}

/// The private-address refusal inside an HTTP error, if that is what it is.
fn private(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(p) = err.downcast_ref::<crate::crawl::guard::PrivateAddress>() {
            return Some(p.to_string());
        }
        source = err.source();
    }
    None
}

/// One probe's hand-over, as it happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The probe, as stored before.
    pub probe: Probe,
    /// How it ended; `None` when another run had claimed it.
    pub delivery: Option<Delivery>,
}

/// Sends probes one after the other through the store's states.
///
/// # Errors
/// A failed write to the store (the probe in hand stays `sending`, never sent twice).
pub async fn run(
    store: &mut Store,
    probes: Vec<Probe>,
    sender: &Sender,
    identity_name: &str,
    clock: &dyn Fn() -> i64,
    pause: Duration,
    mut each: impl FnMut(&Outcome),
) -> Result<Vec<Outcome>, SendError> {
    let mut out = Vec::new();
    for (i, probe) in probes.into_iter().enumerate() {
        if i > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        if !store.transition(
            probe.id,
            ProbeState::Planned,
            ProbeState::Sending,
            clock(),
            None,
        )? {
            let o = Outcome {
                probe,
                delivery: None,
            };
            each(&o);
            out.push(o);
            continue;
        }
        let delivery = sender.deliver(&probe.new, identity_name).await;
        let (to, note) = match &delivery {
            Delivery::Sent(a) => (ProbeState::Sent, a.as_str()),
            Delivery::Refused(e) => (ProbeState::Failed, e.as_str()),
            Delivery::Retry(e) => (ProbeState::Planned, e.as_str()),
            Delivery::Unknown(e) => (ProbeState::Sending, e.as_str()),
        };
        if to != ProbeState::Sending {
            store.transition(probe.id, ProbeState::Sending, to, clock(), Some(note))?;
        }
        let o = Outcome {
            probe,
            delivery: Some(delivery),
        };
        each(&o);
        out.push(o);
    }
    Ok(out)
}

/// Writes new probes down as `planned`, each in its own transaction; a channel another run
/// planned meanwhile is left out.
///
/// # Errors
/// A failed write.
pub fn write_down(
    store: &mut Store,
    drafts: &[NewProbe],
    now: i64,
    window_secs: i64,
) -> Result<Vec<Probe>, SendError> {
    let mut out = Vec::new();
    for d in drafts {
        if let Some(p) = store.plan_unless_recent(d, now, now - window_secs)? {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_out_covers_subdomains_and_unicode_domains_and_urls_never_echo_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("opt-out.txt");
        std::fs::write(&list, "# asked on 2026-11-02\nmüller.de\n*.example.org\n").unwrap();
        let o = OptOut::read(&[list]).unwrap();
        assert_eq!(o.covers("www.xn--mller-kva.de"), Some("xn--mller-kva.de"));
        assert_eq!(o.covers("service@MÜLLER.de"), Some("xn--mller-kva.de"));
        assert_eq!(
            o.covers_any(["https://shop.example.org/kontakt"]),
            Some("example.org")
        );
        assert_eq!(o.covers("example.de"), None);

        let smtp = SmtpSettings {
            url: "smtps://erika:geheim123@mail.example.org".into(),
            user: None,
            password: None,
            ca_file: None,
        };
        let err = smtp.endpoint().unwrap_err().to_string();
        assert!(
            err.contains("REACHAUDIT_SMTP_PASSWORD") && !err.contains("geheim123"),
            "{err}"
        );
        let plain = SmtpSettings {
            url: "smtp://mail.example.org?tls=none".into(),
            ..smtp.clone()
        };
        assert!(
            plain
                .endpoint()
                .unwrap_err()
                .to_string()
                .contains("loopback")
        );
        let lonely = SmtpSettings {
            url: "smtps://mail.example.org".into(),
            password: Some(Secret("x".into())),
            ..smtp
        };
        assert!(
            lonely
                .transport()
                .unwrap_err()
                .to_string()
                .contains("no user")
        );
        assert_eq!(format!("{:?}", Secret("geheim".into())), "Secret(***)");
    }
}
