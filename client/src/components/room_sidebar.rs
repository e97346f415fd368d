//! The column beside the picture: the room's chat, who is muted in it (for staff) and who
//! is watching.

use leptos::prelude::*;

use nido_shared::api::Me;

use super::{ChatPanel, MutedList, ViewerList, ticking_clock};
use crate::room::{ChatRequest, RoomSignals};

#[component]
pub fn RoomSidebar(
    signals: RoomSignals,
    me: Me,
    /// Whether chat can be written now (while reconnecting too: it is sent once back).
    #[prop(into)]
    can_chat: Signal<bool>,
    on_chat: Callback<ChatRequest>,
) -> impl IntoView {
    let now = ticking_clock();
    // A mute ends on its own when its time is up (on the server's clock).
    let muted_until = Signal::derive(move || {
        now.track();
        let server_now = signals.clock.get_untracked().server_now();
        signals
            .muted_until
            .get()
            .filter(|until| *until > server_now)
    });
    let enabled = Signal::derive(move || can_chat.get() && muted_until.get().is_none());
    view! {
        <aside class="side-column">
            <ChatPanel log=signals.chat me=me.id staff=me.role.is_staff() enabled=enabled
                muted_until=muted_until on_chat=on_chat/>
            <MutedList mutes=signals.mutes on_chat=on_chat/>
            <ViewerList presence=signals.presence/>
        </aside>
    }
}
