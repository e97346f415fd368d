//! The app's pages, one per route.

#[cfg(feature = "staff-pages")]
mod admin_audit;
#[cfg(feature = "staff-pages")]
mod admin_children;
#[cfg(feature = "staff-pages")]
mod admin_people;
#[cfg(feature = "staff-pages")]
mod admin_rooms;
#[cfg(feature = "staff-pages")]
mod attendance;
#[cfg(feature = "staff-pages")]
mod camera;
mod home;
#[cfg(feature = "staff-pages")]
mod inbox;
mod invite;
#[cfg(feature = "staff-pages")]
mod invites;
mod login;
mod viewer;

#[cfg(feature = "staff-pages")]
pub use admin_audit::AdminAuditPage;
#[cfg(feature = "staff-pages")]
pub use admin_children::AdminChildrenPage;
#[cfg(feature = "staff-pages")]
pub use admin_people::AdminPeoplePage;
#[cfg(feature = "staff-pages")]
pub use admin_rooms::AdminRoomsPage;
#[cfg(feature = "staff-pages")]
pub use attendance::AttendancePage;
#[cfg(feature = "staff-pages")]
pub use camera::CameraPage;
pub use home::HomePage;
#[cfg(feature = "staff-pages")]
pub use inbox::InboxPage;
pub use invite::InvitePage;
#[cfg(feature = "staff-pages")]
pub use invites::InvitesPage;
pub use login::LoginPage;
pub use viewer::ViewerPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nido_shared::{ErrorCode, Timestamp};
use wasm_bindgen::JsValue;

use crate::account::use_account;
use crate::i18n::I18n;
use crate::room::RoomSignals;
use crate::socket::LinkStatus;

/// The room of the current route.
fn route_room() -> String {
    use_params_map()
        .read_untracked()
        .get("room")
        .unwrap_or_default()
}

/// When the server ends the session (logout elsewhere, expiry, a password change), asks
/// who is logged in again, which sends the page to the login form.
fn log_in_again_when_session_ends(signals: RoomSignals) {
    let account = use_account();
    Effect::new(move |_| {
        if signals.status.get() == LinkStatus::Refused(Some(ErrorCode::SessionEnded)) {
            account.refresh();
        }
    });
}

/// Runs `action` on a page-owned value once it exists.
fn with_present<T: 'static>(stored: StoredValue<Option<T>, LocalStorage>, action: impl FnOnce(&T)) {
    stored.with_value(|value| {
        if let Some(value) = value {
            action(value);
        }
    });
}

/// A server time, in the visitor's language and time zone.
pub fn format_time(i18n: I18n, at: Timestamp) -> String {
    let date = crate::clock::js_date(at);
    String::from(date.to_locale_string(i18n.lang().code(), &JsValue::UNDEFINED))
}
