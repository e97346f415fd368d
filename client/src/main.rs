//! Nido's browser app: mounts the router on the page. A panic is written to the browser's
//! console with its message and place, instead of the module just stopping.

mod account;
mod api;
mod app;
mod browser;
mod capture;
mod chat_log;
mod clock;
mod components;
mod frame_painter;
mod i18n;
mod media;
mod pages;
mod problem;
mod room;
mod socket;
mod streamer;
mod wake_lock;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
