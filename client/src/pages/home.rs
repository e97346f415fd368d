//! Home: pick a room, a role (family viewer or classroom camera) and a display name.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use nido_shared::{DisplayName, RoomId};

use super::{NAME_KEY, ROOM_KEY};
use crate::browser::{remember, remembered};
use crate::components::TopBar;
use crate::i18n::{Text, use_i18n};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let initial_room = query
        .read_untracked()
        .get("room")
        .or_else(|| remembered(ROOM_KEY))
        .unwrap_or_default();
    let room = RwSignal::new(initial_room);
    let name = RwSignal::new(remembered(NAME_KEY).unwrap_or_default());
    let as_camera = RwSignal::new(query.read_untracked().get("role").as_deref() == Some("camera"));
    let problem = RwSignal::new(None::<Text>);
    let navigate = use_navigate();

    let enter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let room_id = room.get_untracked().trim().to_lowercase();
        let Ok(room_id) = RoomId::try_from(room_id) else {
            problem.set(Some(Text::InvalidRoom));
            return;
        };
        let Ok(display_name) = DisplayName::try_from(name.get_untracked()) else {
            problem.set(Some(Text::InvalidName));
            return;
        };
        remember(NAME_KEY, display_name.as_str());
        remember(ROOM_KEY, room_id.as_str());
        let page = if as_camera.get_untracked() {
            "camera"
        } else {
            "watch"
        };
        navigate(&format!("/{page}/{room_id}"), Default::default());
    };

    let role_option = move |camera: bool, title: Text, hint: Text| {
        view! {
            <label class="role-option" class:selected=move || as_camera.get() == camera>
                <input
                    type="radio"
                    name="role"
                    data-testid=if camera { "role-camera" } else { "role-viewer" }
                    prop:checked=move || as_camera.get() == camera
                    on:change=move |_| as_camera.set(camera)
                />
                <span class="role-title">{move || i18n.t(title)}</span>
                <span class="muted">{move || i18n.t(hint)}</span>
            </label>
        }
    };

    view! {
        <TopBar/>
        <main class="home">
            <section class="card welcome">
                <h1>{move || i18n.t(Text::Tagline)}</h1>
                <p class="lead">{move || i18n.t(Text::HomeIntro)}</p>
                <form on:submit=enter class="join-form">
                    <label>
                        <span>{move || i18n.t(Text::RoomLabel)}</span>
                        <input
                            type="text"
                            data-testid="room"
                            autocapitalize="none"
                            spellcheck="false"
                            required
                            maxlength="32"
                            prop:placeholder=move || i18n.t(Text::RoomHint)
                            prop:value=move || room.get()
                            on:input=move |ev| room.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        <span>{move || i18n.t(Text::NameLabel)}</span>
                        <input
                            type="text"
                            data-testid="name"
                            autocomplete="nickname"
                            required
                            maxlength="40"
                            prop:placeholder=move || i18n.t(Text::NameHint)
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                        />
                    </label>
                    <fieldset class="roles">
                        <legend>{move || i18n.t(Text::RoleLabel)}</legend>
                        {role_option(false, Text::RoleViewer, Text::RoleViewerHint)}
                        {role_option(true, Text::RoleCamera, Text::RoleCameraHint)}
                    </fieldset>
                    <p class="problem" role="alert">{move || problem.get().map(|t| i18n.t(t))}</p>
                    <button type="submit" class="primary wide" data-testid="enter">
                        {move || i18n.t(Text::Enter)}
                    </button>
                </form>
            </section>
            <p class="privacy-note">{move || i18n.t(Text::Privacy)}</p>
        </main>
    }
}
