//! Pages for logged-in people only: anyone else is sent to the login page and back; admin
//! pages refuse everyone but admins.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use nido_shared::api::Me;

use crate::account::{Visitor, use_account};
use crate::i18n::{Text, use_i18n};

/// Shows `page` to a logged-in visitor. The page is built once per login (and again when
/// two-step sign-in changes), not when the account is merely refreshed. Staff who owe the
/// two-step sign-in their daycare requires are sent to their account page, home.
pub fn signed_in(page: impl Fn(Me) -> AnyView + Send + Sync + 'static) -> impl IntoView {
    let account = use_account();
    let i18n = use_i18n();
    let location = use_location();
    let who = Memo::new(move |_| match account.visitor.get() {
        Visitor::Checking => None,
        Visitor::Anonymous => Some(None),
        Visitor::SignedIn(me) => Some(Some((me.id, me.second_factor))),
    });
    move || match who.get() {
        None => view! { <p class="loading">{i18n.t(Text::Loading)}</p> }.into_any(),
        Some(None) => {
            let here = location.pathname.get_untracked();
            let path = format!("/login?next={}", js_sys::encode_uri_component(&here));
            view! { <Redirect path=path/> }.into_any()
        }
        Some(Some((_, second_factor))) => {
            let owed = second_factor.required && !second_factor.enabled;
            if owed && location.pathname.get_untracked() != "/" {
                return view! { <Redirect path="/"/> }.into_any();
            }
            match account.visitor.get_untracked() {
                Visitor::SignedIn(me) => page(me),
                _ => ().into_any(),
            }
        }
    }
}

/// Shows `page` to a logged-in admin, and a refusal to anyone else logged in.
#[cfg(feature = "staff-pages")]
pub fn admin_only(page: impl Fn(Me) -> AnyView + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    signed_in(move |me| {
        if me.role == nido_shared::UserRole::Admin {
            page(me)
        } else {
            view! { <p class="problem page">{move || i18n.t(Text::NotAllowed)}</p> }.into_any()
        }
    })
}
