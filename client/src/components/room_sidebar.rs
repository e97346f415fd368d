//! The column beside the picture: the room's chat and who is watching.

use leptos::prelude::*;

use super::{ChatPanel, ViewerList};
use crate::room::RoomSignals;

#[component]
pub fn RoomSidebar(
    signals: RoomSignals,
    my_name: String,
    /// Whether chat can be sent now.
    #[prop(into)]
    can_chat: Signal<bool>,
    on_send: Callback<String>,
) -> impl IntoView {
    view! {
        <aside class="side-column">
            <ChatPanel lines=signals.chat my_name=my_name enabled=can_chat on_send=on_send/>
            <ViewerList presence=signals.presence/>
        </aside>
    }
}
