//! The JSON bodies of the HTTP API under `/api` (described in `docs/api.md`).
//!
//! Times are microseconds since the UNIX epoch, like the WebSocket protocol's.

use serde::{Deserialize, Serialize};

use crate::attendance::ChildToday;

use crate::{
    DisplayName, InviteId, Opening, Problem, Role, RoomId, Timestamp, UserId, UserRole, Username,
    WeeklySchedule,
};

/// Every error answer's body: a stable code to switch on, for `invalid_input` and
/// `conflict` the [`Problem`] to show the person in their language, and an English
/// sentence for developers (never shown in the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ApiErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    pub message: String,
}

/// Why an API request failed. The JSON form (`snake_case`) never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    /// No valid session: log in (401).
    Unauthenticated,
    /// Wrong username or password, said the same way for both (401).
    InvalidCredentials,
    /// Too many failed logins: wait for `Retry-After` seconds (429).
    TooManyAttempts,
    /// Logged in, but this is not yours to see or do (403).
    Forbidden,
    /// A request from a page of another origin (403).
    ForeignOrigin,
    /// No such room, person or invite (404).
    NotFound,
    /// The invite expired, was used up or was revoked (410).
    InviteUnavailable,
    /// The body or a parameter is malformed; the message says which (400 or 422).
    InvalidInput,
    /// The username or room id is taken (409).
    Conflict,
    /// The server is too busy for this now: wait for `Retry-After` seconds (503).
    Busy,
    /// The server failed; details are in its log, never in the answer (500).
    Internal,
    /// The password is right and the account has two-step sign-in: send the login again
    /// with `code` (401).
    SecondFactorNeeded,
    /// The password is right but the two-step code (or recovery code) is not, or was
    /// already used (401).
    WrongSecondFactor,
    /// Staff must set up two-step sign-in (the admins require it) before anything but
    /// their own account page (403).
    SecondFactorSetupNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the authenticator app, or one recovery code, for an account with
    /// two-step sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Two-step sign-in of the logged-in person (`Me::second_factor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorState {
    /// Whether logging in asks for a code.
    pub enabled: bool,
    /// Whether the admins require it of this person (staff, when the setting is on).
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

/// A new authenticator secret, not in force until confirmed with a code from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorSetup {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub otpauth_url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// A code from the authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorCode {
    pub code: String,
}

/// The recovery codes, shown once: each logs in once in place of the app's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// Turning two-step sign-in off needs the password again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordConfirmation {
    pub current_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// The logged-in person and the rooms they may enter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: UserRole,
    pub rooms: Vec<RoomSummary>,
    /// How many more people this person may invite; `None` means no limit (staff).
    pub invites_left: Option<u32>,
    pub second_factor: SecondFactorState,
    /// Nido's https address (`--public-url`), for pages opened over plain http that need a
    /// secure one (the camera).
    #[serde(default)]
    pub secure_address: Option<String>,
    /// A family's children in its rooms and their day so far; empty for staff.
    #[serde(default)]
    pub children: Vec<ChildToday>,
}

/// A room as its members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub id: RoomId,
    pub name: String,
    pub schedule: WeeklySchedule,
    /// Whether families may watch right now.
    pub open_now: bool,
    /// When it next opens, while closed.
    pub opens_at: Option<Opening>,
    /// Families see the picture only while one of their children is checked in here.
    #[serde(default)]
    pub attendance_required: bool,
    /// Each family viewer draws its own name and the time over the picture.
    #[serde(default)]
    pub watermark: bool,
}

/// A new room (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRoom {
    pub id: RoomId,
    pub name: String,
    #[serde(default)]
    pub schedule: WeeklySchedule,
}

/// Changes to a room (admin); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<WeeklySchedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendance_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<bool>,
}

/// A family account of a room, as the room's staff see it for its private threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomFamily {
    pub id: UserId,
    pub name: DisplayName,
    /// The other family accounts whose threads the staff added it to.
    pub guest_of: Vec<UserId>,
}

/// Someone with an account (admin view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: UserRole,
    pub rooms: Vec<RoomId>,
    pub revoked: bool,
    /// Too many failed logins in a row: only a trusted device or an admin's unlock lets
    /// them in again.
    pub locked: bool,
    /// Who made the invite they registered with.
    #[serde(default)]
    pub invited_by: Option<DisplayName>,
    pub created_at_us: Timestamp,
    /// Whether logging in asks them for a two-step code.
    #[serde(default)]
    pub second_factor: bool,
}

/// Changes to a person (admin); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<UserRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rooms: Option<Vec<RoomId>>,
}

/// A new invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub role: UserRole,
    pub rooms: Vec<RoomId>,
    /// Hours until the link stops working (1 to 720).
    pub expires_in_hours: u32,
    /// How many people may use the link (1 to 100).
    pub max_uses: u32,
}

/// An invite as its creator and the admins see it; the link itself is shown only once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub id: InviteId,
    pub role: UserRole,
    pub rooms: Vec<RoomId>,
    pub created_by: DisplayName,
    pub created_at_us: Timestamp,
    pub expires_at_us: Timestamp,
    pub max_uses: u32,
    pub uses: u32,
    pub revoked: bool,
}

/// The answer to creating an invite: the only time its secret token is revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub invite: Invite,
    /// The path to open, `/invite/<token>`, to be put after the server's address.
    pub path: String,
    /// The whole link at Nido's public address (`--public-url`), when it has one.
    #[serde(default)]
    pub url: Option<String>,
}

/// What the invite page shows before the invitee registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub role: UserRole,
    pub room_names: Vec<String>,
    pub invited_by: DisplayName,
    pub expires_at_us: Timestamp,
}

/// Registering through an invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// One viewing session in the audit log: someone in a room from `started` to `ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: UserId,
    pub username: Username,
    pub display_name: DisplayName,
    pub room: RoomId,
    pub role: Role,
    pub client_addr: String,
    pub started_at_us: Timestamp,
    /// `None` while the session is still open.
    pub ended_at_us: Option<Timestamp>,
}

/// Filters for the audit log; all optional, combined with "and".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Username>,
    /// Sessions that were open at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_us: Option<Timestamp>,
    /// Sessions that started before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_us: Option<Timestamp>,
}

/// What a security event records. The JSON form (`snake_case`) never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    /// A login with a wrong username or password (`account`: the username tried).
    LoginFailed,
    /// A join refused: the room is not theirs, or not in that role (`room`, `role`).
    JoinRefused,
    /// `rooms`, `role` and `amount` (its uses) of a new invite.
    InviteCreated,
    /// `amount`: the invite's id.
    InviteRevoked,
    /// `account` lost access.
    PersonRevoked,
    /// `account`'s `role` and/or `rooms` changed to these.
    PersonChanged,
    /// `account`'s failed-login lock was lifted.
    PersonUnlocked,
    RoomCreated,
    /// `room` was renamed.
    RoomRenamed,
    /// `room`'s viewing hours changed.
    HoursChanged,
    RoomDeleted,
    /// Message number `amount` of `room` was deleted.
    ChatDeleted,
    /// `account` was muted in `room` for `amount` minutes.
    Muted,
    /// `account` turned two-step sign-in on.
    SecondFactorEnabled,
    /// `account` turned two-step sign-in off, or an admin reset it.
    SecondFactorDisabled,
    /// `account` logged in with a recovery code; `amount` are left.
    RecoveryCodeUsed,
    /// Whether staff must use two-step sign-in changed (`amount`: 1 on, 0 off).
    SettingsChanged,
    /// `room`'s families now see its picture only while a child of theirs is checked in
    /// (`amount` 1), or whenever the hours allow again (0).
    AttendanceRuleChanged,
    /// `room`'s watermark turned on (`amount` 1) or off (0).
    WatermarkChanged,
    /// Child number `amount` of `room` was added, changed (its name, room or family
    /// accounts) or removed.
    ChildChanged,
    /// An admin corrected stay number `amount` of a child of `room`: changed, added or
    /// removed.
    AttendanceCorrected,
    /// The room's staff added family account `account` to another family account's private
    /// thread in `room` (`amount` 1), or took it off (0).
    ThreadGuestChanged,
}

impl SecurityEventKind {
    pub const ALL: [Self; 22] = [
        Self::LoginFailed,
        Self::JoinRefused,
        Self::InviteCreated,
        Self::InviteRevoked,
        Self::PersonRevoked,
        Self::PersonChanged,
        Self::PersonUnlocked,
        Self::RoomCreated,
        Self::RoomRenamed,
        Self::HoursChanged,
        Self::RoomDeleted,
        Self::ChatDeleted,
        Self::Muted,
        Self::SecondFactorEnabled,
        Self::SecondFactorDisabled,
        Self::RecoveryCodeUsed,
        Self::SettingsChanged,
        Self::AttendanceRuleChanged,
        Self::WatermarkChanged,
        Self::ChildChanged,
        Self::AttendanceCorrected,
        Self::ThreadGuestChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginFailed => "login_failed",
            Self::JoinRefused => "join_refused",
            Self::InviteCreated => "invite_created",
            Self::InviteRevoked => "invite_revoked",
            Self::PersonRevoked => "person_revoked",
            Self::PersonChanged => "person_changed",
            Self::PersonUnlocked => "person_unlocked",
            Self::RoomCreated => "room_created",
            Self::RoomRenamed => "room_renamed",
            Self::HoursChanged => "hours_changed",
            Self::RoomDeleted => "room_deleted",
            Self::ChatDeleted => "chat_deleted",
            Self::Muted => "muted",
            Self::SecondFactorEnabled => "second_factor_enabled",
            Self::SecondFactorDisabled => "second_factor_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SettingsChanged => "settings_changed",
            Self::AttendanceRuleChanged => "attendance_rule_changed",
            Self::WatermarkChanged => "watermark_changed",
            Self::ChildChanged => "child_changed",
            Self::AttendanceCorrected => "attendance_corrected",
            Self::ThreadGuestChanged => "thread_guest_changed",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The event in words, for the app and the CSV export alike.
    pub fn label(self, lang: ExportLanguage) -> &'static str {
        let (es, en) = match self {
            Self::LoginFailed => ("Inicio de sesión fallido", "Failed login"),
            Self::JoinRefused => ("Entrada a sala rechazada", "Room entry refused"),
            Self::InviteCreated => ("Invitación creada", "Invite created"),
            Self::InviteRevoked => ("Invitación revocada", "Invite revoked"),
            Self::PersonRevoked => ("Acceso revocado", "Access revoked"),
            Self::PersonChanged => ("Papel o salas cambiados", "Role or rooms changed"),
            Self::PersonUnlocked => ("Cuenta desbloqueada", "Account unlocked"),
            Self::RoomCreated => ("Sala creada", "Room created"),
            Self::RoomRenamed => ("Sala renombrada", "Room renamed"),
            Self::HoursChanged => ("Horario cambiado", "Viewing hours changed"),
            Self::RoomDeleted => ("Sala eliminada", "Room deleted"),
            Self::ChatDeleted => ("Mensaje borrado", "Message deleted"),
            Self::Muted => ("Familiar silenciado", "Family member muted"),
            Self::SecondFactorEnabled => (
                "Verificación en dos pasos activada",
                "Two-step sign-in turned on",
            ),
            Self::SecondFactorDisabled => (
                "Verificación en dos pasos desactivada",
                "Two-step sign-in turned off",
            ),
            Self::RecoveryCodeUsed => ("Código de recuperación usado", "Recovery code used"),
            Self::SettingsChanged => ("Ajustes cambiados", "Settings changed"),
            Self::AttendanceRuleChanged => (
                "Visionado ligado a la asistencia cambiado",
                "Viewing tied to attendance changed",
            ),
            Self::WatermarkChanged => ("Marca de agua cambiada", "Watermark changed"),
            Self::ChildChanged => ("Ficha de niño o niña cambiada", "Child's record changed"),
            Self::AttendanceCorrected => ("Asistencia corregida", "Attendance corrected"),
            Self::ThreadGuestChanged => (
                "Lectores de una conversación privada cambiados",
                "Private conversation's readers changed",
            ),
        };
        match lang {
            ExportLanguage::Es => es,
            ExportLanguage::En => en,
        }
    }
}

/// One security event: who did what, to whom or where, from which address, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub id: i64,
    pub at_us: Timestamp,
    pub kind: SecurityEventKind,
    /// Who did it; `None` when nobody was logged in (a failed login).
    pub actor: Option<Username>,
    pub actor_name: Option<DisplayName>,
    /// The account it concerns, by username (for a failed login, the one tried).
    pub account: Option<String>,
    pub room: Option<RoomId>,
    pub role: Option<UserRole>,
    #[serde(default)]
    pub rooms: Vec<RoomId>,
    /// Minutes of a mute, a message's number, an invite's uses or id (see the kind).
    pub amount: Option<i64>,
    pub client_addr: String,
}

/// Filters for the security events; all optional, combined with "and".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEventFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SecurityEventKind>,
    /// Events by this username or about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_us: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_us: Option<Timestamp>,
}

/// The language of a CSV export's headers and words (`?lang=es` or `en`; Spanish if absent),
/// and of the words the app takes from this crate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportLanguage {
    #[default]
    Es,
    En,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    #[serde(default)]
    pub lang: ExportLanguage,
}

/// Settings an admin can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// How many relatives each family member may invite to their own rooms; 0 disables it.
    pub family_invite_limit: u32,
    /// Whether admins and caregivers must log in with two-step sign-in (TOTP). Turning it
    /// on needs the admin's own two-step sign-in first.
    #[serde(default)]
    pub staff_second_factor: bool,
    /// The time zone viewing hours are read in: set when starting the server, so an
    /// update ignores it.
    #[serde(default)]
    pub time_zone: String,
}
