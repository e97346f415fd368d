//! Nido's browser app: mounts the router on the page.

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
    leptos::mount::mount_to_body(app::App);
}
