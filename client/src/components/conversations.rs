//! Which conversation the chat column shows: the room's chat or a private thread with the
//! room's staff. A family switches between the room's chat and its own thread (and any the
//! staff added it to); the staff between the room's chat and the families' threads, listed
//! newest first with what they have not read, where they also write to a family first and
//! choose who else reads a thread (a relative, the other parent).

use leptos::prelude::*;
#[cfg(feature = "staff-pages")]
use leptos::task::spawn_local;
#[cfg(feature = "staff-pages")]
use nido_shared::api::RoomFamily;
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

/// The room's family accounts, as its staff see them.
#[cfg(feature = "staff-pages")]
fn room_families(room: String) -> LocalResource<Result<Vec<RoomFamily>, crate::api::ApiFailure>> {
    LocalResource::new(move || {
        let path = format!("/api/rooms/{room}/families");
        async move { crate::api::get::<Vec<RoomFamily>>(&path).await }
    })
}

/// The staff's list of the room's threads, newest message first, with their unread counts,
/// and a family to write to first.
#[cfg(feature = "staff-pages")]
#[component]
pub fn ThreadList(
    room: String,
    signals: RoomSignals,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let families = room_families(room);
    let everyone = Signal::derive(move || families.get().and_then(Result::ok).unwrap_or_default());
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
            <FamilyChoice
                families=everyone
                label=("Escribir a una familia", "Write to a family")
                action=("Abrir", "Open")
                test_id="write-to"
                on_choose=Callback::new(move |id| on_chat.run(ChatRequest::Open(Some(id))))
            />
        </section>
    }
}

/// For the staff, who reads the open thread besides its family account: those they added
/// (each can be taken off) and the room's other family accounts (to add one).
#[cfg(feature = "staff-pages")]
#[component]
pub fn ThreadReaders(room: String, signals: RoomSignals) -> impl IntoView {
    let i18n = use_i18n();
    let families = room_families(room.clone());
    let room = StoredValue::new(room);
    let status = RwSignal::new(None::<String>);
    let change = move |guest: UserId, add: bool| {
        let Some(thread) = signals.thread.get_untracked() else {
            return;
        };
        let path =
            room.with_value(|room| format!("/api/rooms/{room}/threads/{thread}/guests/{guest}"));
        spawn_local(async move {
            let builder = if add {
                crate::api::put(&path)
            } else {
                crate::api::delete(&path)
            };
            let done = crate::api::act::<()>(builder, None).await;
            status.set(
                done.err()
                    .map(|failure| crate::problem::failure_text(i18n, &failure)),
            );
            families.refetch();
        });
    };
    move || {
        let thread = signals.thread.get()?;
        let all = families.get().and_then(Result::ok).unwrap_or_default();
        let (guests, others): (Vec<_>, Vec<_>) = all
            .into_iter()
            .filter(|family| family.id != thread)
            .partition(|family| family.guest_of.contains(&thread));
        let guests = guests
            .into_iter()
            .map(|family| {
                let id = family.id;
                view! {
                    <li>
                        {family.name.to_string()}
                        <button type="button" class="link" data-testid=format!("take-off-{id}")
                            on:click=move |_| change(id, false)>
                            {move || i18n.pick("Quitar", "Take off")}
                        </button>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <section class="card thread-readers" data-testid="thread-readers">
                <h3>{move || i18n.pick("También la leen", "Also read by")}</h3>
                <ul class="guest-list">{guests}</ul>
                <FamilyChoice
                    families=Signal::stored(others)
                    label=("Añadir a otra cuenta de la familia", "Add another family account")
                    action=("Añadir", "Add")
                    test_id="add-reader"
                    on_choose=Callback::new(move |id| change(id, true))
                />
                <p class="muted" role="status">{move || status.get()}</p>
            </section>
        })
    }
}

/// One of the room's family accounts to pick, and the button that acts on it.
#[cfg(feature = "staff-pages")]
#[component]
fn FamilyChoice(
    families: Signal<Vec<RoomFamily>>,
    /// The choice's and the button's words, Spanish and English.
    label: (&'static str, &'static str),
    action: (&'static str, &'static str),
    test_id: &'static str,
    on_choose: Callback<UserId>,
) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = RwSignal::new(String::new());
    let options = move || {
        families
            .get()
            .into_iter()
            .map(|family| view! { <option value=family.id.get().to_string()>{family.name.to_string()}</option> })
            .collect_view()
    };
    let choose = move |_| {
        if let Ok(id) = chosen.get_untracked().parse::<i64>() {
            on_choose.run(UserId::new(id));
        }
    };
    view! {
        <div class="row family-choice">
            <label>
                <span>{move || i18n.pick(label.0, label.1)}</span>
                <select data-testid=test_id on:change=move |ev| chosen.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {options}
                </select>
            </label>
            <button type="button" class="primary" data-testid=format!("{test_id}-button") on:click=choose>
                {move || i18n.pick(action.0, action.1)}
            </button>
        </div>
    }
}
