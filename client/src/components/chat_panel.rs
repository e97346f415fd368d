//! A conversation, the room's chat or a private thread: stored lines with names and times,
//! always shown as plain text; this page's own messages as pending until the server stores
//! them, or failed with a retry, and in a family's thread, which the staff have seen; older
//! pages on scrolling up; and, for staff, deleting a message and (in the room's chat) muting
//! its sender.

use leptos::prelude::*;
use nido_shared::limits::MAX_CHAT_CHARS;
use nido_shared::{ChatLine, Role, Timestamp, UserId};

use super::conversations::{private_note, thread_title};
use crate::chat_log::{ChatEntry, ChatLog, PendingChat};
use crate::clock::js_date;
use crate::i18n::{Text, use_i18n};
use crate::room::{ChatRequest, RoomSignals};

/// The mute lengths staff can choose, in minutes.
const MUTE_CHOICES: [(u32, Text); 3] =
    [(15, Text::Minutes15), (60, Text::Hour1), (1440, Text::Day1)];

#[component]
pub fn ChatPanel(
    /// The room: its chat, or the private thread open beside it, is what the panel shows.
    signals: RoomSignals,
    /// The logged-in person's account id: their own lines are marked.
    me: UserId,
    /// Whether this person moderates the room.
    staff: bool,
    #[prop(into)] enabled: Signal<bool>,
    /// Until when staff muted this person here (server time), while they are.
    #[prop(into)]
    muted_until: Signal<Option<Timestamp>>,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(String::new());
    let list = NodeRef::<leptos::html::Ol>::new();
    let log = move || {
        if signals.thread.get().is_some() {
            signals.thread_chat
        } else {
            signals.chat
        }
    };
    // In a family's thread, how far the room's staff have read it (shown on one's own
    // lines); the thread's name, and who reads it.
    let seen_up_to = move || {
        signals
            .open_thread_state()
            .filter(|_| !staff)
            .map(|state| state.seen_seq)
    };
    let title = move || match signals.open_thread_state() {
        Some(state) if staff => state.family.to_string(),
        Some(state) => thread_title(i18n, &state, me),
        None => i18n.t(Text::Chat).to_owned(),
    };
    let private = move || signals.thread.get().is_some();

    // Keep the newest line in view when one arrives (not when older ones are loaded).
    let newest = Memo::new(move |_| log().with(|log| (log.last_seq(), log.unacknowledged().len())));
    Effect::new(move |_| {
        // Read, not only tracked: a memo recomputes (and notifies) only when read.
        let _ = newest.get();
        // After the browser has laid the new lines out.
        request_animation_frame(move || {
            if let Some(list) = list.get_untracked() {
                list.set_scroll_top(f64::from(list.scroll_height()));
            }
        });
    });
    let on_scroll = move |_| {
        if list.get().is_some_and(|list| list.scroll_top() <= 0.0) {
            on_chat.run(ChatRequest::Older);
        }
    };

    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() && enabled.get_untracked() {
            on_chat.run(ChatRequest::Send(text));
            draft.set(String::new());
        }
    };

    view! {
        <section class="chat card">
            <header class="chat-head">
                <h2 data-testid="chat-title">{title}</h2>
                <p class="muted private-note" data-testid="private-note" hidden=move || !private()>
                    {move || private_note(i18n, staff)}
                </p>
            </header>
            <ol class="chat-lines" node_ref=list aria-live="polite" data-testid="chat-lines" on:scroll=on_scroll>
                <Show when=move || log().with(ChatLog::is_empty)>
                    <li class="muted empty">{move || i18n.t(Text::ChatEmpty)}</li>
                </Show>
                <For each=move || log().with(ChatLog::entries) key=entry_key let(entry)>
                    {match entry {
                        ChatEntry::Stored(line) => {
                            stored_line(line, me, staff, seen_up_to, on_chat).into_any()
                        }
                        ChatEntry::Pending(pending) => pending_line(pending, on_chat).into_any(),
                    }}
                </For>
            </ol>
            {move || muted_until.get().map(|until| view! {
                <p class="notice muted-notice" role="status" data-testid="muted-notice">
                    {move || format!("{} {}.", i18n.t(Text::MutedUntil), clock_time(until))}
                </p>
            })}
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
                        // Muted, the notice above says why; otherwise closed means not connected.
                        let open = enabled.get() || muted_until.get().is_some();
                        i18n.t(if open { Text::ChatPlaceholder } else { Text::ChatClosed })
                    }
                    aria-label=move || i18n.t(Text::ChatPlaceholder)
                    prop:disabled=move || !enabled.get()
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" data-testid="chat-send" prop:disabled=move || !enabled.get()>
                    {move || i18n.t(Text::Send)}
                </button>
            </form>
        </section>
    }
}

fn entry_key(entry: &ChatEntry) -> String {
    match entry {
        // Numbers start again in each conversation.
        ChatEntry::Stored(line) => format!("s{}-{}", line.thread.map_or(0, UserId::get), line.seq),
        ChatEntry::Pending(pending) => format!("p{}{}", pending.id, pending.failed),
    }
}

fn stored_line(
    line: ChatLine,
    me: UserId,
    staff: bool,
    seen_up_to: impl Fn() -> Option<u64> + Send + Sync + 'static,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let mine = line.user_id == me;
    let from_classroom = line.role == Role::Camera;
    let from_staff = line.staff || from_classroom;
    let seq = line.seq;
    let sender = line.user_id;
    let moderation = (staff && !mine).then(|| {
        let mute_options = MUTE_CHOICES
            .iter()
            .map(|(minutes, label)| view! { <option value=minutes.to_string()>{move || i18n.t(*label)}</option> })
            .collect_view();
        view! {
            <span class="moderation">
                <button type="button" class="link" data-testid="delete-message"
                    on:click=move |_| on_chat.run(ChatRequest::Delete(seq))>
                    {move || i18n.t(Text::DeleteMessage)}
                </button>
                // A mute is for the room's chat; a thread is the family's own line to the staff.
                {(!from_staff && line.thread.is_none()).then(|| view! {
                    <select class="mute" aria-label=move || i18n.t(Text::MuteFor) on:change=move |ev| {
                        if let Ok(minutes) = event_target_value(&ev).parse() {
                            on_chat.run(ChatRequest::Mute { user_id: sender, minutes });
                        }
                    }>
                        <option value="" selected>{move || i18n.t(Text::MuteFor)}</option>
                        {mute_options}
                    </select>
                })}
            </span>
        }
    });
    view! {
        <li class="chat-line" class:mine=mine class:classroom=from_classroom>
            <div class="chat-meta">
                <strong>{line.from.to_string()}</strong>
                {from_staff.then(|| view! { <span class="tag" data-testid="staff-badge">{move || i18n.t(Text::Caregiver)}</span> })}
                {mine.then(|| view! { <span class="muted">" ("{move || i18n.t(Text::You)}")"</span> })}
                <time>{clock_time(line.sent_at_us)}</time>
                <span class="seen" data-testid="seen"
                    hidden=move || !(mine && seen_up_to().is_some_and(|seen| seen >= seq))>
                    {move || i18n.t(Text::SeenByRoom)}
                </span>
            </div>
            // Text, never markup: Leptos sets it as a text node.
            <p class="chat-text">{line.text}</p>
            {moderation}
        </li>
    }
}

fn pending_line(pending: PendingChat, on_chat: Callback<ChatRequest>) -> impl IntoView {
    let i18n = use_i18n();
    let id = pending.id.clone();
    view! {
        <li class="chat-line mine pending" class:failed=pending.failed data-testid="pending-message">
            <p class="chat-text">{pending.text}</p>
            <div class="chat-meta">
                {if pending.failed {
                    view! {
                        <span class="problem">{move || i18n.t(Text::NotSent)}</span>
                        <button type="button" class="link" on:click=move |_| on_chat.run(ChatRequest::Retry(id.clone()))>
                            {move || i18n.t(Text::Retry)}
                        </button>
                    }
                    .into_any()
                } else {
                    view! { <span class="muted">{move || i18n.t(Text::Sending)}</span> }.into_any()
                }}
            </div>
        </li>
    }
}

/// "14:05" in the browser's time zone, after the date ("28/11 14:05") when not today.
pub fn clock_time(at: Timestamp) -> String {
    let date = js_date(at);
    let time = format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
    let today = js_sys::Date::new_0();
    let same_day = date.get_date() == today.get_date()
        && date.get_month() == today.get_month()
        && date.get_full_year() == today.get_full_year();
    if same_day {
        time
    } else {
        format!("{}/{} {time}", date.get_date(), date.get_month() + 1)
    }
}
