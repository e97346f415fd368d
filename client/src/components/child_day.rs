//! A family's children and their day, in words: "Lucía arrived at 08:30", "Lucía went home
//! at 15:42", "Lucía has not arrived yet"; and, over the viewer's picture where the room
//! ties viewing to attendance, why there is no picture now.

use leptos::prelude::*;
use nido_shared::Timestamp;
use nido_shared::attendance::{Attendance, ChildToday};

use crate::i18n::{I18n, Text};

/// A child's day in one line.
pub fn day_line(i18n: I18n, name: &str, today: Attendance) -> String {
    match (today.checked_in_at, today.checked_out_at) {
        (_, Some(out)) => format!("{name} {} {}", i18n.t(Text::WentHomeAt), clock_time(out)),
        (Some(arrived), None) => {
            format!("{name} {} {}", i18n.t(Text::ArrivedAt), clock_time(arrived))
        }
        (None, None) => format!("{name} {}", i18n.t(Text::NotArrivedYet)),
    }
}

/// Over the picture: each of the family's children's day, and why that decides the
/// picture.
pub fn away_overlay(i18n: I18n, children: &[ChildToday]) -> impl IntoView + use<> {
    let lines = if children.is_empty() {
        vec![i18n.t(Text::NoChildHere).to_owned()]
    } else {
        children
            .iter()
            .map(|child| day_line(i18n, child.name.as_str(), child.today()))
            .collect()
    };
    view! {
        <div class="stage-overlay" data-testid="stage-overlay">
            {lines.into_iter().map(|line| view! { <p class="overlay-title">{line}</p> }).collect_view()}
            <p class="overlay-hint">{i18n.t(Text::AttendanceHint)}</p>
        </div>
    }
}

/// "15:42": hours and minutes of a server time, in the visitor's time zone.
pub fn clock_time(at: Timestamp) -> String {
    let date = crate::clock::js_date(at);
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
