//! The SSRF guard: a CI tool that fetches user-given URLs must not become a proxy into the
//! network it runs in.
//!
//! The check is on the *resolved* address, inside the DNS resolver the HTTP client uses, so a host
//! name that points at 127.0.0.1 or 10.0.0.5 (or is re-pointed between check and connect) is caught
//! at the moment of connecting. IP-literal URLs bypass DNS and are checked by [`check_host`].

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A connection refused because the address is not public.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} resolves to {addr}, a {class} address; pass --allow-private to audit it")]
pub struct PrivateAddress {
    /// The host as written in the URL.
    pub host: String,
    /// The resolved address.
    pub addr: IpAddr,
    /// What kind of non-public address it is.
    pub class: &'static str,
}

/// Why an address is not public, or `None` if it is.
#[must_use]
pub fn non_public_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_class(v4);
            }
            let seg0 = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if (seg0 & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (seg0 & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg0 == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some("documentation")
            } else if v6.segments()[..6] == [0, 0, 0, 0, 0, 0] {
                // IPv4-compatible (deprecated) addresses reach IPv4 hosts.
                v4_class(Ipv4Addr::from(
                    (u32::from(v6.segments()[6]) << 16) | u32::from(v6.segments()[7]),
                ))
            } else {
                None
            }
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_broadcast() || ip.is_multicast() || o[0] >= 240 {
        Some("broadcast, multicast or reserved")
    } else if ip.is_documentation() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("documentation or benchmarking")
    } else {
        None
    }
}

/// Checks a URL host that is an IP literal (DNS names are checked in [`GuardedResolver`]).
///
/// # Errors
/// The host is a non-public IP address and private addresses are not allowed.
pub fn check_host(host: &url::Host<&str>, allow_private: bool) -> Result<(), PrivateAddress> {
    let ip = match host {
        url::Host::Ipv4(v4) => IpAddr::V4(*v4),
        url::Host::Ipv6(v6) => IpAddr::V6(*v6),
        url::Host::Domain(_) => return Ok(()),
    };
    check(&host.to_string(), ip, allow_private)
}

fn check(host: &str, ip: IpAddr, allow_private: bool) -> Result<(), PrivateAddress> {
    match non_public_class(ip) {
        Some(class) if !allow_private => Err(PrivateAddress {
            host: host.to_owned(),
            addr: ip,
            class,
        }),
        _ => Ok(()),
    }
}

/// DNS resolution with fixed overrides (like curl's `--resolve`) and the private-address check.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    allow_private: bool,
    overrides: Arc<HashMap<String, Vec<IpAddr>>>,
    only_overrides: bool,
}

impl GuardedResolver {
    /// A resolver that refuses non-public addresses unless `allow_private`.
    #[must_use]
    pub fn new(allow_private: bool, overrides: HashMap<String, Vec<IpAddr>>) -> Self {
        Self {
            allow_private,
            overrides: Arc::new(overrides),
            only_overrides: false,
        }
    }

    /// Answers only the fixed names; every other name fails without a DNS query.
    #[must_use]
    pub fn only_overrides(mut self, only: bool) -> Self {
        self.only_overrides = only;
        self
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allow_private = self.allow_private;
        let fixed = self.overrides.get(&host).cloned();
        let only_overrides = self.only_overrides;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ips) => ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect(),
                None if only_overrides => {
                    return Err(
                        format!("{host} is not among the resolved names (offline run)").into(),
                    );
                }
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            // Refuse if *any* address is private: a name that mixes public and private answers is a
            // DNS-rebinding setup, and the client may try the private one next.
            for addr in &addrs {
                check(&host, addr.ip(), allow_private)?;
            }
            let out: Addrs = Box::new(addrs.into_iter());
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_non_public_addresses() {
        for (ip, class) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(non_public_class(ip), Some(class), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2a00:1450:4001:80b::200e"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(non_public_class(ip), None, "{ip}");
        }
    }

    #[tokio::test]
    async fn resolver_checks_the_resolved_address_not_the_name() {
        let overrides = HashMap::from([(
            "www.example.de".to_owned(),
            vec!["127.0.0.1".parse().unwrap()],
        )]);
        let guarded = GuardedResolver::new(false, overrides.clone());
        let name: Name = "www.example.de".parse().unwrap();
        let err = guarded.resolve(name).await.err().unwrap().to_string();
        assert!(
            err.contains("loopback") && err.contains("--allow-private"),
            "{err}"
        );

        let open = GuardedResolver::new(true, overrides);
        let name: Name = "www.example.de".parse().unwrap();
        let addrs: Vec<_> = open.resolve(name).await.unwrap().collect();
        assert_eq!(addrs, vec!["127.0.0.1:0".parse().unwrap()]);

        let name: Name = "localhost".parse().unwrap();
        assert!(
            GuardedResolver::new(false, HashMap::new())
                .resolve(name)
                .await
                .is_err()
        );
    }

    #[test]
    fn ip_literals_are_checked() {
        let host = url::Host::parse("127.0.0.1").unwrap();
        let host = match &host {
            url::Host::Ipv4(a) => url::Host::Ipv4(*a),
            _ => unreachable!(),
        };
        assert!(check_host(&host, false).is_err());
        assert!(check_host(&host, true).is_ok());
        assert!(check_host(&url::Host::Domain("example.de"), false).is_ok());
    }
}
