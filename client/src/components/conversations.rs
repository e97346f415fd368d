//! Which conversation the chat column shows: the room's chat or a private thread with the
//! room's staff. A family switches between the room's chat and its own thread (and any the
//! staff added it to); the staff between the room's chat and the families' threads, listed
//! newest first with what they have not read.

use leptos::prelude::*;
use nido_shared::{ThreadState, UserId};

use crate::i18n::{I18n, Text, use_i18n};
use crate::room::{ChatRequest, RoomSignals};

/// What the chat column shows besides a conversation: the staff's list of the threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showing {
    Conversation,
    #[cfg(feature = "staff-pages")]
    ThreadList,
}

impl Showing {
    /// What the column shows first: the staff's list where asked for (the inbox).
    pub fn first(thread_list: bool) -> Self {
        #[cfg(feature = "staff-pages")]
        if thread_list {
            return Self::ThreadList;
        }
        let _ = thread_list;
        Self::Conversation
    }
}

/// The tabs above the chat: the room's chat, then the family's threads or the staff's list.
#[component]
pub fn ConversationTabs(
    signals: RoomSignals,
    me: UserId,
    staff: bool,
    showing: RwSignal<Showing>,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let room_chat =
        move || signals.thread.get().is_none() && showing.get() == Showing::Conversation;
    let open = move |thread: Option<UserId>| {
        showing.set(Showing::Conversation);
        on_chat.run(ChatRequest::Open(thread));
    };
    let others = if staff {
        staff_tab(i18n, signals, showing, on_chat).into_any()
    } else {
        let tabs = move || {
            signals
                .threads
                .get()
                .into_iter()
                .map(|state| {
                    let thread = state.thread;
                    let label = thread_title(i18n, &state, me);
                    view! {
                        <button type="button" class="tab" role="tab" data-testid="thread-tab"
                            aria-selected=move || (signals.thread.get() == Some(thread)).to_string()
                            on:click=move |_| open(Some(thread))>
                            {label}
                            {unread_badge(move || state.unread)}
                        </button>
                    }
                })
                .collect_view()
        };
        tabs.into_any()
    };
    view! {
        <nav class="tabs" role="tablist" data-testid="conversations">
            <button type="button" class="tab" role="tab" data-testid="room-chat-tab"
                aria-selected=move || room_chat().to_string()
                on:click=move |_| open(None)>
                {move || i18n.t(Text::Chat)}
            </button>
            {others}
        </nav>
    }
}

/// A thread's name for this reader: to a family, its own is "Message the staff", one it was
/// added to also names that family; to the staff, the family's name.
pub fn thread_title(i18n: I18n, state: &ThreadState, me: UserId) -> String {
    if state.thread == me {
        i18n.t(Text::MessageTheStaff).to_owned()
    } else {
        format!("{} · {}", i18n.t(Text::MessageTheStaff), state.family)
    }
}

/// Who reads a private thread, said to the reader.
pub fn private_note(i18n: I18n, staff: bool) -> String {
    #[cfg(feature = "staff-pages")]
    if staff {
        return i18n
            .pick(
                "Privado: solo esta familia y el equipo de la sala leen estos mensajes.",
                "Private: only this family and the room's staff read these messages.",
            )
            .to_owned();
    }
    let _ = staff;
    i18n.t(Text::PrivateNote).to_owned()
}

/// A count of unread messages, hidden while there are none.
pub fn unread_badge(unread: impl Fn() -> u64 + Send + Sync + Copy + 'static) -> impl IntoView {
    view! { <span class="count" data-testid="unread" hidden=move || unread() == 0>{unread}</span> }
}

#[cfg(feature = "staff-pages")]
fn staff_tab(
    i18n: I18n,
    signals: RoomSignals,
    showing: RwSignal<Showing>,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let unread = move || {
        signals
            .threads
            .with(|all| all.iter().map(|s| s.unread).sum::<u64>())
    };
    let selected = move || signals.thread.get().is_some() || showing.get() == Showing::ThreadList;
    view! {
        <button type="button" class="tab" role="tab" data-testid="families-tab"
            aria-selected=move || selected().to_string()
            on:click=move |_| {
                showing.set(Showing::ThreadList);
                on_chat.run(ChatRequest::Open(None));
            }>
            {move || i18n.pick("Familias", "Families")}
            {unread_badge(unread)}
        </button>
    }
}

/// The families' build has no staff.
#[cfg(not(feature = "staff-pages"))]
fn staff_tab(
    _: I18n,
    _: RoomSignals,
    _: RwSignal<Showing>,
    _: Callback<ChatRequest>,
) -> impl IntoView {
}

/// The staff's list of the room's threads, newest message first, with their unread counts.
#[cfg(feature = "staff-pages")]
#[component]
pub fn ThreadList(signals: RoomSignals, on_chat: Callback<ChatRequest>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = move || {
        signals
            .threads
            .get()
            .into_iter()
            .map(|state| {
                let thread = state.thread;
                let unread = state.unread > 0;
                let when = state.last_at_us.map(super::clock_time);
                view! {
                    <li>
                        <button type="button" class="thread-row" class:unread=unread
                            data-testid=format!("thread-{thread}")
                            on:click=move |_| on_chat.run(ChatRequest::Open(Some(thread)))>
                            <strong>{state.family.to_string()}</strong>
                            <time class="muted">{when}</time>
                            {unread_badge(move || state.unread)}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="thread-panel card" data-testid="thread-list">
            <h2>{move || i18n.pick("Mensajes privados de las familias", "Families' private messages")}</h2>
            <div class="thread-scroll">
                <Show when=move || signals.threads.with(Vec::is_empty)>
                    <p class="muted empty">
                        {move || i18n.pick(
                            "Ninguna familia ha escrito todavía. Lo que escriban aquí solo lo lee el equipo de la sala.",
                            "No family has written yet. What they write here only the room's staff read.",
                        )}
                    </p>
                </Show>
                <ul class="thread-list">{rows}</ul>
            </div>
        </section>
    }
}
