//! The app shell: language context and the routes (home, camera, viewer).

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{I18n, Text};
use crate::pages::{CameraPage, HomePage, ViewerPage};

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::provide();
    view! {
        <Router>
            <Routes fallback=move || view! { <p class="not-found">{i18n.t(Text::NotFound)}</p> }>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/camera/:room") view=CameraPage/>
                <Route path=path!("/watch/:room") view=ViewerPage/>
            </Routes>
        </Router>
    }
}
