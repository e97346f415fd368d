//! A room's attendance, for caregivers on a phone: every child of the room with one tap to
//! check them in or out, an undo for the last tap, and who is in at a glance. Where the room
//! ties viewing to attendance, each tap gives or takes that family's picture at once.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::ChildId;
use nido_shared::api::Me;
use nido_shared::attendance::{AttendanceAction, AttendanceMark, Child};

use super::route_room;
use crate::api;
use crate::components::{TopBar, day_line, signed_in};
use crate::i18n::use_i18n;
use crate::problem::failure_text;

/// Another caregiver's taps show within this.
const REFRESH_EVERY_MS: u32 = 15_000;

#[component]
pub fn AttendancePage() -> impl IntoView {
    signed_in(attendance_page)
}

fn attendance_page(_: Me) -> AnyView {
    let room = route_room();
    let i18n = use_i18n();
    let children = RwSignal::new(None::<Vec<Child>>);
    let problem = RwSignal::new(None::<String>);
    // The child whose last tap may be undone.
    let undoable = RwSignal::new(None::<ChildId>);

    let load = {
        let room = room.clone();
        move || {
            let room = room.clone();
            spawn_local(async move {
                match api::get::<Vec<Child>>("/api/children").await {
                    Ok(all) => children.set(Some(
                        all.into_iter()
                            .filter(|child| child.room.as_str() == room)
                            .collect(),
                    )),
                    Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
                }
            });
        }
    };
    load();
    let refresh = StoredValue::new_local(Some(Interval::new(REFRESH_EVERY_MS, load)));
    on_cleanup(move || refresh.update_value(|timer| drop(timer.take())));

    let tap = move |child: ChildId, action: AttendanceAction| {
        spawn_local(async move {
            let path = format!("/api/children/{child}/attendance");
            let marked = api::call::<_, Child>(api::post(&path), &AttendanceMark { action }).await;
            match marked {
                Ok(updated) => {
                    children.update(|list| {
                        for shown in list.iter_mut().flatten() {
                            if shown.id == updated.id {
                                *shown = updated.clone();
                            }
                        }
                    });
                    undoable.set((action != AttendanceAction::Undo).then_some(child));
                    problem.set(None);
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };

    let row = move |child: Child| {
        let id = child.id;
        let is_in = child.today().is_in();
        let (action, label, test_id) = if is_in {
            (
                AttendanceAction::CheckOut,
                i18n.pick("Salida", "Check out"),
                "check-out",
            )
        } else {
            (
                AttendanceAction::CheckIn,
                i18n.pick("Llegada", "Check in"),
                "check-in",
            )
        };
        let line = day_line(i18n, child.name.as_str(), child.today());
        view! {
            <li class="child-row" class:in=is_in data-testid=format!("child-{id}")>
                <span class="child-day">{line}</span>
                <span class="child-actions">
                    {move || (undoable.get() == Some(id)).then(|| view! {
                        <button type="button" class="undo" data-testid=format!("undo-{id}")
                            on:click=move |_| tap(id, AttendanceAction::Undo)>
                            {i18n.pick("Deshacer", "Undo")}
                        </button>
                    })}
                    <button type="button" class:primary=!is_in data-testid=format!("{test_id}-{id}")
                        on:click=move |_| tap(id, action)>
                        {label}
                    </button>
                </span>
            </li>
        }
    };
    let list = move || {
        let Some(all) = children.get() else {
            return view! { <p class="muted">{i18n.pick("Cargando…", "Loading…")}</p> }.into_any();
        };
        if all.is_empty() {
            let none = i18n.pick(
                "Esta sala no tiene niños ni niñas en su lista. La dirección los añade.",
                "This room has no children on its list yet. An admin adds them.",
            );
            return view! { <p class="muted">{none}</p> }.into_any();
        }
        let (inside, outside): (Vec<Child>, Vec<Child>) =
            all.into_iter().partition(|child| child.today().is_in());
        let summary = format!(
            "{} {} {}",
            inside.len(),
            i18n.pick("dentro de", "in of"),
            inside.len() + outside.len()
        );
        view! {
            <p class="attendance-summary" data-testid="attendance-summary">{summary}</p>
            <h2>{i18n.pick("Dentro", "In")}</h2>
            <ul class="child-list" data-testid="children-in">{inside.into_iter().map(row).collect_view()}</ul>
            <h2>{i18n.pick("Fuera", "Not in")}</h2>
            <ul class="child-list" data-testid="children-out">{outside.into_iter().map(row).collect_view()}</ul>
        }
        .into_any()
    };
    view! {
        <TopBar room=room/>
        <main class="attendance">
            <section class="card">
                <h1>{move || i18n.pick("Asistencia de hoy", "Today's attendance")}</h1>
                {move || problem.get().map(|text| view! { <p class="problem" role="alert">{text}</p> })}
                {list}
            </section>
        </main>
    }
    .into_any()
}
