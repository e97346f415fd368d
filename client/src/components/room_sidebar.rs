//! The column beside the picture: the conversations (the room's chat and the private
//! threads with its staff), who is muted in the room's chat (for staff) and who is watching.

use leptos::prelude::*;

use nido_shared::api::Me;

use super::conversations::{ConversationTabs, Showing};
use super::{ChatPanel, MutedList, ViewerList, ticking_clock};
use crate::room::{ChatRequest, RoomSignals};

#[component]
pub fn RoomSidebar(
    /// The room's id.
    room: String,
    signals: RoomSignals,
    me: Me,
    /// Whether chat can be written now (while reconnecting too: it is sent once back).
    #[prop(into)]
    can_chat: Signal<bool>,
    on_chat: Callback<ChatRequest>,
    /// Staff: open on the list of the families' threads (the inbox).
    #[prop(optional)]
    threads_first: bool,
) -> impl IntoView {
    let now = ticking_clock();
    let staff = me.role.is_staff();
    let me = me.id;
    let showing = RwSignal::new(Showing::first(threads_first && staff));
    // A mute ends on its own when its time is up (on the server's clock); it is for the
    // room's chat only.
    let muted_until = Signal::derive(move || {
        now.track();
        let server_now = signals.clock.get_untracked().server_now();
        signals
            .muted_until
            .get()
            .filter(|until| *until > server_now && signals.thread.get().is_none())
    });
    let enabled = Signal::derive(move || can_chat.get() && muted_until.get().is_none());
    let chat = view! {
        <ChatPanel signals=signals me=me staff=staff enabled=enabled muted_until=muted_until
            on_chat=on_chat/>
    };
    // Only the staff's lists of the room's families need it.
    #[cfg(not(feature = "staff-pages"))]
    let _ = room;
    // The staff's list of the families' threads takes the chat's place while it is shown
    // (the chat stays, with what was being written).
    #[cfg(feature = "staff-pages")]
    let chat = {
        let listing =
            move || showing.get() == Showing::ThreadList && signals.thread.get().is_none();
        let thread_open = move || staff && signals.thread.get().is_some();
        view! {
            <div hidden=listing>{chat}</div>
            <div hidden=move || !listing()>
                <super::conversations::ThreadList room=room.clone() signals=signals on_chat=on_chat/>
            </div>
            <Show when=thread_open>
                <super::conversations::ThreadReaders room=room.clone() signals=signals/>
            </Show>
        }
    };
    view! {
        <aside class="side-column">
            <ConversationTabs signals=signals me=me staff=staff showing=showing on_chat=on_chat/>
            {chat}
            <MutedList mutes=signals.mutes on_chat=on_chat/>
            <ViewerList presence=signals.presence/>
        </aside>
    }
}
