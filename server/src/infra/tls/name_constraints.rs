//! The local authority's name constraints: it may sign only for this machine's names and
//! for addresses of the networks it is on, so that its key, if stolen, cannot impersonate
//! any other site to a tablet that trusts it.

use std::net::IpAddr;

use rcgen::{CidrSubnet, GeneralSubtree, NameConstraints};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

/// Constraints that permit exactly these names (and their subdomains) and the networks of
/// these addresses (the interface's network where the machine is on one, else the address
/// alone).
pub fn permitting(names: &[String]) -> NameConstraints {
    let networks = interface_networks();
    let permitted_subtrees = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => {
                let prefix = networks
                    .iter()
                    .find(|(network, prefix)| in_network(ip, *network, *prefix))
                    .map_or(full_prefix(ip), |(_, prefix)| *prefix);
                GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
                    network_of(ip, prefix),
                    prefix,
                ))
            }
            Err(_) => GeneralSubtree::DnsName(name.clone()),
        })
        .collect();
    NameConstraints {
        permitted_subtrees,
        excluded_subtrees: Vec::new(),
    }
}

/// Whether an authority's constraints permit every one of `names`; an authority without
/// constraints (made by an older Nido) permits none, so it is replaced.
pub fn permit_all(authority: &X509Certificate<'_>, names: &[String]) -> bool {
    let Ok(Some(constraints)) = authority.name_constraints() else {
        return false;
    };
    let Some(permitted) = &constraints.value.permitted_subtrees else {
        return false;
    };
    names.iter().all(|name| {
        permitted
            .iter()
            .any(|subtree| match (&subtree.base, name.parse::<IpAddr>()) {
                (GeneralName::DNSName(base), Err(_)) => {
                    name == base || name.ends_with(&format!(".{base}"))
                }
                (GeneralName::IPAddress(bytes), Ok(ip)) => ip_in_subtree(ip, bytes),
                _ => false,
            })
    })
}

/// An IP subtree is the network's address followed by its mask.
fn ip_in_subtree(ip: IpAddr, bytes: &[u8]) -> bool {
    let octets = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    let (network, mask) = bytes.split_at(bytes.len() / 2);
    network.len() == octets.len()
        && octets
            .iter()
            .zip(network.iter().zip(mask))
            .all(|(byte, (net, mask))| byte & mask == net & mask)
}

fn interface_networks() -> Vec<(IpAddr, u8)> {
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    interfaces
        .iter()
        .map(|interface| match &interface.addr {
            if_addrs::IfAddr::V4(v4) => (IpAddr::V4(v4.ip), v4.prefixlen),
            if_addrs::IfAddr::V6(v6) => (IpAddr::V6(v6.ip), v6.prefixlen),
        })
        .collect()
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    network_of(ip, prefix) == network_of(network, prefix)
}

/// The address of the network of `ip` with this prefix: its host bits cleared.
fn network_of(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(ip) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::from((u32::from(ip) & mask).to_be_bytes())
        }
        IpAddr::V6(ip) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::from((u128::from(ip) & mask).to_be_bytes())
        }
    }
}

fn full_prefix(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_matched_by_network() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(in_network(ip("192.168.1.77"), ip("192.168.1.20"), 24));
        assert!(!in_network(ip("192.168.2.1"), ip("192.168.1.20"), 24));
        assert!(in_network(ip("fd00::9"), ip("fd00::1"), 64));
        assert!(!in_network(ip("192.168.1.77"), ip("192.168.1.20"), 32));
        assert_eq!(network_of(ip("127.0.0.1"), 8), ip("127.0.0.0"));
        assert!(ip_in_subtree(
            ip("10.1.2.3"),
            &[10, 1, 0, 0, 255, 255, 0, 0]
        ));
        assert!(!ip_in_subtree(
            ip("10.2.2.3"),
            &[10, 1, 0, 0, 255, 255, 0, 0]
        ));
    }
}
