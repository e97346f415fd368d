//! The login page: username and password (and the two-step code when the account has it),
//! then back where the visitor was going.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use nido_shared::api::{ApiErrorCode, LoginRequest};

use crate::account::use_account;
use crate::api;
use crate::components::TopBar;
use crate::i18n::{Text, use_i18n};
use crate::problem::failure_text;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let account = use_account();
    let navigate = use_navigate();
    let next = use_query_map()
        .read_untracked()
        .get("next")
        .filter(|path| is_own_path(path))
        .unwrap_or_else(|| "/".to_owned());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    // Asked for once the server says the password is right and the account has two steps.
    let asks_code = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
            code: asks_code
                .get_untracked()
                .then(|| code.get_untracked())
                .filter(|code| !code.trim().is_empty()),
        };
        let (navigate, next) = (navigate.clone(), next.clone());
        busy.set(true);
        spawn_local(async move {
            let result = api::act(api::post("/api/login"), Some(&request)).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    account.reload().await;
                    navigate(&next, Default::default());
                }
                Err(failure) if failure.code() == Some(ApiErrorCode::SecondFactorNeeded) => {
                    asks_code.set(true);
                    problem.set(Some(i18n.t(Text::EnterCode).to_owned()));
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };

    view! {
        <TopBar/>
        <main class="home">
            <section class="card welcome">
                <h1>{move || i18n.t(Text::LoginTitle)}</h1>
                <p class="lead">{move || i18n.t(Text::LoginIntro)}</p>
                <form on:submit=submit class="join-form">
                    <label>
                        <span>{move || i18n.t(Text::Username)}</span>
                        <input type="text" data-testid="username" autocomplete="username"
                            autocapitalize="none" spellcheck="false" required maxlength="32"
                            on:input=move |ev| username.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{move || i18n.t(Text::Password)}</span>
                        <input type="password" data-testid="password" autocomplete="current-password"
                            required on:input=move |ev| password.set(event_target_value(&ev))/>
                    </label>
                    <Show when=move || asks_code.get()>
                        <label>
                            <span>{move || i18n.t(Text::LoginCode)}</span>
                            <input type="text" data-testid="login-code" autocomplete="one-time-code"
                                autocapitalize="none" spellcheck="false" required maxlength="16" autofocus
                                on:input=move |ev| code.set(event_target_value(&ev))/>
                        </label>
                    </Show>
                    <p class="problem" role="alert" data-testid="problem">{move || problem.get()}</p>
                    <button type="submit" class="primary wide" data-testid="log-in" disabled=move || busy.get()>
                        {move || i18n.t(Text::LogIn)}
                    </button>
                </form>
                <p class="muted">{move || i18n.t(Text::NoAccountHint)}</p>
            </section>
            <p class="privacy-note">{move || i18n.t(Text::Privacy)}</p>
        </main>
    }
}

/// Whether `next` is a path of Nido itself, so that logging in never sends anyone to
/// another site: it starts with one `/`, and holds no backslash (browsers read `/\evil` as
/// `//evil`), no control character and no space.
fn is_own_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::is_own_path;

    #[test]
    fn only_paths_of_nido_itself_are_followed() {
        for own in ["/", "/watch/sala-1", "/admin/audit?room=sala-1#x"] {
            assert!(is_own_path(own), "{own}");
        }
        for foreign in [
            "//evil.example",
            // `next=/%5Cevil.example`, as the query decodes it.
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!is_own_path(foreign), "{foreign}");
        }
    }
}
