//! The account's two-step sign-in: turning it on (scan, confirm with a code, keep the
//! recovery codes) and off, with the password.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::{
    PasswordConfirmation, RecoveryCodes, SecondFactorCode, SecondFactorSetup, SecondFactorState,
};

use crate::account::use_account;
use crate::api;
use crate::i18n::{I18n, Text, use_i18n};
use crate::problem::failure_text;

/// Where the person is in turning it on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Idle,
    Scanning(SecondFactorSetup),
    ShowingCodes(Vec<String>),
}

#[component]
pub fn SecondFactorCard(state: SecondFactorState) -> impl IntoView {
    let i18n = use_i18n();
    let account = use_account();
    let step = RwSignal::new(Step::Idle);
    let problem = RwSignal::new(None::<String>);
    let owed = state.required && !state.enabled;
    let begin = move |_| {
        spawn_local(async move {
            let setup =
                api::call::<_, SecondFactorSetup>(api::post("/api/me/second-factor/setup"), &())
                    .await;
            match setup {
                Ok(setup) => {
                    problem.set(None);
                    step.set(Step::Scanning(setup));
                }
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    let status = move || {
        if state.enabled {
            format!(
                "{} · {} {}",
                i18n.t(Text::SecondFactorIsOn),
                state.recovery_codes_left,
                i18n.t(Text::RecoveryCodesLeft)
            )
        } else {
            i18n.t(Text::SecondFactorIsOff).to_owned()
        }
    };
    let body = move || {
        match step.get() {
        Step::Idle if state.enabled && !state.required => turn_off_form(i18n).into_any(),
        Step::Idle if state.enabled => ().into_any(),
        Step::Idle => view! {
            <button type="button" class="primary" data-testid="second-factor-on" on:click=begin>
                {move || i18n.t(Text::TurnOn)}
            </button>
        }
        .into_any(),
        Step::Scanning(setup) => scan_form(i18n, setup, step).into_any(),
        Step::ShowingCodes(codes) => view! {
            <div class="stack" data-testid="recovery-codes">
                <h3>{move || i18n.t(Text::RecoveryCodes)}</h3>
                <p>{move || i18n.t(Text::RecoveryCodesHint)}</p>
                <ul class="recovery-codes">
                    {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                </ul>
                <button type="button" class="primary" data-testid="saved-codes"
                    on:click=move |_| account.refresh()>
                    {move || i18n.t(Text::SavedThem)}
                </button>
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <details class="card second-factor" open=owed data-testid="second-factor">
            <summary>
                {move || i18n.t(Text::SecondFactor)}
                <span class="muted" data-testid="second-factor-status">{status}</span>
            </summary>
            {owed.then(|| view! { <p class="notice" role="alert">{move || i18n.t(Text::SecondFactorSetupNeeded)}</p> })}
            <p class="muted">{move || i18n.t(Text::SecondFactorIntro)}</p>
            {body}
            <p class="problem" role="alert">{move || problem.get()}</p>
        </details>
    }
}

/// The QR code and key of a new secret, and the code that confirms it.
fn scan_form(i18n: I18n, setup: SecondFactorSetup, step: RwSignal<Step>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SecondFactorCode {
            code: code.get_untracked(),
        };
        spawn_local(async move {
            let confirmed =
                api::call::<_, RecoveryCodes>(api::post("/api/me/second-factor/confirm"), &body)
                    .await;
            match confirmed {
                Ok(codes) => step.set(Step::ShowingCodes(codes.codes)),
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    view! {
        <form class="stack" on:submit=confirm>
            <p>{move || i18n.t(Text::ScanCode)}</p>
            <div class="qr" inner_html=setup.qr_svg></div>
            <code class="secret" data-testid="second-factor-secret">{setup.secret}</code>
            <label>
                <span>{move || i18n.t(Text::CodeFromApp)}</span>
                <input type="text" inputmode="numeric" autocomplete="one-time-code" required
                    maxlength="6" data-testid="second-factor-code"
                    on:input=move |ev| code.set(event_target_value(&ev))/>
            </label>
            <p class="problem" role="alert">{move || problem.get()}</p>
            <button type="submit" class="primary" data-testid="second-factor-confirm">
                {move || i18n.t(Text::Confirm)}
            </button>
        </form>
    }
}

/// Turning it off, with the password.
fn turn_off_form(i18n: I18n) -> impl IntoView {
    let account = use_account();
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PasswordConfirmation {
            current_password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::act(api::post("/api/me/second-factor/off"), Some(&body)).await {
                Ok(()) => account.refresh(),
                Err(failure) => problem.set(Some(failure_text(i18n, &failure))),
            }
        });
    };
    view! {
        <form class="stack" on:submit=submit>
            <label>
                <span>{move || i18n.t(Text::CurrentPassword)}</span>
                <input type="password" autocomplete="current-password" required
                    on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            <p class="problem" role="alert">{move || problem.get()}</p>
            <button type="submit" class="danger">{move || i18n.t(Text::TurnOff)}</button>
        </form>
    }
}
