//! The room's chat: lines with names and times, always shown as plain text, and a box to
//! write in.

use leptos::prelude::*;
use nido_shared::limits::MAX_CHAT_CHARS;
use nido_shared::{ChatLine, Role};
use wasm_bindgen::JsValue;

use crate::i18n::{Text, use_i18n};

#[component]
pub fn ChatPanel(
    lines: RwSignal<Vec<ChatLine>>,
    my_name: String,
    #[prop(into)] enabled: Signal<bool>,
    on_send: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(String::new());
    let list = NodeRef::<leptos::html::Ol>::new();

    // Keep the newest line in view.
    Effect::new(move |_| {
        lines.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(f64::from(list.scroll_height()));
        }
    });

    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() && enabled.get_untracked() {
            on_send.run(text);
            draft.set(String::new());
        }
    };

    view! {
        <section class="chat card">
            <h2>{move || i18n.t(Text::Chat)}</h2>
            <ol class="chat-lines" node_ref=list aria-live="polite" data-testid="chat-lines">
                <Show when=move || lines.with(Vec::is_empty)>
                    <li class="muted empty">{move || i18n.t(Text::ChatEmpty)}</li>
                </Show>
                <For each=move || lines.get() key=|line| line.id let(line)>
                    <ChatLineView line=line my_name=my_name.clone()/>
                </For>
            </ol>
            <form class="chat-form" on:submit=move |ev| {
                ev.prevent_default();
                send();
            }>
                <input
                    type="text"
                    data-testid="chat-input"
                    maxlength=MAX_CHAT_CHARS
                    autocomplete="off"
                    prop:placeholder=move || {
                        i18n.t(if enabled.get() { Text::ChatPlaceholder } else { Text::ChatClosed })
                    }
                    aria-label=move || i18n.t(Text::ChatPlaceholder)
                    prop:disabled=move || !enabled.get()
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" prop:disabled=move || !enabled.get()>
                    {move || i18n.t(Text::Send)}
                </button>
            </form>
        </section>
    }
}

#[component]
fn ChatLineView(line: ChatLine, my_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let mine = line.from.as_str() == my_name;
    let from_classroom = line.role == Role::Camera;
    view! {
        <li class="chat-line" class:mine=mine class:classroom=from_classroom>
            <div class="chat-meta">
                <strong>{line.from.to_string()}</strong>
                {from_classroom.then(|| view! { <span class="tag">{move || i18n.t(Text::Caregiver)}</span> })}
                {mine.then(|| view! { <span class="muted">" ("{move || i18n.t(Text::You)}")"</span> })}
                <time>{clock_time(line.sent_at_us)}</time>
            </div>
            // Text, never markup: Leptos sets it as a text node.
            <p class="chat-text">{line.text}</p>
        </li>
    }
}

/// "14:05" in the browser's time zone.
fn clock_time(at_us: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at_us as f64 / 1000.0));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
