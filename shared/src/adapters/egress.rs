//! Outbound HTTP: the one place Agora builds an HTTP client. Every request to a provider
//! goes through a client from here: rustls, bounded connect and total time, no redirects
//! (a redirect could carry a credential to another host), and bodies read with a size cap.

use std::{net::IpAddr, time::Duration};

use async_trait::async_trait;

use crate::{
    Error,
    error::describe_chain,
    ports::{Reach, UrlGuard},
};

/// The largest provider answer Agora reads.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// A client for calls to `dependency`, giving up after `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("agora/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| Error::Internal(format!("cannot build the HTTP client: {error}")))
}

/// Reads a response body of at most [`MAX_RESPONSE_BYTES`], streaming, so an endless answer
/// cannot exhaust memory.
pub async fn read_body(
    mut response: reqwest::Response,
    dependency: &'static str,
) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| upstream(dependency, &error))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::Upstream(format!(
                "{dependency} answered more than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure talking to `dependency`.
pub fn upstream(dependency: &'static str, error: &reqwest::Error) -> Error {
    if error.is_timeout() || error.is_connect() {
        Error::Unavailable {
            dependency,
            cause: describe(error),
        }
    } else {
        Error::Upstream(format!("{dependency}: {}", describe(error)))
    }
}

/// A transport failure and its causes, without the URL: a user's endpoint URL may carry a
/// key (`?key=...`), and its host is the owner's business, while the message reaches
/// whoever ran the agent (a problem's detail, a run's attempts).
pub fn describe(error: &reqwest::Error) -> String {
    let message = describe_chain(error);
    match error.url() {
        Some(url) => message.replace(url.as_str(), "the endpoint"),
        None => message,
    }
}

// ---- user-supplied URLs -----------------------------------------------------------------

/// Whether a query parameter's name says it holds a credential (`key`, `api_key`,
/// `token`, `sig`...): a URL is stored and shown as it is, a key must not be.
fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace(['-', '_'], "");
    [
        "key",
        "apikey",
        "token",
        "accesstoken",
        "secret",
        "password",
        "sig",
        "signature",
        "auth",
    ]
    .contains(&name.as_str())
}

/// Ports of databases, caches, queues and cluster agents, which a user's URL never names
/// even on a public host: an endpoint there is a probe, not a model server.
const SERVICE_PORTS: &[u16] = &[
    1433, 1521, 2049, 2375, 2376, 2379, 2380, 3306, 3389, 4369, 5432, 5672, 5984, 6379, 6443, 7000,
    7001, 7199, 8086, 8500, 9042, 9092, 9160, 9200, 9300, 10250, 10255, 11211, 15672, 27017, 27018,
    28017,
];

/// Which non-public networks an operator lets user-supplied URLs reach (a VPC where the
/// team's own models run, say). Link-local and cloud metadata addresses can never be
/// allowed: [`EgressPolicy::new`] refuses them.
#[derive(Clone, Debug, Default)]
pub struct EgressPolicy {
    allowed: Vec<ipnet::IpNet>,
}

impl EgressPolicy {
    pub fn new(allowed: Vec<ipnet::IpNet>) -> Result<Self, String> {
        for net in &allowed {
            let touches_link_local = match net {
                ipnet::IpNet::V4(net) => {
                    let link_local: ipnet::Ipv4Net = "169.254.0.0/16".parse().map_err(|_| "")?;
                    link_local.contains(&net.network()) || net.contains(&link_local.network())
                }
                ipnet::IpNet::V6(net) => {
                    let link_local: ipnet::Ipv6Net = "fe80::/10".parse().map_err(|_| "")?;
                    let metadata: std::net::Ipv6Addr = "fd00:ec2::254".parse().map_err(|_| "")?;
                    link_local.contains(&net.network())
                        || net.contains(&link_local.network())
                        || net.contains(&metadata)
                }
            };
            if touches_link_local {
                return Err(format!(
                    "{net} overlaps link-local or cloud metadata addresses, which user URLs may never reach"
                ));
            }
        }
        Ok(Self { allowed })
    }

    /// This policy for URLs of `reach`: without the operator's networks for `Public`.
    pub fn for_reach(&self, reach: Reach) -> Self {
        match reach {
            Reach::Public => Self::default(),
            Reach::PrivateNetworks => self.clone(),
        }
    }

    /// Whether a user-supplied URL may connect to `address`.
    pub fn permits(&self, address: IpAddr) -> bool {
        is_public(address) || self.allowed.iter().any(|net| net.contains(&address))
    }

    /// Checks a user-supplied URL before it is saved or called: http(s), a host, a port
    /// of the web (80, 443) or an unprivileged one, and an IP literal only when permitted.
    /// Names are checked again at every connection, by the guarded client's resolver.
    pub fn check_url(&self, raw: &str) -> Result<reqwest::Url, String> {
        let url = reqwest::Url::parse(raw).map_err(|error| format!("is not a URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials; save the key separately".into());
        }
        if let Some((name, _)) = url.query_pairs().find(|(name, _)| is_credential_name(name)) {
            return Err(format!(
                "must not carry a key in its query (`{name}=`); save the key separately, where it is encrypted"
            ));
        }
        let port = url.port_or_known_default().unwrap_or(0);
        if !(port == 80 || port == 443 || port >= 1024) || SERVICE_PORTS.contains(&port) {
            return Err(format!(
                "port {port} is not allowed; use 80, 443 or a port of 1024 and above that is not a database's, cache's or cluster agent's"
            ));
        }
        match url.host() {
            None => Err("must name a host".into()),
            Some(url::Host::Ipv4(address)) if !self.permits(IpAddr::V4(address)) => {
                Err(format!("{address} is not a public address"))
            }
            Some(url::Host::Ipv6(address)) if !self.permits(IpAddr::V6(address)) => {
                Err(format!("{address} is not a public address"))
            }
            Some(_) => Ok(url),
        }
    }

    /// Resolves `host` and checks every address; the connection then uses exactly these.
    /// The errors never name an address: what a name resolves to inside Agora's network is
    /// not the caller's to learn.
    pub async fn resolve(&self, host: &str) -> Result<Vec<std::net::SocketAddr>, String> {
        let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|_| format!("cannot resolve {host}"))?
            .collect();
        if addresses.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if addresses.iter().any(|address| !self.permits(address.ip())) {
            return Err(format!("{host} does not resolve to a public address"));
        }
        Ok(addresses)
    }
}

#[async_trait]
impl UrlGuard for EgressPolicy {
    fn check_shape(&self, raw: &str, reach: Reach) -> Result<(), String> {
        self.for_reach(reach).check_url(raw).map(|_| ())
    }

    async fn check(&self, raw: &str, reach: Reach) -> Result<String, String> {
        let policy = self.for_reach(reach);
        let url = policy.check_url(raw)?;
        if let Some(url::Host::Domain(host)) = url.host() {
            policy.resolve(host).await?;
        }
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }
}

/// A client for user-supplied URLs: every name resolved through the [`EgressPolicy`]
/// (all addresses checked, the connection pinned to them, so a DNS answer that changes
/// between check and connect cannot slip through), no redirects, bounded time.
pub fn guarded_client(policy: EgressPolicy, timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(GuardedResolver(policy)))
        .user_agent(concat!("agora/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| Error::Internal(format!("cannot build the HTTP client: {error}")))
}

struct GuardedResolver(EgressPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addresses = policy
                .resolve(name.as_str())
                .await
                .map_err(|reason| -> Box<dyn std::error::Error + Send + Sync> { reason.into() })?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast or reserved, in IPv4 or IPv6
/// (IPv4-mapped and NAT64 addresses are judged by the IPv4 address inside).
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // IPv4-compatible (::/96, deprecated) and the discard prefix (100::/64).
                || segments[..6] == [0, 0, 0, 0, 0, 0]
                || segments[..4] == [0x100, 0, 0, 0]
                // Local-use NAT64 (64:ff9b:1::/48): translates to private IPv4.
                || segments[..3] == [0x64, 0xff9b, 1]
                // 6to4 (2002::/16) and Teredo (2001::/32) tunnel to any IPv4 address.
                || segments[0] == 0x2002
                || (segments[0] == 0x2001 && segments[1] == 0)
                // ORCHID and benchmarking (2001:10::/28, 2001:20::/28, 2001:2::/48).
                || (segments[0] == 0x2001 && matches!(segments[1] & 0xfff0, 0x0010 | 0x0020))
                || (segments[0] == 0x2001 && segments[1] == 2 && segments[2] == 0)
                || (segments[0] & 0xfe00) == 0xfc00
                || (segments[0] & 0xffc0) == 0xfe80
                // Site-local (fec0::/10, deprecated but still routed by some stacks).
                || (segments[0] & 0xffc0) == 0xfec0
                || (segments[0] == 0x2001 && segments[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "198.18.0.1",
            "::a9fe:a9fe",
            "::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:a9fe:a9fe::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "100::1",
            "2001:10::1",
            "2001:2::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_allowlist_never_reaches_metadata_addresses() {
        for refused in [
            "169.254.0.0/16",
            "169.254.169.254/32",
            "0.0.0.0/0",
            "fe80::/64",
            "::/0",
        ] {
            assert!(
                EgressPolicy::new(vec![refused.parse().unwrap()]).is_err(),
                "{refused}"
            );
        }
        let policy = EgressPolicy::new(vec!["10.0.0.0/8".parse().unwrap()]).unwrap();
        assert!(policy.permits("10.2.3.4".parse().unwrap()));
        assert!(!policy.permits("169.254.169.254".parse().unwrap()));
    }

    #[test]
    fn urls_are_checked_before_saving() {
        let policy = EgressPolicy::default();
        assert!(policy.check_url("https://llm.example.com/v1").is_ok());
        assert!(policy.check_url("http://llm.example.com:8000/v1").is_ok());
        assert!(policy.check_url("http://llm.example.com:11434/v1").is_ok());
        assert!(
            policy
                .check_url("https://x.openai.azure.com/v1?api-version=2024-10-21")
                .is_ok()
        );
        for bad in [
            "ftp://llm.example.com",
            "http://127.0.0.1:8000/v1",
            "http://[::1]:8000",
            "http://169.254.169.254/latest",
            "http://user:pass@llm.example.com",
            "http://llm.example.com:22",
            "http://llm.example.com:6379",
            "http://llm.example.com:5432/v1",
            "http://llm.example.com:9200",
            "http://[2002:a9fe:a9fe::1]/latest",
            "http://[fec0::1]:8000",
            "https://llm.example.com/v1?key=abc",
            "https://llm.example.com/v1?API-Key=abc",
            "https://llm.example.com/v1?x=1&access_token=abc",
            "not a url",
        ] {
            assert!(policy.check_url(bad).is_err(), "{bad}");
        }
    }
}
