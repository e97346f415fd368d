//! Invites: create a link for a role and rooms (admins any; caregivers and families only
//! families, to their own rooms), copy it, and revoke the ones not used yet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{CreatedInvite, Invite, Me, NewInvite};
use nido_shared::{RoomId, UserRole};

use crate::api;
use crate::browser::{copy_to_clipboard, window};
use crate::clock::from_js_millis;
use crate::components::{TopBar, signed_in};
use crate::i18n::{I18n, Text, use_i18n};
use crate::pages::format_time;
use crate::problem::failure_text;

#[component]
pub fn InvitesPage() -> impl IntoView {
    signed_in(invites_page)
}

fn invites_page(me: Me) -> AnyView {
    let i18n = use_i18n();
    let roles: Vec<UserRole> = match me.role {
        UserRole::Admin => vec![UserRole::Family, UserRole::Caregiver, UserRole::Admin],
        _ => vec![UserRole::Family],
    };
    let role = RwSignal::new(UserRole::Family);
    let chosen_rooms = RwSignal::new(Vec::<RoomId>::new());
    let hours = RwSignal::new(72u32);
    let uses = RwSignal::new(1u32);
    let created = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(|| api::get::<Vec<Invite>>("/api/invites"));

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let invite = NewInvite {
            role: role.get_untracked(),
            rooms: chosen_rooms.get_untracked(),
            expires_in_hours: hours.get_untracked(),
            max_uses: uses.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, CreatedInvite>(api::post("/api/invites"), &invite).await {
                Ok(done) => {
                    let origin = window().location().origin().unwrap_or_default();
                    created.set(Some(done.url.unwrap_or(format!("{origin}{}", done.path))));
                    copied.set(false);
                    problem.set(None);
                    list.refetch();
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    let room_boxes = me
        .rooms
        .iter()
        .map(|room| {
            let id = room.id.clone();
            let toggle_id = id.clone();
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("invite-room-{id}")
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen_rooms.update(|rooms| {
                                rooms.retain(|r| *r != toggle_id);
                                if on { rooms.push(toggle_id.clone()); }
                            });
                        }/>
                    {room.name.clone()}
                </label>
            }
        })
        .collect_view();
    let role_options = roles
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == UserRole::Family>{move || i18n.t(Text::role(r))}</option> })
        .collect_view();
    let invites_left = me.invites_left;

    view! {
        <TopBar/>
        <main class="page">
            <section class="card">
                <h1>{move || i18n.t(Text::NewInvite)}</h1>
                {invites_left.map(|left| view! {
                    <p class="muted">{move || format!("{}: {left}", i18n.t(Text::InvitesLeft))}</p>
                })}
                <form class="stack" on:submit=create>
                    <label>
                        <span>{move || i18n.t(Text::Role)}</span>
                        <select data-testid="invite-role" on:change=move |ev| {
                            if let Ok(r) = event_target_value(&ev).parse() { role.set(r); }
                        }>{role_options}</select>
                    </label>
                    <fieldset class="checks">
                        <legend>{move || i18n.t(Text::Rooms)}</legend>
                        {room_boxes}
                    </fieldset>
                    <div class="row">
                        <label>
                            <span>{move || i18n.t(Text::ExpiresInHours)}</span>
                            <input type="number" min="1" max="720" prop:value=move || hours.get().to_string()
                                on:input=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(72))/>
                        </label>
                        <label>
                            <span>{move || i18n.t(Text::Uses)}</span>
                            <input type="number" min="1" max="100" prop:value=move || uses.get().to_string()
                                on:input=move |ev| uses.set(event_target_value(&ev).parse().unwrap_or(1))/>
                        </label>
                    </div>
                    <p class="problem" role="alert">{move || problem.get()}</p>
                    <button type="submit" class="primary" data-testid="create-invite">{move || i18n.t(Text::Create)}</button>
                </form>
                {move || created.get().map(|link| {
                    let copy_link = link.clone();
                    view! {
                        <div class="invite-link">
                            <p class="muted">{move || i18n.t(Text::InviteLinkHint)}</p>
                            {points_at_this_machine(&link).then(|| view! {
                                <p class="problem" data-testid="loopback-link">{move || i18n.t(Text::LoopbackInviteLink)}</p>
                            })}
                            <input type="text" readonly data-testid="invite-link" prop:value=link/>
                            <button type="button" on:click=move |_| { copy_to_clipboard(&copy_link); copied.set(true); }>
                                {move || i18n.t(if copied.get() { Text::Copied } else { Text::Copy })}
                            </button>
                        </div>
                    }
                })}
            </section>
            <section class="card">
                <h2>{move || i18n.t(Text::Invites)}</h2>
                {move || list.get().map(|result| match result {
                    Ok(invites) => invite_table(i18n, invites, move || list.refetch()).into_any(),
                    Err(failure) => view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any(),
                })}
            </section>
        </main>
    }
    .into_any()
}

fn invite_table(
    i18n: I18n,
    invites: Vec<Invite>,
    reload: impl Fn() + Copy + 'static,
) -> impl IntoView {
    if invites.is_empty() {
        return view! { <p class="muted">{move || i18n.t(Text::NoEntries)}</p> }.into_any();
    }
    let now = from_js_millis(js_sys::Date::now());
    let rows = invites
        .into_iter()
        .map(|invite| {
            let state = if invite.revoked {
                Some(Text::Revoked)
            } else if invite.uses >= invite.max_uses {
                Some(Text::UsedUp)
            } else if invite.expires_at_us <= now {
                Some(Text::Expired)
            } else {
                None
            };
            let id = invite.id;
            let revoke = move |_| {
                spawn_local(async move {
                    if api::act::<()>(api::delete(&format!("/api/invites/{id}")), None).await.is_ok() {
                        reload();
                    }
                });
            };
            view! {
                <tr data-testid=format!("invite-{id}") class:closed=state.is_some()>
                    <td>{move || i18n.t(Text::role(invite.role))}</td>
                    <td>{invite.rooms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")}</td>
                    <td>{format!("{} / {}", invite.uses, invite.max_uses)}</td>
                    <td>{format_time(i18n, invite.expires_at_us)}</td>
                    <td>{match state {
                        Some(text) => view! { <span class="badge" data-testid="invite-state">{move || i18n.t(text)}</span> }.into_any(),
                        None => view! { <button type="button" class="link" on:click=revoke>{move || i18n.t(Text::Revoke)}</button> }.into_any(),
                    }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th>{move || i18n.t(Text::Role)}</th>
                    <th>{move || i18n.t(Text::Rooms)}</th>
                    <th>{move || i18n.t(Text::Uses)}</th>
                    <th>{move || i18n.t(Text::Expires)}</th>
                    <th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Whether a link points at the computer it was made on (`localhost`, `127.0.0.1`, `[::1]`),
/// where no parent's phone can open it.
fn points_at_this_machine(link: &str) -> bool {
    let host = link
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::points_at_this_machine;

    #[test]
    fn loopback_links_are_recognised() {
        for link in [
            "http://127.0.0.1:8080/invite/x",
            "http://localhost/invite/x",
            "https://[::1]:8443/invite/x",
        ] {
            assert!(points_at_this_machine(link), "{link}");
        }
        for link in [
            "https://nido.example.org/invite/x",
            "https://192.168.1.20:8443/invite/x",
        ] {
            assert!(!points_at_this_machine(link), "{link}");
        }
    }
}
