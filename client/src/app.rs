//! The app shell: language and account context, and the routes. The families' build has
//! no staff pages: it hands those to the whole app, which the server serves for them.

use leptos::prelude::*;
use leptos_router::any_nested_route::{AnyNestedRoute, IntoAnyNestedRoute};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::account::Account;
use crate::components::TopBar;
use crate::i18n::{I18n, Text};
#[cfg(feature = "staff-pages")]
use crate::pages::{
    AdminAuditPage, AdminChildrenPage, AdminPeoplePage, AdminRoomsPage, AttendancePage, CameraPage,
    InboxPage, InvitesPage,
};
use crate::pages::{HomePage, InvitePage, LoginPage, ViewerPage};

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::provide();
    Account::provide();
    view! {
        <Router>
            <Routes fallback=move || not_found(i18n)>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/invite/:token") view=InvitePage/>
                <Route path=path!("/watch/:room") view=ViewerPage/>
                <WholeAppRoutes/>
            </Routes>
        </Router>
    }
}

/// The pages only the whole app has: the staff's, and making invites.
#[cfg(feature = "staff-pages")]
#[component(transparent)]
fn WholeAppRoutes() -> AnyNestedRoute {
    view! {
        <Route path=path!("/admin/rooms") view=AdminRoomsPage/>
        <Route path=path!("/admin/people") view=AdminPeoplePage/>
        <Route path=path!("/admin/children") view=AdminChildrenPage/>
        <Route path=path!("/admin/audit") view=AdminAuditPage/>
        <Route path=path!("/camera/:room") view=CameraPage/>
        <Route path=path!("/attendance/:room") view=AttendancePage/>
        <Route path=path!("/inbox/:room") view=InboxPage/>
        <Route path=path!("/invites") view=InvitesPage/>
    }
    .into_inner()
    .into_any_nested_route()
}

/// In the families' build, those pages load the whole app.
#[cfg(not(feature = "staff-pages"))]
#[component(transparent)]
fn WholeAppRoutes() -> AnyNestedRoute {
    view! {
        <Route path=path!("/admin/*page") view=LoadWholeApp/>
        <Route path=path!("/camera/:room") view=LoadWholeApp/>
        <Route path=path!("/attendance/:room") view=LoadWholeApp/>
        <Route path=path!("/inbox/:room") view=LoadWholeApp/>
        <Route path=path!("/invites") view=LoadWholeApp/>
    }
    .into_inner()
    .into_any_nested_route()
}

/// A page of the whole app reached from a families' page: loaded again from the server, which serves
/// the whole app for it (`nido_shared::app_build`).
#[cfg(not(feature = "staff-pages"))]
#[component]
fn LoadWholeApp() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    // The router's location, not the browser's: the address bar may not show the new page
    // yet while it is drawn.
    let location = leptos_router::hooks::use_location();
    let page = format!(
        "{}{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked(),
        location.hash.get_untracked()
    );
    let _ = window().location().assign(&page);
    view! { <p class="loading">{move || i18n.t(Text::Loading)}</p> }
}

/// A page the app does not have.
fn not_found(i18n: I18n) -> impl IntoView {
    view! {
        <TopBar/>
        <main class="home">
            <section class="card not-found">
                <p>{move || i18n.t(Text::NotFound)}</p>
                <a class="button primary" href="/" data-testid="back-home">{move || i18n.t(Text::MyRooms)}</a>
            </section>
        </main>
    }
}
