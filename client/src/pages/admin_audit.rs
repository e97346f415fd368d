//! Admin: the access log — who watched or streamed which room, from where, when — and the
//! security events (failed logins, refused joins, every staff action), filtered and
//! exported as CSV in the interface's language.

use std::time::Duration;

use leptos::prelude::*;
use nido_shared::api::{AuditEntry, Me, RoomSummary, SecurityEventKind};
use nido_shared::{Role, Timestamp};

use crate::api;
use crate::clock::from_js_millis;
use crate::components::{SecurityEvents, TopBar, admin_only};
use crate::i18n::{Text, use_i18n};
use crate::pages::format_time;
use crate::problem::failure_text;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    admin_only(audit_page)
}

fn audit_page(_: Me) -> AnyView {
    let i18n = use_i18n();
    let room = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let query = Memo::new(move |_| {
        let mut parts = Vec::new();
        let mut add = |key: &str, value: String| {
            if !value.is_empty() {
                parts.push(format!("{key}={}", js_sys::encode_uri_component(&value)));
            }
        };
        add("room", room.get());
        add("user", user.get().trim().to_lowercase());
        add(
            "from_us",
            day_start(&from.get())
                .map(|at| at.as_micros().to_string())
                .unwrap_or_default(),
        );
        add(
            "to_us",
            day_start(&to.get())
                .map(|at| {
                    (at + Duration::from_secs(24 * 60 * 60))
                        .as_micros()
                        .to_string()
                })
                .unwrap_or_default(),
        );
        parts.join("&")
    });
    let kind = RwSignal::new(String::new());
    let entries = LocalResource::new(move || {
        let path = format!("/api/audit?{}", query.get());
        async move { api::get::<Vec<AuditEntry>>(&path).await }
    });
    let events_query = Memo::new(move |_| match kind.get() {
        kind if kind.is_empty() => query.get(),
        kind => format!("{}&kind={kind}", query.get()),
    });
    // The link downloads (the router leaves `download` links to the browser), in the
    // interface's language.
    let export = move |path: &'static str, query: Memo<String>| {
        view! {
            <a class="button" data-testid=format!("export-{}", path.trim_start_matches("/api/").replace(['/', '.'], "-"))
                download=""
                href=move || format!("{path}?{}&lang={}", query.get(), i18n.lang().code())>
                {move || i18n.t(Text::ExportCsv)}
            </a>
        }
    };
    let rooms = LocalResource::new(|| api::get::<Vec<RoomSummary>>("/api/rooms"));
    let room_options = move || {
        rooms.get().and_then(Result::ok).map(|list| {
            list.into_iter()
                .map(|r| view! { <option value=r.id.to_string()>{r.name}</option> })
                .collect_view()
        })
    };
    let rows = move || {
        entries.get().map(|result| match result {
            Ok(list) if list.is_empty() => {
                view! { <p class="muted">{i18n.t(Text::NoEntries)}</p> }.into_any()
            }
            Ok(list) => {
                let rows = list
                    .into_iter()
                    .map(|entry| {
                        let ended = entry.ended_at_us.map_or_else(
                            || i18n.t(Text::Ongoing).to_owned(),
                            |at| format_time(i18n, at),
                        );
                        let role = match entry.role {
                            Role::Camera => Text::Camera,
                            Role::Viewer => Text::Watch,
                        };
                        view! {
                            <tr>
                                <td>{entry.display_name.to_string()}<br/><span class="muted">{format!("@{}", entry.username)}</span></td>
                                <td>{entry.room.to_string()}</td>
                                <td>{i18n.t(role)}</td>
                                <td>{entry.client_addr}</td>
                                <td>{format_time(i18n, entry.started_at_us)}</td>
                                <td>{ended}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="table-wrap">
                        <table data-testid="audit">
                            <thead><tr>
                                <th>{i18n.t(Text::People)}</th>
                                <th>{i18n.t(Text::Room)}</th>
                                <th>{i18n.t(Text::Role)}</th>
                                <th>{i18n.t(Text::Address)}</th>
                                <th>{i18n.t(Text::Started)}</th>
                                <th>{i18n.t(Text::Ended)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }
            Err(failure) => view! { <p class="problem">{failure_text(i18n, &failure)}</p> }.into_any(),
        })
    };
    let text_filter = move |label: Text, kind: &'static str, value: RwSignal<String>| {
        view! {
            <label>
                <span>{move || i18n.t(label)}</span>
                <input type=kind prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <TopBar/>
        <main class="page">
            <section class="card">
                <h1>{move || i18n.t(Text::AuditLog)}</h1>
                <div class="row filters">
                    <label>
                        <span>{move || i18n.t(Text::Room)}</span>
                        <select on:change=move |ev| room.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {room_options}
                        </select>
                    </label>
                    {text_filter(Text::Username, "text", user)}
                    {text_filter(Text::From, "date", from)}
                    {text_filter(Text::To, "date", to)}
                </div>
            </section>
            <section class="card">
                <div class="row">
                    <h2>{move || i18n.t(Text::ViewingSessions)}</h2>
                    {export("/api/audit.csv", query)}
                </div>
                {rows}
            </section>
            <section class="card">
                <div class="row">
                    <h2>{move || i18n.t(Text::SecurityEvents)}</h2>
                    <label>
                        <span>{move || i18n.t(Text::Event)}</span>
                        <select data-testid="event-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {SecurityEventKind::ALL.map(|k| view! {
                                <option value=k.as_str()>{move || k.label(i18n.shared_lang())}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    {export("/api/audit/events.csv", events_query)}
                </div>
                <SecurityEvents query=events_query/>
            </section>
        </main>
    }
    .into_any()
}

/// Midnight of a `YYYY-MM-DD` date in the browser's time zone.
fn day_start(date: &str) -> Option<Timestamp> {
    if date.is_empty() {
        return None;
    }
    let millis = js_sys::Date::new(&format!("{date}T00:00:00").into()).get_time();
    (!millis.is_nan()).then(|| from_js_millis(millis))
}
