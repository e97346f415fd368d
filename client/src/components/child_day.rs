//! A family's children and their day, in words: "Lucía arrived at 08:30", "Lucía went home
//! at 15:42", "Lucía has not arrived yet": on a family's home page, and over the viewer's
//! picture where the room ties viewing to attendance and none of them is in.

use nido_shared::Timestamp;
use nido_shared::attendance::{Attendance, ChildToday};

use crate::i18n::{I18n, Text};

/// A child's day in one line.
pub fn day_line(i18n: I18n, name: &str, today: Attendance) -> String {
    let (words, at) = match (today.checked_in_at, today.checked_out_at) {
        (_, Some(out)) => (Text::WentHomeAt, Some(out)),
        (Some(arrived), None) => (Text::ArrivedAt, Some(arrived)),
        (None, None) => (Text::NotArrivedYet, None),
    };
    let at = at.map(clock_time).unwrap_or_default();
    format!("{name} {} {at}", i18n.t(words))
        .trim_end()
        .to_owned()
}

/// Over the picture, where the room ties viewing to attendance and none of the family's
/// children is in: each one's day, a line each.
pub fn away_text(i18n: I18n, children: &[ChildToday]) -> String {
    if children.is_empty() {
        return i18n.t(Text::NoChildHere).to_owned();
    }
    children
        .iter()
        .map(|child| day_line(i18n, child.name.as_str(), child.today()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "15:42": hours and minutes of a server time, in the visitor's time zone.
pub fn clock_time(at: Timestamp) -> String {
    let date = crate::clock::js_date(at);
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
