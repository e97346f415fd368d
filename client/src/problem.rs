//! What the server refused, said in the person's language: every [`Problem`] the API can
//! name, with its numbers. The server's English `message` is never shown.

use nido_shared::Problem;
use nido_shared::api::ApiErrorCode;

use crate::api::ApiFailure;
use crate::i18n::{I18n, Lang, Text};

/// What to tell someone whose API call failed.
pub fn failure_text(i18n: I18n, failure: &ApiFailure) -> String {
    if let Some(problem) = failure.problem() {
        return describe(i18n.lang(), problem);
    }
    let text = match failure.code() {
        Some(ApiErrorCode::Unauthenticated) => Text::SessionEnded,
        Some(ApiErrorCode::Forbidden | ApiErrorCode::ForeignOrigin) => Text::NotAllowed,
        Some(ApiErrorCode::NotFound) => Text::NotFound,
        Some(ApiErrorCode::TooManyAttempts) => Text::TooManyAttempts,
        Some(ApiErrorCode::Busy) => Text::ServerBusy,
        Some(ApiErrorCode::InvalidCredentials) => Text::WrongCredentials,
        Some(ApiErrorCode::InviteUnavailable) => Text::InviteUnavailable,
        Some(ApiErrorCode::SecondFactorNeeded) => Text::EnterCode,
        Some(ApiErrorCode::WrongSecondFactor) => Text::WrongCode,
        Some(ApiErrorCode::SecondFactorSetupNeeded) => Text::SecondFactorSetupNeeded,
        _ => Text::NetworkError,
    };
    i18n.t(text).to_owned()
}

/// One problem in one language.
fn describe(lang: Lang, problem: &Problem) -> String {
    let es = lang == Lang::Es;
    let pick = |es_text: String, en_text: String| if es { es_text } else { en_text };
    let fixed = |text: Text| text.in_lang(lang).to_owned();
    match problem {
        Problem::UsernameShape { min, max } => pick(
            format!("El usuario tiene de {min} a {max} letras sin tilde, números, «.», «_» o «-»."),
            format!("A username is {min} to {max} letters, digits, '.', '_' or '-'."),
        ),
        Problem::DisplayNameShape { max } => pick(
            format!("El nombre tiene de 1 a {max} caracteres."),
            format!("A name is 1 to {max} characters."),
        ),
        Problem::PasswordLength { min, max } => pick(
            format!("La contraseña tiene de {min} a {max} caracteres."),
            format!("A password is {min} to {max} characters."),
        ),
        Problem::InviteExpiry { max_hours } => pick(
            format!("Una invitación dura de 1 a {max_hours} horas."),
            format!("An invite lasts 1 to {max_hours} hours."),
        ),
        Problem::InviteUses { max } => pick(
            format!("Una invitación es para 1 a {max} personas."),
            format!("An invite is for 1 to {max} people."),
        ),
        Problem::UnknownRole => fixed(Text::NotAllowed),
        Problem::FamilyNeedsRooms => fixed(Text::FamilyNeedsRooms),
        Problem::NoSuchRoom => fixed(Text::NoSuchRoom),
        Problem::WrongCurrentPassword => fixed(Text::WrongCurrentPassword),
        Problem::UsernameTaken => fixed(Text::UsernameTaken),
        Problem::WrongCode => fixed(Text::WrongCode),
        Problem::RoomIdShape { .. }
        | Problem::RoomNameLength { .. }
        | Problem::InviteLimitTooHigh { .. }
        | Problem::RoomIdTaken
        | Problem::LastAdmin
        | Problem::OwnSecondFactorFirst
        | Problem::SecondFactorRequired
        | Problem::NotAFamily
        | Problem::AlreadyCheckedIn
        | Problem::NotCheckedIn
        | Problem::NothingToUndo
        | Problem::StayTimes => staff_problem(lang, problem),
        Problem::MalformedRequest => fixed(Text::NetworkError),
    }
}

/// The problems only the staff's pages meet: their words stay out of the families' build.
#[cfg(feature = "staff-pages")]
fn staff_problem(lang: Lang, problem: &Problem) -> String {
    let pick = |es: String, en: String| if lang == Lang::Es { es } else { en };
    let fixed = |text: Text| text.in_lang(lang).to_owned();
    let both = |es: &str, en: &str| pick(es.to_owned(), en.to_owned());
    match problem {
        Problem::RoomIdShape { max } => pick(
            format!("El identificador usa minúsculas, números y guiones (máx. {max})."),
            format!("A room id uses lowercase letters, digits and dashes (max {max})."),
        ),
        Problem::RoomNameLength { max } => pick(
            format!("El nombre de la sala tiene de 1 a {max} caracteres."),
            format!("A room name is 1 to {max} characters."),
        ),
        Problem::InviteLimitTooHigh { max } => pick(
            format!("Cada familia puede invitar como mucho a {max} personas."),
            format!("Families may invite at most {max} people each."),
        ),
        Problem::RoomIdTaken => fixed(Text::RoomIdTaken),
        Problem::LastAdmin => fixed(Text::LastAdmin),
        Problem::OwnSecondFactorFirst => fixed(Text::OwnSecondFactorFirst),
        Problem::SecondFactorRequired => fixed(Text::SecondFactorRequired),
        Problem::NotAFamily => both(
            "Solo se pueden vincular cuentas de familia.",
            "Only family accounts can be linked.",
        ),
        Problem::AlreadyCheckedIn => both(
            "Ya estaba registrada la llegada.",
            "The arrival was already recorded.",
        ),
        Problem::NotCheckedIn => both(
            "No consta que haya llegado.",
            "There is no arrival to close.",
        ),
        Problem::NothingToUndo => both(
            "No hay nada de hoy que deshacer.",
            "There is nothing of today to undo.",
        ),
        _ => both(
            "La salida va después de la llegada, y ninguna en el futuro.",
            "A departure comes after its arrival, and neither in the future.",
        ),
    }
}

#[cfg(not(feature = "staff-pages"))]
fn staff_problem(lang: Lang, _: &Problem) -> String {
    Text::NotAllowed.in_lang(lang).to_owned()
}
