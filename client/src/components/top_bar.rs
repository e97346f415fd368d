//! The bar atop every page: Nido's name, the room, who is logged in (and logging out), the
//! language switch, and a warning when the page came over plain http from the network.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::account::use_account;
use crate::api;
use crate::browser::is_secure_context;
use crate::i18n::{Lang, Text, use_i18n};

/// `room` is the id of the room the page is about; the bar shows its name.
#[component]
pub fn TopBar(#[prop(optional, into)] room: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let lang_button = move |lang: Lang, label: &'static str| {
        view! {
            <button
                type="button"
                class="lang"
                class:active=move || i18n.lang() == lang
                aria-pressed=move || (i18n.lang() == lang).to_string()
                on:click=move |_| i18n.set(lang)
            >
                {label}
            </button>
        }
    };
    let account = use_account();
    let navigate = use_navigate();
    let log_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            // Logged out either way: a failed call leaves at most a session that expires.
            let _ = api::act::<()>(api::post("/api/logout"), None).await;
            account.reload().await;
            navigate("/login", Default::default());
        });
    };
    let who = move || {
        account.me().map(|me| {
            view! {
                <span class="who">
                    <span class="who-name" data-testid="who">{me.display_name.to_string()}</span>
                    <button type="button" class="link" data-testid="log-out" on:click=log_out.clone()>
                        {move || i18n.t(Text::LogOut)}
                    </button>
                </span>
            }
        })
    };
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true"></span>
                "Nido"
            </a>
            {room.map(|room| {
                let name = move || {
                    account
                        .me()
                        .and_then(|me| me.rooms.into_iter().find(|r| r.id.as_str() == room))
                        .map_or_else(|| room.clone(), |r| r.name)
                };
                view! {
                    <span class="room-name" data-testid="room-name">
                        <span class="muted">{move || i18n.t(Text::Room)}" "</span>
                        {name}
                    </span>
                }
            })}
            {who}
            <nav class="langs" aria-label="Idioma / Language">
                {lang_button(Lang::Es, "ES")}
                {lang_button(Lang::En, "EN")}
            </nav>
        </header>
        // Browsers count only https and this machine's own addresses as secure.
        {(!is_secure_context()).then(|| view! {
            <p class="insecure-warning" role="alert" data-testid="insecure-warning">
                {move || i18n.t(Text::InsecureConnection)}
            </p>
        })}
    }
}
