//! Admin: everyone with an account — role, rooms, who invited them, revoking, unlocking,
//! resetting a lost two-step sign-in — and the settings: how many relatives each family
//! member may invite, and whether staff must use two-step sign-in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{Me, Person, PersonChanges, RoomSummary, Settings};
use nido_shared::limits::MAX_FAMILY_INVITE_LIMIT;
use nido_shared::{RoomId, UserId, UserRole};

use crate::api;
use crate::browser::confirm;
use crate::components::{TopBar, admin_only};
use crate::i18n::{I18n, Text, use_i18n};
use crate::problem::failure_text;

#[component]
pub fn AdminPeoplePage() -> impl IntoView {
    admin_only(people_page)
}

fn people_page(me: Me) -> AnyView {
    let i18n = use_i18n();
    let people_list = LocalResource::new(|| api::get::<Vec<Person>>("/api/people"));
    let room_list = LocalResource::new(|| api::get::<Vec<RoomSummary>>("/api/rooms"));
    let content = move || {
        let (Some(people), Some(rooms)) = (people_list.get(), room_list.get()) else {
            return view! { <p>{i18n.t(Text::Loading)}</p> }.into_any();
        };
        match (people, rooms) {
            (Ok(people), Ok(rooms)) => {
                let rooms: Vec<RoomId> = rooms.into_iter().map(|r| r.id).collect();
                let myself = me.id;
                people
                    .into_iter()
                    .map(|person| {
                        person_card(i18n, person, rooms.clone(), myself, move || {
                            people_list.refetch();
                        })
                    })
                    .collect_view()
                    .into_any()
            }
            (Err(failure), _) | (_, Err(failure)) => {
                view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any()
            }
        }
    };
    view! {
        <TopBar/>
        <main class="page">
            <section class="card">
                <h1>{move || i18n.t(Text::People)}</h1>
                {settings_form(i18n)}
            </section>
            {content}
        </main>
    }
    .into_any()
}

fn settings_form(i18n: I18n) -> impl IntoView {
    let settings = RwSignal::new(None::<Settings>);
    let status = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(loaded) = api::get::<Settings>("/api/settings").await {
            settings.set(Some(loaded));
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(changed) = settings.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let saved = api::call::<_, Settings>(api::patch("/api/settings"), &changed).await;
            status.set(Some(match saved {
                Ok(saved) => {
                    settings.set(Some(saved));
                    i18n.t(Text::Saved).to_owned()
                }
                Err(failure) => failure_text(i18n, &failure),
            }));
        });
    };
    let limit = move || {
        settings
            .get()
            .map(|s| s.family_invite_limit.to_string())
            .unwrap_or_default()
    };
    let set_limit = move |ev| {
        if let Ok(limit) = event_target_value(&ev).parse() {
            settings.update(|s| s.iter_mut().for_each(|s| s.family_invite_limit = limit));
        }
    };
    let required = move || settings.get().is_some_and(|s| s.staff_second_factor);
    let set_required = move |ev| {
        let on = event_target_checked(&ev);
        settings.update(|s| s.iter_mut().for_each(|s| s.staff_second_factor = on));
    };
    view! {
        <form class="stack" on:submit=save>
            <label>
                <span>{move || i18n.t(Text::FamilyInviteLimit)}</span>
                <input type="number" min="0" max=MAX_FAMILY_INVITE_LIMIT prop:value=limit
                    on:input=set_limit/>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="require-second-factor" prop:checked=required
                    on:change=set_required/>
                {move || i18n.t(Text::RequireStaffSecondFactor)}
            </label>
            <div class="row">
                <button type="submit" data-testid="save-settings">{move || i18n.t(Text::Save)}</button>
                <span class="muted" role="status" data-testid="settings-status">{move || status.get()}</span>
            </div>
        </form>
    }
}

fn person_card(
    i18n: I18n,
    person: Person,
    all_rooms: Vec<RoomId>,
    myself: UserId,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = person.id;
    let role = RwSignal::new(person.role);
    let rooms = RwSignal::new(person.rooms.clone());
    let status = RwSignal::new(None::<String>);
    let save = move |_| {
        let changes = PersonChanges {
            role: Some(role.get_untracked()),
            rooms: Some(rooms.get_untracked()),
        };
        spawn_local(async move {
            let saved = api::act(api::patch(&format!("/api/people/{id}")), Some(&changes)).await;
            status.set(Some(match saved {
                Ok(()) => i18n.t(Text::Saved).to_owned(),
                Err(failure) => failure_text(i18n, &failure),
            }));
        });
    };
    let post = move |action: &'static str, question: Option<Text>| {
        move |_| {
            if question.is_some_and(|q| !confirm(i18n.t(q))) {
                return;
            }
            spawn_local(async move {
                let path = format!("/api/people/{id}/{action}");
                match api::act::<()>(api::post(&path), None).await {
                    Ok(()) => reload(),
                    Err(failure) => status.set(Some(failure_text(i18n, &failure))),
                }
            });
        }
    };
    let role_options = [UserRole::Family, UserRole::Caregiver, UserRole::Admin]
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == person.role>{move || i18n.t(Text::role(r))}</option> })
        .collect_view();
    let room_boxes = all_rooms
        .into_iter()
        .map(|room| {
            let has = person.rooms.contains(&room);
            let toggle = room.clone();
            view! {
                <label class="check">
                    <input type="checkbox" prop:checked=has on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        rooms.update(|list| {
                            list.retain(|r| *r != toggle);
                            if on { list.push(toggle.clone()); }
                        });
                    }/>
                    {room.to_string()}
                </label>
            }
        })
        .collect_view();
    let editable = !person.revoked && person.id != myself;
    view! {
        <section class="card person" class:revoked=person.revoked data-testid=format!("person-{}", person.username)>
            <div class="row">
                <strong>{person.display_name.to_string()}</strong>
                <span class="muted">{format!("@{}", person.username)}</span>
                {person.revoked.then(|| view! { <span class="badge bad">{move || i18n.t(Text::RevokedPerson)}</span> })}
                {person.locked.then(|| view! { <span class="badge warn">{move || i18n.t(Text::Locked)}</span> })}
                {person.second_factor.then(|| view! { <span class="badge">{move || i18n.t(Text::TwoStepBadge)}</span> })}
                {person.invited_by.map(|by| {
                    let by = by.to_string();
                    view! { <span class="muted" data-testid="invited-by">{move || format!("{} {by}", i18n.t(Text::InvitedBy))}</span> }
                })}
            </div>
            <div class="row">
                <label>
                    <span>{move || i18n.t(Text::Role)}</span>
                    <select disabled=!editable on:change=move |ev| {
                        if let Ok(r) = event_target_value(&ev).parse() { role.set(r); }
                    }>{role_options}</select>
                </label>
                <fieldset class="checks" disabled=!editable>
                    <legend>{move || i18n.t(Text::Rooms)}</legend>
                    {room_boxes}
                </fieldset>
            </div>
            {editable.then(|| view! {
                <div class="row">
                    <button type="button" class="primary" on:click=save>{move || i18n.t(Text::Save)}</button>
                    {person.locked.then(|| view! {
                        <button type="button" on:click=post("unlock", None)>{move || i18n.t(Text::Unlock)}</button>
                    })}
                    {person.second_factor.then(|| view! {
                        <button type="button" on:click=post("reset-second-factor", Some(Text::ConfirmResetSecondFactor))>
                            {move || i18n.t(Text::ResetSecondFactor)}
                        </button>
                    })}
                    <button type="button" class="danger" data-testid="revoke"
                        on:click=post("revoke", Some(Text::ConfirmRevoke))>{move || i18n.t(Text::Revoke)}</button>
                    <span class="muted" role="status">{move || status.get()}</span>
                </div>
            })}
        </section>
    }
}
