//! For the room's staff: who is muted in its chat, until when, and unmuting them.

use leptos::prelude::*;
use nido_shared::MutedMember;

use super::chat_panel::clock_time;
use crate::i18n::{Text, use_i18n};
use crate::room::ChatRequest;

#[component]
pub fn MutedList(
    mutes: RwSignal<Vec<MutedMember>>,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let row = move |member: MutedMember| {
        let user_id = member.user_id;
        view! {
            <li class="muted-member">
                <span>
                    <strong>{member.name.to_string()}</strong>
                    " "
                    <span class="muted">{move || format!("{} {}", i18n.t(Text::Until), clock_time(member.until_us))}</span>
                </span>
                <button type="button" data-testid=format!("unmute-{user_id}")
                    on:click=move |_| on_chat.run(ChatRequest::Unmute(user_id))>
                    {move || i18n.t(Text::Unmute)}
                </button>
            </li>
        }
    };
    view! {
        <Show when=move || mutes.with(|m| !m.is_empty())>
            <section class="card muted-list" data-testid="muted-list">
                <h2>{move || i18n.t(Text::MutedInChat)}</h2>
                <ul>
                    <For each=move || mutes.get() key=|m| (m.user_id, m.until_us) let(member)>
                        {row(member)}
                    </For>
                </ul>
            </section>
        </Show>
    }
}
