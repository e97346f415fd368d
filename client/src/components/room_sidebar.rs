//! The column beside the picture: the room's chat and who is watching.

use leptos::prelude::*;

use nido_shared::api::Me;

use super::{ChatPanel, ViewerList};
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
    view! {
        <aside class="side-column">
            <ChatPanel log=signals.chat me=me.id staff=me.role.is_staff() enabled=can_chat on_chat=on_chat/>
            <ViewerList presence=signals.presence/>
        </aside>
    }
}
