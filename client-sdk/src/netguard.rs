//! Which network addresses a blob fetch may reach: the server-side request forgery guard.
//!
//! A requester names the URIs a worker downloads, and risks no stake doing so. Without a guard
//! any requester could make every worker in the market send requests to the cloud metadata
//! service (`169.254.169.254`), to admin ports on `localhost`, or into the operator's private
//! network. [`NetPolicy::public_only`] refuses every address that is not globally routable:
//! loopback, private (RFC 1918, unique-local IPv6), link-local, shared (CGNAT), unspecified,
//! multicast, broadcast, documentation and benchmarking ranges, and IPv4 addresses embedded in
//! IPv6 (mapped or NAT64) that fall in those ranges.
//!
//! The rule is applied where it cannot be bypassed: to IP literals in the URL before any
//! connection, to **every address a host name resolves to** (through reqwest's resolver hook,
//! so the connection goes to an address that was checked: no re-resolution, no DNS rebinding),
//! and again to the target of every redirect. Operators allow what they mean to reach (their
//! own IPFS gateway, a LAN mirror) by network or host name.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;

/// Where fetches may go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetPolicy {
    /// Reach any address (a requester's own tools; tests on one machine).
    pub any: bool,
    /// Networks allowed although not public (`127.0.0.0/8`, `10.1.0.0/16`).
    pub nets: Vec<IpNet>,
    /// Host names allowed whatever they resolve to (lower case, no port).
    pub hosts: Vec<String>,
}

impl NetPolicy {
    /// Every address.
    pub fn any() -> Self {
        NetPolicy {
            any: true,
            ..NetPolicy::default()
        }
    }

    /// Public addresses only.
    pub fn public_only() -> Self {
        NetPolicy::default()
    }

    /// Add an allowance: a network (`10.0.0.0/8`), an address (`127.0.0.1`, taken as a
    /// single-address network) or a host name (`gateway.lan`).
    pub fn allow(&mut self, item: &str) -> Result<(), String> {
        let item = item.trim();
        if let Ok(net) = item.parse::<IpNet>() {
            self.nets.push(net);
        } else if let Ok(ip) = item.parse::<IpAddr>() {
            self.nets.push(IpNet::from(ip));
        } else if !item.is_empty()
            && item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            self.hosts.push(item.to_ascii_lowercase());
        } else {
            return Err(format!(
                "`{item}` is neither a network (10.0.0.0/8), an address nor a host name"
            ));
        }
        Ok(())
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.any || is_public(ip) || self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Whether `host` (a name) is allowed whatever it resolves to.
    pub fn allows_host(&self, host: &str) -> bool {
        self.any || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Check the host of `url` when it is an IP literal (names are checked once resolved).
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), String> {
        let host = url.host_str().ok_or_else(|| format!("{url} has no host"))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self.check_literal(ip),
            Err(_) => Ok(()),
        }
    }

    fn check_literal(&self, ip: IpAddr) -> Result<(), String> {
        if self.allows_ip(ip) {
            Ok(())
        } else {
            Err(format!(
                "{ip} is not a public address (refused: loopback, private, link-local and \
                 similar ranges are not fetched unless allowed)"
            ))
        }
    }
}

/// Whether `ip` is globally routable (none of the ranges listed in the module docs).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)) // discard 100::/64
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || o[0] == 0 // "this network" 0.0.0.0/8
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments 192.0.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || o[0] >= 240) // reserved 240.0.0.0/4
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`)
/// or NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5].iter().all(|&x| x == 0) && s[5] == 0xffff;
    // IPv4-translated (`::ffff:0:a.b.c.d`) and local-use NAT64 (`64:ff9b:1::/48`).
    let translated = s[..4].iter().all(|&x| x == 0) && s[4] == 0xffff && s[5] == 0;
    let local_nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1;
    let compatible = s[..6].iter().all(|&x| x == 0) && !(s[6] == 0 && s[7] <= 1);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (mapped || compatible || nat64 || translated || local_nat64).then_some(tail)
}

/// reqwest's resolver hook: resolves with the system resolver and keeps only the addresses
/// the policy allows; a name with none left fails with the reason.
pub(crate) struct GuardedResolver(pub(crate) Arc<NetPolicy>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if policy.allows_host(&host) {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| policy.allows_ip(a.ip()))
                .collect();
            if allowed.is_empty() {
                let seen: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves to no public address ({}); refused",
                    seen.join(", ")
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for s in [
            "127.0.0.1",
            "127.9.9.9",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.170",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0:7f00:1",
            "64:ff9b:1::a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(s)), "{s} taken as public");
        }
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} taken as private");
        }
    }

    #[test]
    fn allowances_by_network_address_and_name() {
        let mut p = NetPolicy::public_only();
        assert!(!p.allows_ip(ip("127.0.0.1")));
        p.allow("127.0.0.1").unwrap();
        p.allow("10.1.0.0/16").unwrap();
        p.allow("Gateway.LAN").unwrap();
        assert!(p.allows_ip(ip("127.0.0.1")));
        assert!(!p.allows_ip(ip("127.0.0.2")));
        assert!(p.allows_ip(ip("10.1.200.3")));
        assert!(!p.allows_ip(ip("10.2.0.1")));
        assert!(p.allows_host("gateway.lan"));
        assert!(!p.allows_host("localhost"));
        assert!(p.allow("http://x/").is_err());
        assert!(NetPolicy::any().allows_ip(ip("169.254.169.254")));
    }
}
