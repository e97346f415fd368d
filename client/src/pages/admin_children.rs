//! Admin: the children — add one to a room with the family accounts linked to them, change
//! those links, remove a child, and correct a day's record of their stays (each correction is
//! in the security log).

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{Me, Person, RoomSummary};
use nido_shared::attendance::{Child, ChildChanges, NewChild, Stay, StayTimes};
use nido_shared::{DisplayName, RoomId, Timestamp, UserId, UserRole};

use crate::api;
use crate::browser::confirm;
use crate::components::{TopBar, admin_only, clock_time, day_line};
use crate::i18n::{I18n, Text, use_i18n};
use crate::problem::failure_text;

#[component]
pub fn AdminChildrenPage() -> impl IntoView {
    admin_only(children_page)
}

fn children_page(_: Me) -> AnyView {
    let i18n = use_i18n();
    let children = LocalResource::new(|| api::get::<Vec<Child>>("/api/children"));
    let rooms = LocalResource::new(|| api::get::<Vec<RoomSummary>>("/api/rooms"));
    let people = LocalResource::new(|| api::get::<Vec<Person>>("/api/people"));
    let families = Signal::derive(move || {
        people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|person| person.role == UserRole::Family && !person.revoked)
            .collect::<Vec<_>>()
    });
    let name = RwSignal::new(String::new());
    let room = RwSignal::new(String::new());
    let linked = RwSignal::new(Vec::<UserId>::new());
    let problem = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(child_name), Ok(child_room)) = (
            DisplayName::try_from(name.get_untracked()),
            RoomId::try_from(room.get_untracked()),
        ) else {
            problem.set(Some(i18n.t(Text::NoSuchRoom).to_owned()));
            return;
        };
        let new = NewChild {
            name: child_name,
            room: child_room,
            families: linked.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, Child>(api::post("/api/children"), &new).await {
                Ok(_) => {
                    problem.set(None);
                    name.set(String::new());
                    linked.set(Vec::new());
                    children.refetch();
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    let room_options = move || {
        rooms
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|summary| {
                let id = summary.id.to_string();
                view! { <option value=id.clone()>{format!("{} ({id})", summary.name)}</option> }
            })
            .collect_view()
    };
    let room_name = move |id: &RoomId| {
        rooms
            .get()
            .and_then(Result::ok)
            .and_then(|all| all.into_iter().find(|summary| summary.id == *id))
            .map_or_else(|| id.to_string(), |summary| summary.name)
    };
    let list = move || {
        children.get().map(|result| match result {
            Ok(all) => all
                .into_iter()
                .map(|child| {
                    let room = room_name(&child.room);
                    child_card(i18n, child, room, families, move || children.refetch())
                })
                .collect_view()
                .into_any(),
            Err(failure) => {
                view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any()
            }
        })
    };
    view! {
        <TopBar/>
        <main class="page">
            <section class="card">
                <h1>{move || i18n.pick("Niños y niñas", "Children")}</h1>
                <form class="stack" on:submit=add>
                    <div class="row">
                        <label>
                            <span>{move || i18n.pick("Nombre como lo quiere mostrar la escuela", "Name as the staff want to show it")}</span>
                            <input type="text" data-testid="new-child-name" required maxlength="40"
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <label>
                            <span>{move || i18n.t(Text::Room)}</span>
                            <select data-testid="new-child-room" required
                                on:change=move |ev| room.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {room_options}
                            </select>
                        </label>
                    </div>
                    <FamilyChecks i18n=i18n families=families room=room.into() linked=linked/>
                    <button type="submit" class="primary" data-testid="add-child">{move || i18n.t(Text::Create)}</button>
                </form>
                <p class="problem" role="alert">{move || problem.get()}</p>
            </section>
            <div class="card-list" data-testid="children">{list}</div>
        </main>
    }
    .into_any()
}

/// Checkboxes of the family accounts of `room` (all of them while no room is chosen).
#[component]
fn FamilyChecks(
    i18n: I18n,
    families: Signal<Vec<Person>>,
    room: Signal<String>,
    linked: RwSignal<Vec<UserId>>,
) -> impl IntoView {
    let checks = move || {
        let room = room.get();
        families
            .get()
            .into_iter()
            .filter(|family| room.is_empty() || family.rooms.iter().any(|r| r.as_str() == room))
            .map(|family| {
                let id = family.id;
                view! {
                    <label class="check">
                        <input type="checkbox" data-testid=format!("family-{id}")
                            prop:checked=move || linked.get().contains(&id)
                            on:change=move |ev| linked.update(|ids| {
                                ids.retain(|other| *other != id);
                                if event_target_checked(&ev) {
                                    ids.push(id);
                                }
                            })/>
                        {family.display_name.to_string()}
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="checks">
            <legend>{move || i18n.pick("Cuentas de la familia", "Family accounts")}</legend>
            {checks}
        </fieldset>
    }
}

/// One child: their day, their family accounts, the day's record, and removing them.
fn child_card(
    i18n: I18n,
    child: Child,
    room_name: String,
    families: Signal<Vec<Person>>,
    reload: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let id = child.id;
    let linked = RwSignal::new(child.families.clone());
    let status = RwSignal::new(None::<String>);
    let room = child.room.to_string();
    let save = move |_| {
        let changes = ChildChanges {
            families: Some(linked.get_untracked()),
            ..ChildChanges::default()
        };
        spawn_local(async move {
            let path = format!("/api/children/{id}");
            let saved = api::call::<_, Child>(api::patch(&path), &changes).await;
            status.set(Some(match saved {
                Ok(_) => i18n.t(Text::Saved).to_owned(),
                Err(failure) => failure_text(i18n, &failure),
            }));
        });
    };
    let remove = move |_| {
        if !confirm(i18n.t(Text::ConfirmDelete)) {
            return;
        }
        spawn_local(async move {
            let path = format!("/api/children/{id}");
            if api::act::<()>(api::delete(&path), None).await.is_ok() {
                reload();
            }
        });
    };
    let day = day_line(i18n, child.name.as_str(), child.today());
    view! {
        <section class="card" data-testid=format!("child-card-{id}")>
            <h2>{day}</h2>
            <p class="muted">{room_name}</p>
            <FamilyChecks i18n=i18n families=families room=Signal::stored(room) linked=linked/>
            <div class="row">
                <button type="button" class="primary" on:click=save>{move || i18n.t(Text::Save)}</button>
                <button type="button" class="danger" on:click=remove>{move || i18n.t(Text::Delete)}</button>
                <span class="muted" role="status">{move || status.get()}</span>
            </div>
            <DayRecord i18n=i18n child=id/>
        </section>
    }
}

/// A day's stays of a child, each with its check-in and check-out to correct or remove, and
/// one to add.
#[component]
fn DayRecord(i18n: I18n, child: nido_shared::ChildId) -> impl IntoView {
    let day = RwSignal::new(today());
    // Each answer with the day it is of, so a slow answer is never shown as another day's.
    let stays = LocalResource::new(move || {
        let day = day.get();
        let path = format!("/api/children/{child}/stays?day={day}");
        async move { (day, api::get::<Vec<Stay>>(&path).await) }
    });
    let status = RwSignal::new(None::<String>);
    let send = move |stay: Option<nido_shared::StayId>, times: Option<StayTimes>| {
        spawn_local(async move {
            let base = format!("/api/children/{child}/stays");
            let done = match (stay, times) {
                (None, Some(times)) => api::call::<_, Stay>(api::post(&base), &times)
                    .await
                    .map(drop),
                (Some(stay), Some(times)) => {
                    let path = format!("{base}/{stay}");
                    api::call::<_, Stay>(api::put(&path), &times)
                        .await
                        .map(drop)
                }
                (Some(stay), None) => {
                    api::act::<()>(api::delete(&format!("{base}/{stay}")), None).await
                }
                (None, None) => Ok(()),
            };
            status.set(Some(match done {
                Ok(()) => i18n.t(Text::Saved).to_owned(),
                Err(failure) => failure_text(i18n, &failure),
            }));
            stays.refetch();
        });
    };
    let rows = move || {
        let (shown_day, answer) = stays.get()?;
        let all = match answer {
            Ok(all) => all,
            Err(failure) => {
                let problem = failure_text(i18n, &failure);
                return Some(view! { <p class="problem">{problem}</p> }.into_any());
            }
        };
        let empty = all.is_empty().then(|| {
            view! {
                <p class="muted" data-testid="no-stays">
                    {move || format!("{shown_day}: {}", i18n.pick("nada registrado", "nothing recorded"))}
                </p>
            }
        });
        let existing = all.into_iter().map(|stay| {
            let arrived = RwSignal::new(clock_time(stay.checked_in_at));
            let left = RwSignal::new(stay.checked_out_at.map(clock_time).unwrap_or_default());
            let save = move |_| match times(&day.get_untracked(), &arrived.get_untracked(), &left.get_untracked()) {
                Some(times) => send(Some(stay.id), Some(times)),
                None => status.set(Some(i18n.t(Text::TimeFormat).to_owned())),
            };
            view! {
                <div class="stay-row">
                    <StayFields i18n=i18n arrived=arrived left=left/>
                    <button type="button" data-testid="save-stay" on:click=save>{move || i18n.t(Text::Save)}</button>
                    <button type="button" class="danger" data-testid="delete-stay" on:click=move |_| send(Some(stay.id), None)>
                        {move || i18n.t(Text::Delete)}
                    </button>
                </div>
            }
        });
        let arrived = RwSignal::new(String::new());
        let left = RwSignal::new(String::new());
        let add = move |_| match times(
            &day.get_untracked(),
            &arrived.get_untracked(),
            &left.get_untracked(),
        ) {
            Some(times) => send(None, Some(times)),
            None => status.set(Some(i18n.t(Text::TimeFormat).to_owned())),
        };
        Some(view! {
            {empty}
            {existing.collect_view()}
            <div class="stay-row">
                <StayFields i18n=i18n arrived=arrived left=left/>
                <button type="button" data-testid="add-stay" on:click=add>{move || i18n.pick("Añadir", "Add")}</button>
            </div>
        }.into_any())
    };
    view! {
        <details class="day-record" data-testid="day-record">
            <summary>{move || i18n.pick("Registro del día", "Day's record")}</summary>
            <label>
                <span>{move || i18n.pick("Día", "Day")}</span>
                <input type="date" data-testid="record-day" prop:value=move || day.get() on:change=move |ev| day.set(event_target_value(&ev))/>
            </label>
            {rows}
            <p class="muted" role="status" data-testid="day-record-status">{move || status.get()}</p>
        </details>
    }
}

/// A stay's two times, as the form holds them.
#[component]
fn StayFields(i18n: I18n, arrived: RwSignal<String>, left: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            <span>{move || i18n.pick("Llegada", "Check-in")}</span>
            <input type="time" prop:value=move || arrived.get() on:change=move |ev| arrived.set(event_target_value(&ev))/>
        </label>
        <label>
            <span>{move || i18n.pick("Salida", "Check-out")}</span>
            <input type="time" prop:value=move || left.get() on:change=move |ev| left.set(event_target_value(&ev))/>
        </label>
    }
}

/// Today in this browser's time zone, as a date input holds it.
fn today() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    )
}

/// A stay's times from a date and two "HH:MM" fields (the check-out may be empty), in this
/// browser's time zone.
fn times(day: &str, arrived: &str, left: &str) -> Option<StayTimes> {
    let at = |time: &str| -> Option<Timestamp> {
        let numbers: Vec<u32> = day
            .split('-')
            .chain(time.split(':'))
            .map(|part| part.parse().ok())
            .collect::<Option<_>>()?;
        let [year, month, date, hour, minute] = numbers[..] else {
            return None;
        };
        let local = js_sys::Date::new_with_year_month_day_hr_min(
            year,
            i32::try_from(month).ok()? - 1,
            i32::try_from(date).ok()?,
            i32::try_from(hour).ok()?,
            i32::try_from(minute).ok()?,
        );
        Some(Timestamp::from_micros((local.get_time() * 1000.0) as i64))
    };
    Some(StayTimes {
        checked_in_at: at(arrived)?,
        checked_out_at: if left.is_empty() {
            None
        } else {
            Some(at(left)?)
        },
    })
}
