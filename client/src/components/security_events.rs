//! The security events table of the access log: when, what, by whom, about whom or where,
//! from which address, each in the interface's language.

use leptos::prelude::*;
use nido_shared::api::{SecurityEvent, SecurityEventKind};

use crate::api;
use crate::i18n::{I18n, Text, use_i18n};
use crate::pages::format_time;
use crate::problem::failure_text;

/// The events matching `query` (the API's filter as a query string), newest first.
#[component]
pub fn SecurityEvents(query: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let events = LocalResource::new(move || {
        let path = format!("/api/audit/events?{}", query.get());
        async move { api::get::<Vec<SecurityEvent>>(&path).await }
    });
    move || {
        events.get().map(|result| match result {
            Ok(list) if list.is_empty() => {
                view! { <p class="muted">{i18n.t(Text::NoEntries)}</p> }.into_any()
            }
            Ok(list) => {
                let rows = list
                    .into_iter()
                    .map(|event| event_row(i18n, event))
                    .collect_view();
                view! {
                    <div class="table-wrap">
                        <table data-testid="security-events">
                            <thead><tr>
                                <th>{i18n.t(Text::When)}</th>
                                <th>{i18n.t(Text::Event)}</th>
                                <th>{i18n.t(Text::By)}</th>
                                <th>{i18n.t(Text::Details)}</th>
                                <th>{i18n.t(Text::Address)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }
            Err(failure) => {
                view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any()
            }
        })
    }
}

fn event_row(i18n: I18n, event: SecurityEvent) -> impl IntoView {
    let by = match (&event.actor_name, &event.actor) {
        (Some(name), Some(username)) => format!("{name} (@{username})"),
        _ => "—".to_owned(),
    };
    view! {
        <tr data-kind=event.kind.as_str()>
            <td>{format_time(i18n, event.at_us)}</td>
            <td>{event.kind.label(i18n.shared_lang())}</td>
            <td>{by}</td>
            <td>{details(i18n, &event)}</td>
            <td>{event.client_addr.clone()}</td>
        </tr>
    }
}

/// What the event is about, in words: the account, the room, the role, the rooms, and the
/// number its kind carries.
fn details(i18n: I18n, event: &SecurityEvent) -> String {
    let mut parts = Vec::new();
    if let Some(account) = &event.account {
        parts.push(format!("@{account}"));
    }
    if let Some(room) = &event.room {
        parts.push(format!("{} {room}", i18n.t(Text::Room)));
    }
    if let Some(role) = event.role {
        parts.push(i18n.t(Text::role(role)).to_owned());
    }
    if !event.rooms.is_empty() {
        let rooms: Vec<&str> = event.rooms.iter().map(|room| room.as_str()).collect();
        parts.push(format!("{}: {}", i18n.t(Text::Rooms), rooms.join(", ")));
    }
    if let Some(amount) = event.amount {
        let unit = match event.kind {
            SecurityEventKind::Muted => Text::MinutesUnit,
            SecurityEventKind::ChatDeleted => Text::MessageNumber,
            SecurityEventKind::InviteCreated => Text::UsesUnit,
            _ => Text::InviteNumber,
        };
        parts.push(format!("{} {amount}", i18n.t(unit)));
    }
    parts.join(" · ")
}
