//! Test contacts: honest probes to a company's published e-mail addresses and contact forms, and
//! what came back. Network and disk stay here and in the store; classification is pure.

pub mod classify;
pub mod form;
pub mod inbox;
pub mod plan;
pub mod send;
pub mod timings;
pub mod token;

pub use classify::{Classification, ReplyClass, classify};

/// A mail server's URL with its host: no password inside (it would end up in shell history and
/// process lists), and a host. The errors are the reason only; callers name the flag.
pub(crate) fn server_url(
    raw: &str,
    example: &str,
    password_env: &str,
) -> Result<(url::Url, String), String> {
    let url = url::Url::parse(raw).map_err(|_| format!("not a URL; give {example}"))?;
    if url.password().is_some() {
        return Err(format!(
            "a password in the URL ends up in shell history; use {password_env}"
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| "no host".to_owned())?
        .trim_matches(['[', ']'])
        .to_owned();
    Ok((url, host))
}

/// A URL for messages: any password in it replaced, so an error never repeats a secret.
pub(crate) fn redacted(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Plain text is only allowed to a server on this machine.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
