//! The bar atop every page: Nido's name, the room, and the language switch.

use leptos::prelude::*;

use crate::i18n::{Lang, Text, use_i18n};

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
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true"></span>
                "Nido"
            </a>
            {room.map(|room| view! {
                <span class="room-name">
                    <span class="muted">{move || i18n.t(Text::Room)}" "</span>
                    {room}
                </span>
            })}
            <nav class="langs" aria-label="Idioma / Language">
                {lang_button(Lang::Es, "ES")}
                {lang_button(Lang::En, "EN")}
            </nav>
        </header>
    }
}
