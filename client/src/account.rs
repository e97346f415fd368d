//! Who is logged in, for every page: loaded from `/api/me` at start and after logging in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::Me;

use crate::api;

/// What the app knows about the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    Checking,
    /// Not logged in (or the server could not be asked).
    Anonymous,
    SignedIn(Me),
}

/// The visitor, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub visitor: RwSignal<Visitor>,
}

impl Account {
    pub fn provide() -> Self {
        let account = Self {
            visitor: RwSignal::new(Visitor::Checking),
        };
        provide_context(account);
        account.refresh();
        account
    }

    /// Asks the server again who is logged in, in the background.
    pub fn refresh(self) {
        spawn_local(self.reload());
    }

    /// Asks the server again who is logged in, and waits for the answer.
    pub async fn reload(self) {
        let visitor = match api::get::<Me>("/api/me").await {
            Ok(me) => Visitor::SignedIn(me),
            // Not logged in, or the server cannot say: either way, the login page.
            Err(_) => Visitor::Anonymous,
        };
        self.visitor.set(visitor);
    }

    pub fn me(self) -> Option<Me> {
        match self.visitor.get() {
            Visitor::SignedIn(me) => Some(me),
            _ => None,
        }
    }
}

pub fn use_account() -> Account {
    expect_context::<Account>()
}
