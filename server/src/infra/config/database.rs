//! `--database`: where a deployment of many nodes keeps its data, a PostgreSQL URL; its
//! password is never shown (not in logs, not in `Debug`).

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

/// A `postgres://` (or `postgresql://`) URL, parsed.
#[derive(Clone)]
pub struct DatabaseUrl {
    options: PgConnectOptions,
    /// The URL with its password replaced, to show.
    shown: String,
}

impl DatabaseUrl {
    pub fn options(&self) -> &PgConnectOptions {
        &self.options
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
        if !matches!(scheme, "postgres" | "postgresql") {
            return Err(
                "only PostgreSQL is supported, as postgres://USER:PASSWORD@HOST/DATABASE \
                 (without --database Nido keeps its data in SQLite in --data-dir)"
                    .to_owned(),
            );
        }
        let options = PgConnectOptions::from_str(text)
            .map_err(|error| format!("not a PostgreSQL URL: {error}"))?;
        Ok(Self {
            options,
            shown: format!("{scheme}://{}", without_password(rest)),
        })
    }
}

/// `user:secret@host/db` as `user:***@host/db`.
pub(super) fn without_password(rest: &str) -> String {
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let url: DatabaseUrl = "postgres://nido:s3cret@db.example/nido".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://nido:***@db.example/nido");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.options().get_host(), "db.example");
    }

    #[test]
    fn other_databases_are_refused_with_a_reason() {
        for text in ["mysql://a@b/c", "sqlite://nido.db", "db.example"] {
            let error = text.parse::<DatabaseUrl>().unwrap_err();
            assert!(error.contains("only PostgreSQL"), "{text}: {error}");
        }
    }
}
