//! The app shell: language and account context, and the routes. The families' build has
//! no staff pages: it hands those to the whole app, which the server serves for them.

use leptos::prelude::*;
use leptos_router::any_nested_route::{AnyNestedRoute, IntoAnyNestedRoute};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::account::Account;
use crate::components::TopBar;
use crate::i18n::{I18n, Text};
#[cfg(feature = "staff-pages")]
use crate::pages::{AdminAuditPage, AdminPeoplePage, AdminRoomsPage, CameraPage};
use crate::pages::{HomePage, InvitePage, InvitesPage, LoginPage, ViewerPage};

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::provide();
    Account::provide();
    view! {
        <Router>
            <Routes fallback=move || not_here(i18n)>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/invite/:token") view=InvitePage/>
                <Route path=path!("/invites") view=InvitesPage/>
                <Route path=path!("/watch/:room") view=ViewerPage/>
                <StaffRoutes/>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "staff-pages")]
#[component(transparent)]
fn StaffRoutes() -> AnyNestedRoute {
    view! {
        <Route path=path!("/admin/rooms") view=AdminRoomsPage/>
        <Route path=path!("/admin/people") view=AdminPeoplePage/>
        <Route path=path!("/admin/audit") view=AdminAuditPage/>
        <Route path=path!("/camera/:room") view=CameraPage/>
    }
    .into_inner()
    .into_any_nested_route()
}

#[cfg(not(feature = "staff-pages"))]
#[component(transparent)]
fn StaffRoutes() -> AnyNestedRoute {
    ().into_any_nested_route()
}

/// A page this build does not have: a staff page is loaded from the server, which serves
/// the whole app for it; anything else is not found.
fn not_here(i18n: I18n) -> AnyView {
    let path = use_location().pathname.get_untracked();
    if !cfg!(feature = "staff-pages") && nido_shared::app_build::is_staff_page(&path) {
        let _ = window().location().reload();
        return view! { <p class="loading">{move || i18n.t(Text::Loading)}</p> }.into_any();
    }
    view! {
        <TopBar/>
        <main class="home">
            <section class="card not-found">
                <p>{move || i18n.t(Text::NotFound)}</p>
                <a class="button primary" href="/" data-testid="back-home">{move || i18n.t(Text::MyRooms)}</a>
            </section>
        </main>
    }
    .into_any()
}
