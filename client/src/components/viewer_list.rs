//! Who is watching the room right now.

use leptos::prelude::*;
use nido_shared::Presence;

use crate::i18n::{Text, use_i18n};

#[component]
pub fn ViewerList(presence: RwSignal<Option<Presence>>) -> impl IntoView {
    let i18n = use_i18n();
    let names = move || {
        presence
            .get()
            .map(|p| p.viewers.into_iter().map(String::from).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    view! {
        <section class="viewers" aria-live="polite">
            <h2>
                <span data-testid="viewer-count">{move || names().len()}</span>
                " "
                {move || i18n.t(Text::Watching)}
            </h2>
            <Show
                when=move || !names().is_empty()
                fallback=move || view! { <p class="muted">{move || i18n.t(Text::NobodyWatching)}</p> }
            >
                <ul>{move || names().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            </Show>
        </section>
    }
}
