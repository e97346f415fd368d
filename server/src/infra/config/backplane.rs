//! `--backplane`: the NATS server (or servers) through which the nodes of one deployment
//! reach each other; a password in it is never shown.

use std::str::FromStr;

use super::database::without_password;

/// One or more `nats://` (or `tls://`) URLs, comma-separated, checked.
#[derive(Clone)]
pub struct BackplaneUrl {
    servers: Vec<async_nats::ServerAddr>,
    /// The URLs with their passwords replaced, to show.
    shown: String,
}

impl BackplaneUrl {
    pub fn servers(&self) -> &[async_nats::ServerAddr] {
        &self.servers
    }
}

impl std::fmt::Debug for BackplaneUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for BackplaneUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl FromStr for BackplaneUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut servers = Vec::new();
        let mut shown = Vec::new();
        for url in text.split(',').map(str::trim) {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            if !matches!(scheme, "nats" | "tls") {
                return Err(
                    "the backplane is a NATS server, as nats://HOST:PORT (or tls://HOST:PORT)"
                        .to_owned(),
                );
            }
            servers.push(
                url.parse::<async_nats::ServerAddr>()
                    .map_err(|error| format!("not a NATS URL: {error}"))?,
            );
            shown.push(format!("{scheme}://{}", without_password(rest)));
        }
        Ok(Self {
            servers,
            shown: shown.join(","),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_listed_and_passwords_never_shown() {
        let url: BackplaneUrl = "nats://nido:s3cret@nats-1:4222, nats://nats-2:4222"
            .parse()
            .unwrap();
        assert_eq!(url.servers().len(), 2);
        assert_eq!(
            url.to_string(),
            "nats://nido:***@nats-1:4222,nats://nats-2:4222"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn other_schemes_are_refused_with_a_reason() {
        for text in ["redis://cache:6379", "nats-1:4222", "nats://a:1,http://b"] {
            let error = text.parse::<BackplaneUrl>().unwrap_err();
            assert!(error.contains("NATS"), "{text}: {error}");
        }
    }
}
