//! Who is watching the room right now: the names for staff, only how many for families.

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
    let count = move || presence.get().map_or(0, |p| p.viewer_count);
    view! {
        <section class="viewers" aria-live="polite" data-testid="viewer-list">
            <h2>
                <span data-testid="viewer-count">{count}</span>
                " "
                {move || i18n.t(Text::Watching)}
            </h2>
            <Show when=move || count() == 0>
                <p class="muted">{move || i18n.t(Text::NobodyWatching)}</p>
            </Show>
            <ul>{move || names().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
        </section>
    }
}
