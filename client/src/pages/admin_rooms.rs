//! Admin: the classrooms — create, rename, set viewing hours and the two options (viewing
//! tied to attendance, the families' watermark), delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{Me, NewRoom, RoomChanges, RoomSummary, Settings};
use nido_shared::{OpenHours, RoomId, ScheduleError, TimeOfDay, Weekday, WeeklySchedule};

use crate::api;
use crate::browser::confirm;
use crate::components::{TopBar, admin_only};
use crate::i18n::{I18n, Text, use_i18n};
use crate::problem::failure_text;

#[component]
pub fn AdminRoomsPage() -> impl IntoView {
    admin_only(rooms_page)
}

fn rooms_page(_: Me) -> AnyView {
    let i18n = use_i18n();
    let rooms = LocalResource::new(|| api::get::<Vec<RoomSummary>>("/api/rooms"));
    let settings = LocalResource::new(|| api::get::<Settings>("/api/settings"));
    let new_id = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = RoomId::try_from(new_id.get_untracked().trim().to_lowercase()) else {
            problem.set(Some(i18n.t(Text::InvalidRoom).to_owned()));
            return;
        };
        let room = NewRoom {
            id,
            name: new_name.get_untracked(),
            schedule: WeeklySchedule::default(),
        };
        spawn_local(async move {
            match api::call::<_, RoomSummary>(api::post("/api/rooms"), &room).await {
                Ok(_) => {
                    problem.set(None);
                    new_id.set(String::new());
                    new_name.set(String::new());
                    rooms.refetch();
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    let zone = move || {
        settings
            .get()
            .and_then(Result::ok)
            .map(|s| format!("{}: {}", i18n.t(Text::TimeZone), s.time_zone))
    };
    view! {
        <TopBar/>
        <main class="page">
            <section class="card">
                <h1>{move || i18n.t(Text::Rooms)}</h1>
                <form class="row" on:submit=create>
                    <label>
                        <span>{move || i18n.t(Text::RoomId)}</span>
                        <input type="text" data-testid="new-room-id" required maxlength="32" autocapitalize="none"
                            prop:value=move || new_id.get() on:input=move |ev| new_id.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{move || i18n.t(Text::RoomName)}</span>
                        <input type="text" data-testid="new-room-name" required maxlength="60"
                            prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit" class="primary" data-testid="create-room">{move || i18n.t(Text::Create)}</button>
                </form>
                <p class="problem" role="alert" data-testid="new-room-problem">{move || problem.get()}</p>
                <p class="muted">{zone}</p>
            </section>
            {move || rooms.get().map(|result| match result {
                Ok(list) => list
                    .into_iter()
                    .map(|room| room_editor(i18n, room, move || rooms.refetch()))
                    .collect_view()
                    .into_any(),
                Err(failure) => view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any(),
            })}
        </main>
    }
    .into_any()
}

/// One room: its name and weekly hours, saved together, and deleting it.
fn room_editor(i18n: I18n, room: RoomSummary, reload: impl Fn() + Copy + 'static) -> impl IntoView {
    let id = room.id.to_string();
    let name = RwSignal::new(room.name.clone());
    let days: Vec<DayDraft> = Weekday::ALL
        .iter()
        .map(|day| DayDraft::from(room.schedule.days[day.index()]))
        .collect();
    let days = RwSignal::new(days);
    let attendance_required = RwSignal::new(room.attendance_required);
    let watermark = RwSignal::new(room.watermark);
    let status = RwSignal::new(None::<String>);
    let save_path = format!("/api/rooms/{id}");
    let save = move |_| {
        let schedule = match schedule_of(&days.get_untracked()) {
            Ok(schedule) => schedule,
            Err((day, why)) => {
                let why = match why {
                    ScheduleError::InvalidTime => Text::TimeFormat,
                    ScheduleError::ClosesBeforeOpening => Text::ClosesBeforeOpening,
                };
                status.set(Some(format!(
                    "{}: {}",
                    i18n.t(Text::weekday(day)),
                    i18n.t(why)
                )));
                return;
            }
        };
        let changes = RoomChanges {
            name: Some(name.get_untracked()),
            schedule: Some(schedule),
            attendance_required: Some(attendance_required.get_untracked()),
            watermark: Some(watermark.get_untracked()),
        };
        let path = save_path.clone();
        spawn_local(async move {
            let saved = api::call::<_, RoomSummary>(api::patch(&path), &changes).await;
            status.set(Some(match saved {
                Ok(_) => i18n.t(Text::Saved).to_owned(),
                Err(failure) => failure_text(i18n, &failure),
            }));
        });
    };
    let delete_path = format!("/api/rooms/{id}");
    let delete = move |_| {
        if !confirm(i18n.t(Text::ConfirmDelete)) {
            return;
        }
        let path = delete_path.clone();
        spawn_local(async move {
            if api::act::<()>(api::delete(&path), None).await.is_ok() {
                reload();
            }
        });
    };
    let day_rows = Weekday::ALL
        .iter()
        .map(|day| {
            let index = day.index();
            let field = move |pick: fn(&mut DayDraft) -> &mut String| {
                move |ev| days.update(|d| *pick(&mut d[index]) = event_target_value(&ev))
            };
            view! {
                <div class="day-row">
                    <label class="check">
                        <input type="checkbox" prop:checked=move || days.get()[index].open
                            on:change=move |ev| days.update(|d| d[index].open = event_target_checked(&ev))/>
                        {move || i18n.t(Text::weekday(*day))}
                    </label>
                    <input type="time" prop:value=move || days.get()[index].from.clone()
                        disabled=move || !days.get()[index].open on:change=field(|d| &mut d.from)/>
                    <span aria-hidden="true">"–"</span>
                    <input type="time" prop:value=move || days.get()[index].until.clone()
                        disabled=move || !days.get()[index].open on:change=field(|d| &mut d.until)/>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid=format!("room-{id}")>
            <div class="row">
                <label>
                    <span>{move || i18n.t(Text::RoomName)}</span>
                    <input type="text" maxlength="60" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <code class="room-id">{format!("/watch/{id}")}</code>
            </div>
            <fieldset class="schedule">
                <legend>{move || i18n.t(Text::ViewingHours)}</legend>
                {day_rows}
            </fieldset>
            <fieldset class="options">
                <label class="check">
                    <input type="checkbox" data-testid="attendance-required"
                        prop:checked=move || attendance_required.get()
                        on:change=move |ev| attendance_required.set(event_target_checked(&ev))/>
                    {move || i18n.pick(
                        "Cada familia ve la imagen solo mientras su peque está registrado en la sala",
                        "Each family sees the picture only while their child is checked in here",
                    )}
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="watermark"
                        prop:checked=move || watermark.get()
                        on:change=move |ev| watermark.set(event_target_checked(&ev))/>
                    {move || i18n.pick(
                        "Marca de agua: el nombre de quien mira y la hora sobre la imagen de las familias",
                        "Watermark: the viewer's name and the time over the families' picture",
                    )}
                </label>
            </fieldset>
            <div class="row">
                <button type="button" class="primary" data-testid="save-room" on:click=save>{move || i18n.t(Text::Save)}</button>
                <button type="button" class="danger" on:click=delete>{move || i18n.t(Text::Delete)}</button>
                <span class="muted" role="status" data-testid="room-status">{move || status.get()}</span>
            </div>
        </section>
    }
}

/// A day's hours as the form holds them.
#[derive(Debug, Clone)]
struct DayDraft {
    open: bool,
    from: String,
    until: String,
}

impl From<Option<OpenHours>> for DayDraft {
    fn from(hours: Option<OpenHours>) -> Self {
        let (from, until) = hours.map_or(("07:00".into(), "17:00".into()), |h| {
            (h.open().to_string(), h.close().to_string())
        });
        Self {
            open: hours.is_some(),
            from,
            until,
        }
    }
}

/// The schedule the form describes, or the first day whose hours are not valid and why.
fn schedule_of(days: &[DayDraft]) -> Result<WeeklySchedule, (Weekday, ScheduleError)> {
    let mut schedule = WeeklySchedule { days: [None; 7] };
    for ((slot, day), weekday) in schedule.days.iter_mut().zip(days).zip(Weekday::ALL) {
        if day.open {
            let hours = TimeOfDay::try_from(day.from.clone())
                .and_then(|from| Ok((from, TimeOfDay::try_from(day.until.clone())?)))
                .and_then(|(from, until)| OpenHours::new(from, until));
            *slot = Some(hours.map_err(|why| (weekday, why))?);
        }
    }
    Ok(schedule)
}
