//! The app shell: language and account context, and the routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::account::Account;
use crate::components::TopBar;
use crate::i18n::{I18n, Text};
use crate::pages::{
    AdminAuditPage, AdminPeoplePage, AdminRoomsPage, CameraPage, HomePage, InvitePage, InvitesPage,
    LoginPage, ViewerPage,
};

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::provide();
    Account::provide();
    view! {
        <Router>
            <Routes fallback=move || view! {
                <TopBar/>
                <main class="home">
                    <section class="card not-found">
                        <p>{move || i18n.t(Text::NotFound)}</p>
                        <a class="button primary" href="/" data-testid="back-home">{move || i18n.t(Text::MyRooms)}</a>
                    </section>
                </main>
            }>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/invite/:token") view=InvitePage/>
                <Route path=path!("/invites") view=InvitesPage/>
                <Route path=path!("/admin/rooms") view=AdminRoomsPage/>
                <Route path=path!("/admin/people") view=AdminPeoplePage/>
                <Route path=path!("/admin/audit") view=AdminAuditPage/>
                <Route path=path!("/camera/:room") view=CameraPage/>
                <Route path=path!("/watch/:room") view=ViewerPage/>
            </Routes>
        </Router>
    }
}
