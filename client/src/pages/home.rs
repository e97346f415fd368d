//! Home: the rooms this person may enter, each opening its viewer (and, for staff, its
//! camera page), and the way to invites and administration.

use leptos::prelude::*;
use nido_shared::UserRole;
use nido_shared::api::{Me, RoomSummary};

use crate::components::{TopBar, signed_in};
use crate::i18n::{I18n, Text, use_i18n};

#[component]
pub fn HomePage() -> impl IntoView {
    signed_in(home)
}

fn home(me: Me) -> AnyView {
    let i18n = use_i18n();
    let staff = me.role.is_staff();
    let may_invite = me.invites_left != Some(0);
    let empty = me.rooms.is_empty();
    let rooms = me
        .rooms
        .into_iter()
        .map(|room| room_row(i18n, room, staff))
        .collect_view();
    view! {
        <TopBar/>
        <main class="home">
            <section class="card">
                <h1>{move || i18n.t(Text::MyRooms)}</h1>
                {empty.then(|| view! { <p class="muted">{move || i18n.t(Text::NoRooms)}</p> })}
                <ul class="room-list" data-testid="my-rooms">{rooms}</ul>
                {may_invite.then(|| view! {
                    <a class="button" href="/invites" data-testid="invites-link">
                        {move || i18n.t(Text::Invites)}
                    </a>
                })}
            </section>
            {(me.role == UserRole::Admin).then(|| view! {
                <section class="card">
                    <h2>{move || i18n.t(Text::Administration)}</h2>
                    <nav class="admin-links">
                        <a class="button" href="/admin/rooms" data-testid="admin-rooms">{move || i18n.t(Text::Rooms)}</a>
                        <a class="button" href="/admin/people" data-testid="admin-people">{move || i18n.t(Text::People)}</a>
                        <a class="button" href="/admin/audit" data-testid="admin-audit">{move || i18n.t(Text::AuditLog)}</a>
                    </nav>
                </section>
            })}
            <p class="privacy-note">{move || i18n.t(Text::Privacy)}</p>
        </main>
    }
    .into_any()
}

fn room_row(i18n: I18n, room: RoomSummary, staff: bool) -> impl IntoView {
    let hours = move || {
        if room.open_now {
            i18n.t(Text::OpenNow).to_owned()
        } else {
            format!(
                "{} · {}",
                i18n.t(Text::ClosedNow),
                i18n.opening(room.opens_at)
            )
        }
    };
    let id = room.id.to_string();
    view! {
        <li class="room-row">
            <div>
                <strong>{room.name}</strong>
                <span class="muted hours" class:open=room.open_now>{hours}</span>
            </div>
            <div class="room-actions">
                <a class="button primary" href=format!("/watch/{id}") data-testid=format!("watch-{id}")>
                    {move || i18n.t(Text::Watch)}
                </a>
                {staff.then(|| view! {
                    <a class="button" href=format!("/camera/{id}") data-testid=format!("stream-{id}")>
                        {move || i18n.t(Text::Stream)}
                    </a>
                })}
            </div>
        </li>
    }
}
