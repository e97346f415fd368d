//! Registering through an invite link: see who invites and to what, choose a username, a
//! display name and a password, and be in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use nido_shared::api::{ApiErrorCode, InvitePreview, Registration};

use crate::account::use_account;
use crate::api;
use crate::components::TopBar;
use crate::i18n::{Text, use_i18n};
use crate::problem::failure_text;

#[component]
pub fn InvitePage() -> impl IntoView {
    let i18n = use_i18n();
    let token = use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let preview_path = format!("/api/invite/{token}");
    let preview = LocalResource::new(move || {
        let path = preview_path.clone();
        async move { api::get::<InvitePreview>(&path).await }
    });
    let content = move || {
        preview.get().map(|result| match result {
            Ok(preview) => registration_form(token.clone(), preview).into_any(),
            Err(failure) => {
                let text = match failure.code() {
                    Some(ApiErrorCode::InviteUnavailable) => Text::InviteUnavailable,
                    Some(ApiErrorCode::NotFound) => Text::InviteNotFound,
                    _ => Text::NetworkError,
                };
                view! { <p class="problem" data-testid="invite-problem">{move || i18n.t(text)}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <TopBar/>
        <main class="home">
            <section class="card welcome">
                {move || content().unwrap_or_else(|| view! { <p>{i18n.t(Text::Loading)}</p> }.into_any())}
            </section>
            <p class="privacy-note">{move || i18n.t(Text::Privacy)}</p>
        </main>
    }
}

fn registration_form(token: String, preview: InvitePreview) -> impl IntoView {
    let i18n = use_i18n();
    let account = use_account();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let registration = Registration {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            password: password.get_untracked(),
        };
        let path = format!("/api/invite/{token}/register");
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::act(api::post(&path), Some(&registration)).await {
                Ok(()) => {
                    account.reload().await;
                    navigate("/", Default::default());
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    let rooms = preview.room_names.join(", ");
    view! {
        <h1>{move || format!("{} {}", i18n.t(Text::InvitedAs), i18n.t(Text::role(preview.role)))}</h1>
        <p class="lead">
            {rooms}
            <span class="muted">{move || format!(" · {} {}", i18n.t(Text::InvitedBy), preview.invited_by)}</span>
        </p>
        <form on:submit=submit class="join-form">
            <label>
                <span>{move || i18n.t(Text::DisplayName)}</span>
                <input type="text" data-testid="display-name" autocomplete="name" required maxlength="40"
                    on:input=move |ev| display_name.set(event_target_value(&ev))/>
            </label>
            <label>
                <span>{move || i18n.t(Text::Username)}</span>
                <input type="text" data-testid="username" autocomplete="username" autocapitalize="none"
                    spellcheck="false" required minlength="3" maxlength="32"
                    prop:placeholder=move || i18n.t(Text::UsernameHint)
                    on:input=move |ev| username.set(event_target_value(&ev))/>
            </label>
            <label>
                <span>{move || i18n.t(Text::Password)}</span>
                <input type="password" data-testid="password" autocomplete="new-password" required minlength="8"
                    prop:placeholder=move || i18n.t(Text::PasswordHint)
                    on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            <p class="problem" role="alert" data-testid="problem">{move || problem.get()}</p>
            <button type="submit" class="primary wide" data-testid="register">
                {move || i18n.t(Text::CreateAccount)}
            </button>
        </form>
    }
}
