//! `nido-server admin create NAME`: the first administrator, made from the command line
//! because nothing in Nido has a default password.

use std::io::{BufRead, IsTerminal};

use nido_shared::{DisplayName, UserRole, Username, check_new_password};

use crate::auth::password::Passwords;
use crate::infra::clock::Clock;
use crate::store::{NewUser, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AdminCliError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is already someone called {0}")]
    Taken(String),
    #[error("the passwords differ")]
    Mismatch,
    #[error("cannot read the password: {0}")]
    Input(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Creates an administrator, reading the password from standard input: asked twice without
/// echo on a terminal, or the first line of piped input.
pub async fn create_admin(store: &Store, name: &str) -> Result<(), AdminCliError> {
    let username = Username::try_from(name.to_owned())
        .map_err(|error| AdminCliError::Invalid(error.to_string()))?;
    let display_name = DisplayName::try_from(name.to_owned())
        .map_err(|error| AdminCliError::Invalid(error.to_string()))?;
    let password = read_password()?;
    check_new_password(&password).map_err(|error| AdminCliError::Invalid(error.to_string()))?;
    // Typed at this machine's own terminal.
    let hash = Passwords::new()
        .hash(&password, std::net::Ipv4Addr::LOCALHOST.into())
        .await
        .map_err(|error| AdminCliError::Hash(error.to_string()))?;
    let user = NewUser {
        username: &username,
        display_name: &display_name,
        password_hash: &hash,
        role: UserRole::Admin,
        invited_by: None,
        household_head: None,
    };
    match store.create_user(&user, Clock::default().now()).await {
        Err(StoreError::Conflict) => Err(AdminCliError::Taken(username.to_string())),
        other => other.map(drop).map_err(AdminCliError::from),
    }
}

fn read_password() -> Result<String, AdminCliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 8 characters): ")?;
        let again = rpassword::prompt_password("Same password again: ")?;
        return if first == again {
            Ok(first)
        } else {
            Err(AdminCliError::Mismatch)
        };
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
