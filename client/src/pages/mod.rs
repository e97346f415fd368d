//! The app's pages, one per route.

mod camera;
mod home;
mod viewer;

pub use camera::CameraPage;
pub use home::HomePage;
pub use viewer::ViewerPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::browser::remembered;

/// Where the display name is kept between visits.
pub const NAME_KEY: &str = "nido.name";
pub const ROOM_KEY: &str = "nido.room";

/// The room of the current route and the remembered display name, if there is one.
fn room_and_name() -> (String, Option<String>) {
    let room = use_params_map()
        .read_untracked()
        .get("room")
        .unwrap_or_default();
    (room, remembered(NAME_KEY))
}

/// Runs `action` on a page-owned value once it exists.
fn with_present<T: 'static>(stored: StoredValue<Option<T>, LocalStorage>, action: impl FnOnce(&T)) {
    stored.with_value(|value| {
        if let Some(value) = value {
            action(value);
        }
    });
}

/// Back to the home form, with this room and role filled in.
fn ask_for_name(room: &str, role: &str) -> AnyView {
    let path = format!("/?room={room}&role={role}");
    view! { <leptos_router::components::Redirect path=path/> }.into_any()
}
