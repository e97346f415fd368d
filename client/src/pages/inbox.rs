//! The staff's inbox of a room: the families' private threads, newest first with what the
//! staff have not read, to answer from a laptop or a phone without the camera or the picture.

use leptos::prelude::*;
use nido_shared::Role;
use nido_shared::api::Me;

use super::{log_in_again_when_session_ends, route_room};
use crate::components::{RoomSidebar, TopBar, signed_in};
use crate::room::{ChatRequest, JoinAs, RoomLink, RoomSignals};
use crate::socket::LinkStatus;

#[component]
pub fn InboxPage() -> impl IntoView {
    signed_in(inbox_page)
}

fn inbox_page(me: Me) -> AnyView {
    let signals = RoomSignals::new();
    log_in_again_when_session_ends(signals);
    let room = route_room();
    let join = JoinAs {
        room: room.clone(),
        role: Role::Viewer,
        camera_key: None,
        chat_only: true,
        decodes: Vec::new(),
        encodes: None,
    };
    // Owned by the page: the link closes when it unmounts.
    let link = StoredValue::new_local(RoomLink::open(join, signals, Box::new(|_| {})));
    let chat = move |request: ChatRequest| link.with_value(|link| link.chat(request));
    view! {
        <TopBar room=room.clone()/>
        <main class="page inbox">
            <RoomSidebar
                room=room.clone()
                signals=signals
                me=me
                threads_first=true
                can_chat=Signal::derive(move || !matches!(signals.status.get(), LinkStatus::Refused(_)))
                on_chat=Callback::new(chat)
            />
        </main>
    }
    .into_any()
}
