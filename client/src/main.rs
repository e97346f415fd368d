//! Nido's browser app: mounts the router on the page. In the whole app a panic is written to
//! the browser's console with its message and place, instead of the module just stopping;
//! the families' build leaves that out (0.8 KB of a parent's download, brotli), so there a
//! panic shows as the browser's own "unreachable" error.
// The families' build leaves the staff's pages out, and with them the uses of some shared
// helpers and strings; unused code is found in the whole app's build, which clippy checks.
#![cfg_attr(not(feature = "staff-pages"), allow(dead_code, unused_imports))]

mod account;
mod api;
mod app;
mod browser;
mod chat_log;
mod clock;
mod components;
mod i18n;
#[cfg(feature = "staff-pages")]
mod media;
mod pages;
mod problem;
mod room;
mod socket;
#[cfg(feature = "staff-pages")]
mod streamer;
mod video;
#[cfg(feature = "staff-pages")]
mod wake_lock;

fn main() {
    #[cfg(feature = "staff-pages")]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
