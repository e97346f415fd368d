//! Home: the rooms this person may enter, each opening its viewer (and, for staff, its
//! camera and attendance pages), a family's children and their day, and the way to invites
//! and administration.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{ApiErrorCode, Me, PasswordChange, RoomSummary};
use nido_shared::attendance::ChildToday;
use nido_shared::{UserRole, check_new_password};

use crate::api;
use crate::components::{SecondFactorCard, TopBar, day_line, signed_in};
use crate::i18n::{I18n, Text, use_i18n};

#[component]
pub fn HomePage() -> impl IntoView {
    signed_in(home)
}

fn home(me: Me) -> AnyView {
    let i18n = use_i18n();
    if me.second_factor.required && !me.second_factor.enabled {
        // Nothing else opens until two-step sign-in is set up.
        return view! {
            <TopBar/>
            <main class="home">
                <SecondFactorCard state=me.second_factor/>
                {password_card(i18n)}
            </main>
        }
        .into_any();
    }
    let second_factor = me.second_factor;
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
            {(!me.children.is_empty()).then(|| children_card(i18n, me.children))}
            {(me.role == UserRole::Admin).then(|| view! {
                <section class="card">
                    <h2>{move || i18n.t(Text::Administration)}</h2>
                    <nav class="admin-links">
                        <a class="button" href="/admin/rooms" data-testid="admin-rooms">{move || i18n.t(Text::Rooms)}</a>
                        <a class="button" href="/admin/people" data-testid="admin-people">{move || i18n.t(Text::People)}</a>
                        <a class="button" href="/admin/children" data-testid="admin-children">{move || i18n.pick("Niños y niñas", "Children")}</a>
                        <a class="button" href="/admin/audit" data-testid="admin-audit">{move || i18n.t(Text::AuditLog)}</a>
                    </nav>
                </section>
            })}
            {password_card(i18n)}
            <SecondFactorCard state=second_factor/>
            <p class="privacy-note">{move || i18n.t(Text::Privacy)}</p>
        </main>
    }
    .into_any()
}

/// A family's children and their day so far: whether each is in, and since when.
fn children_card(i18n: I18n, children: Vec<ChildToday>) -> impl IntoView {
    let lines = move || {
        let lines: Vec<String> = children
            .iter()
            .map(|child| day_line(i18n, child.name.as_str(), child.today()))
            .collect();
        lines.join("\n")
    };
    view! {
        <section class="card">
            <h2>{move || i18n.t(Text::MyChildren)}</h2>
            <p class="child-days" data-testid="my-children">{lines}</p>
        </section>
    }
}

/// Changing one's password; every other session of the account ends.
fn password_card(i18n: I18n) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Text>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        if check_new_password(&change.new_password).is_err() {
            status.set(Some(Text::PasswordHint));
            return;
        }
        spawn_local(async move {
            let done = api::act(api::post("/api/me/password"), Some(&change)).await;
            status.set(Some(match done {
                Ok(()) => Text::PasswordChanged,
                Err(failure) => match failure.code() {
                    Some(ApiErrorCode::InvalidInput) => Text::WrongCurrentPassword,
                    Some(ApiErrorCode::TooManyAttempts) => Text::TooManyAttempts,
                    _ => Text::NetworkError,
                },
            }));
        });
    };
    view! {
        <details class="card password">
            <summary>{move || i18n.t(Text::ChangePassword)}</summary>
            <form class="stack" on:submit=submit>
                <label>
                    <span>{move || i18n.t(Text::CurrentPassword)}</span>
                    <input type="password" autocomplete="current-password" required
                        on:input=move |ev| current.set(event_target_value(&ev))/>
                </label>
                <label>
                    <span>{move || i18n.t(Text::NewPassword)}</span>
                    <input type="password" autocomplete="new-password" required minlength="8"
                        prop:placeholder=move || i18n.t(Text::PasswordHint)
                        on:input=move |ev| new.set(event_target_value(&ev))/>
                </label>
                <p class="muted" role="status">{move || status.get().map(|t| i18n.t(t))}</p>
                <button type="submit" class="primary">{move || i18n.t(Text::Save)}</button>
            </form>
        </details>
    }
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
                    <a class="button" href=format!("/attendance/{id}") data-testid=format!("attendance-{id}")>
                        {move || i18n.t(Text::Attendance)}
                    </a>
                    <a class="button" href=format!("/inbox/{id}") data-testid=format!("inbox-{id}")>
                        {move || i18n.t(Text::Inbox)}
                    </a>
                })}
            </div>
        </li>
    }
}
