//! The interface's words in Spanish and English: picked from the browser's language,
//! switchable, and remembered.

use leptos::prelude::*;

use crate::browser::{remember, remembered, window};

const LANGUAGE_KEY: &str = "nido.language";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code.get(..2)?.to_ascii_lowercase().as_str() {
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The remembered choice, else the browser's first language we speak, else Spanish.
    fn detect() -> Self {
        if let Some(lang) = remembered(LANGUAGE_KEY)
            .as_deref()
            .and_then(Self::from_code)
        {
            return lang;
        }
        let navigator = window().navigator();
        navigator
            .languages()
            .iter()
            .filter_map(|l| l.as_string())
            .chain(navigator.language())
            .find_map(|code| Self::from_code(&code))
            .unwrap_or(Self::Es)
    }
}

/// The current language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

impl I18n {
    pub fn provide() -> Self {
        let i18n = Self {
            lang: RwSignal::new(Lang::detect()),
        };
        Effect::new(move |_| {
            let lang = i18n.lang.get();
            if let Some(root) = window().document().and_then(|d| d.document_element()) {
                let _ = root.set_attribute("lang", lang.code());
            }
        });
        provide_context(i18n);
        i18n
    }

    pub fn lang(self) -> Lang {
        self.lang.get()
    }

    pub fn set(self, lang: Lang) {
        remember(LANGUAGE_KEY, lang.code());
        self.lang.set(lang);
    }

    /// The current language as the shared crate names it, for the words it holds.
    pub fn shared_lang(self) -> nido_shared::api::ExportLanguage {
        match self.lang() {
            Lang::Es => nido_shared::api::ExportLanguage::Es,
            Lang::En => nido_shared::api::ExportLanguage::En,
        }
    }

    /// The text in the current language; reactive when read inside a view.
    pub fn t(self, text: Text) -> &'static str {
        text.in_lang(self.lang.get())
    }

    /// One of two sentences, Spanish or English, in the current language; reactive. For
    /// the staff pages' own sentences: written where they are used, they stay out of the
    /// families' build, which every `Text` is part of.
    pub fn pick(self, es: &'static str, en: &'static str) -> &'static str {
        match self.lang() {
            Lang::Es => es,
            Lang::En => en,
        }
    }

    /// "Opens Monday 07:00", or that the room has no viewing hours at all.
    pub fn opening(self, opens_at: Option<nido_shared::Opening>) -> String {
        match opens_at {
            Some(opening) => format!(
                "{} {} {}",
                self.t(Text::OpensOn),
                self.t(Text::weekday(opening.weekday)),
                opening.at
            ),
            None => self.t(Text::NeverOpens).to_owned(),
        }
    }
}

impl Text {
    pub fn weekday(day: nido_shared::Weekday) -> Self {
        use nido_shared::Weekday::*;
        match day {
            Monday => Self::Monday,
            Tuesday => Self::Tuesday,
            Wednesday => Self::Wednesday,
            Thursday => Self::Thursday,
            Friday => Self::Friday,
            Saturday => Self::Saturday,
            Sunday => Self::Sunday,
        }
    }

    pub fn role(role: nido_shared::UserRole) -> Self {
        match role {
            nido_shared::UserRole::Admin => Self::RoleAdmin,
            nido_shared::UserRole::Caregiver => Self::RoleCaregiver,
            nido_shared::UserRole::Family => Self::RoleFamily,
        }
    }
}

/// A number as people read it here: whole. Formatting an `f64` would link the standard
/// library's float formatting into the app, about 14 KB of its download.
pub fn whole_number(value: f64) -> i64 {
    value.round() as i64
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// Every sentence the interface shows. Those only the staff's pages show are left out of
/// the families' build, which a parent's phone downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    #[cfg(feature = "staff-pages")]
    InvalidRoom,
    NotFound,
    Room,
    Connecting,
    Connected,
    Reconnecting,
    Offline,
    CameraLive,
    CameraPaused,
    CameraOff,
    CameraOffHint,
    CameraPausedHint,
    WaitingForPicture,
    WentHomeAt,
    ArrivedAt,
    MyChildren,
    Attendance,
    NotArrivedYet,
    NoChildHere,
    AttendanceHint,
    WatermarkNote,
    Watching,
    NobodyWatching,
    Fullscreen,
    FramesPerSecond,
    Delay,
    Chat,
    MessageTheStaff,
    Inbox,
    PrivateNote,
    SeenByRoom,
    ChatPlaceholder,
    ChatEmpty,
    Send,
    ChatClosed,
    Caregiver,
    You,
    #[cfg(feature = "staff-pages")]
    Camera,
    #[cfg(feature = "staff-pages")]
    Resolution,
    #[cfg(feature = "staff-pages")]
    FrameRate,
    #[cfg(feature = "staff-pages")]
    Quality,
    #[cfg(feature = "staff-pages")]
    Start,
    #[cfg(feature = "staff-pages")]
    Stop,
    #[cfg(feature = "staff-pages")]
    Pause,
    #[cfg(feature = "staff-pages")]
    Resume,
    #[cfg(feature = "staff-pages")]
    Sent,
    #[cfg(feature = "staff-pages")]
    AlsoJpeg,
    DataSaver,
    DataSaverHint,
    #[cfg(feature = "staff-pages")]
    PreviewIdle,
    #[cfg(feature = "staff-pages")]
    PermissionDenied,
    #[cfg(feature = "staff-pages")]
    NoCamera,
    #[cfg(feature = "staff-pages")]
    CameraInUse,
    #[cfg(feature = "staff-pages")]
    InsecureContext,
    #[cfg(feature = "staff-pages")]
    CameraFailed,
    #[cfg(feature = "staff-pages")]
    CameraBusyElsewhere,
    #[cfg(feature = "staff-pages")]
    CameraReplaced,
    Refused,
    Privacy,
    Loading,
    LoginTitle,
    LoginIntro,
    Username,
    UsernameHint,
    Password,
    PasswordHint,
    LogIn,
    LogOut,
    WrongCredentials,
    TooManyAttempts,
    NetworkError,
    NoAccountHint,
    MyRooms,
    NoRooms,
    Watch,
    Stream,
    OpenNow,
    ClosedNow,
    OpensOn,
    NeverOpens,
    Administration,
    Rooms,
    People,
    Invites,
    AuditLog,
    #[cfg(feature = "staff-pages")]
    OnlyStaffStream,
    LoopbackInviteLink,
    InsecureConnection,
    #[cfg(feature = "staff-pages")]
    ViewingSessions,
    #[cfg(feature = "staff-pages")]
    SecurityEvents,
    #[cfg(feature = "staff-pages")]
    Event,
    #[cfg(feature = "staff-pages")]
    When,
    #[cfg(feature = "staff-pages")]
    By,
    #[cfg(feature = "staff-pages")]
    Details,
    #[cfg(feature = "staff-pages")]
    MinutesUnit,
    #[cfg(feature = "staff-pages")]
    MessageNumber,
    #[cfg(feature = "staff-pages")]
    UsesUnit,
    #[cfg(feature = "staff-pages")]
    InviteNumber,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
    RoleAdmin,
    RoleCaregiver,
    RoleFamily,
    InvitedAs,
    InvitedBy,
    DisplayName,
    CreateAccount,
    InviteUnavailable,
    InviteNotFound,
    UsernameTaken,
    NewInvite,
    Role,
    ExpiresInHours,
    Uses,
    Create,
    Copy,
    Copied,
    InviteLinkHint,
    Revoke,
    Revoked,
    Expired,
    Expires,
    InvitesLeft,
    NotAllowed,
    #[cfg(feature = "staff-pages")]
    RoomId,
    #[cfg(feature = "staff-pages")]
    RoomName,
    #[cfg(feature = "staff-pages")]
    ViewingHours,
    #[cfg(feature = "staff-pages")]
    TimeZone,
    Save,
    #[cfg(feature = "staff-pages")]
    Saved,
    #[cfg(feature = "staff-pages")]
    Delete,
    #[cfg(feature = "staff-pages")]
    ConfirmDelete,
    #[cfg(feature = "staff-pages")]
    Unlock,
    #[cfg(feature = "staff-pages")]
    Locked,
    #[cfg(feature = "staff-pages")]
    RevokedPerson,
    #[cfg(feature = "staff-pages")]
    ConfirmRevoke,
    #[cfg(feature = "staff-pages")]
    FamilyInviteLimit,
    #[cfg(feature = "staff-pages")]
    From,
    #[cfg(feature = "staff-pages")]
    To,
    #[cfg(feature = "staff-pages")]
    ExportCsv,
    #[cfg(feature = "staff-pages")]
    Started,
    #[cfg(feature = "staff-pages")]
    Ended,
    #[cfg(feature = "staff-pages")]
    Address,
    #[cfg(feature = "staff-pages")]
    Ongoing,
    NoEntries,
    CameraClosed,
    NoAccess,
    Sending,
    NotSent,
    Retry,
    DeleteMessage,
    MuteFor,
    Minutes15,
    Hour1,
    Day1,
    ChangePassword,
    CurrentPassword,
    NewPassword,
    PasswordChanged,
    WrongCurrentPassword,
    SessionEnded,
    ServerBusy,
    FamilyNeedsRooms,
    NoSuchRoom,
    #[cfg(feature = "staff-pages")]
    RoomIdTaken,
    #[cfg(feature = "staff-pages")]
    LastAdmin,
    WrongCode,
    #[cfg(feature = "staff-pages")]
    OwnSecondFactorFirst,
    #[cfg(feature = "staff-pages")]
    SecondFactorRequired,
    SecondFactorSetupNeeded,
    EnterCode,
    LoginCode,
    SecondFactor,
    SecondFactorIntro,
    SecondFactorIsOn,
    SecondFactorIsOff,
    TurnOn,
    TurnOff,
    ScanCode,
    CodeFromApp,
    Confirm,
    RecoveryCodes,
    RecoveryCodesHint,
    SavedThem,
    RecoveryCodesLeft,
    #[cfg(feature = "staff-pages")]
    RequireStaffSecondFactor,
    #[cfg(feature = "staff-pages")]
    ResetSecondFactor,
    #[cfg(feature = "staff-pages")]
    ConfirmResetSecondFactor,
    #[cfg(feature = "staff-pages")]
    TwoStepBadge,
    #[cfg(feature = "staff-pages")]
    TimeFormat,
    FamiliesSeeClosed,
    MutedUntil,
    MutedInChat,
    Until,
    Unmute,
    #[cfg(feature = "staff-pages")]
    ControlHint,
    #[cfg(feature = "staff-pages")]
    OpenSecurely,
    UsedUp,
    #[cfg(feature = "staff-pages")]
    ClosesBeforeOpening,
}

impl Text {
    pub fn in_lang(self, lang: Lang) -> &'static str {
        let (es, en) = self.both();
        match lang {
            Lang::Es => es,
            Lang::En => en,
        }
    }

    fn both(self) -> (&'static str, &'static str) {
        use Text::*;
        match self {
            #[cfg(feature = "staff-pages")]
            InvalidRoom => (
                "La sala usa minúsculas, números y guiones (máx. 32).",
                "Room ids use lowercase letters, digits and dashes (max 32).",
            ),
            NotFound => ("Esta página no existe.", "This page does not exist."),
            Room => ("Sala", "Room"),
            Connecting => ("Conectando…", "Connecting…"),
            Connected => ("Conectado", "Connected"),
            Reconnecting => ("Sin conexión, reintentando…", "Connection lost, retrying…"),
            Offline => ("Desconectado", "Disconnected"),
            CameraLive => ("En directo", "Live"),
            CameraPaused => ("En pausa", "Paused"),
            CameraOff => ("Cámara apagada", "Camera off"),
            CameraOffHint => (
                "La imagen aparecerá en cuanto la sala encienda la cámara.",
                "The picture appears as soon as the classroom turns the camera on.",
            ),
            CameraPausedHint => (
                "Las educadoras han pausado la cámara un momento.",
                "The caregivers paused the camera for a moment.",
            ),
            WaitingForPicture => ("Esperando la imagen…", "Waiting for the picture…"),
            WentHomeAt => ("se fue a casa a las", "went home at"),
            MyChildren => ("Mis peques hoy", "My children today"),
            Attendance => ("Asistencia", "Attendance"),
            ArrivedAt => ("llegó a las", "arrived at"),
            NotArrivedYet => ("todavía no ha llegado", "has not arrived yet"),
            NoChildHere => (
                "Tu familia no tiene peques en esta sala.",
                "Your family has no child in this room.",
            ),
            AttendanceHint => (
                "Aquí ves la imagen mientras tu peque está en la sala.",
                "Here you see the picture while your child is in the room.",
            ),
            WatermarkNote => (
                "Tu nombre y la hora van sobre la imagen: salen otros peques también.",
                "Your name and the time are on the picture: other children are in it too.",
            ),
            Watching => ("mirando", "watching"),
            NobodyWatching => ("Nadie mirando todavía", "Nobody watching yet"),
            Fullscreen => ("Pantalla completa", "Full screen"),
            FramesPerSecond => ("fps", "fps"),
            Delay => ("retraso", "delay"),
            Chat => ("Chat de la sala", "Room chat"),
            MessageTheStaff => ("Mensajes al equipo", "Message the staff"),
            Inbox => ("Mensajes", "Messages"),
            PrivateNote => (
                "Privado: solo tú y el equipo de la sala leéis estos mensajes.",
                "Private: only you and the room's staff read these messages.",
            ),
            SeenByRoom => ("Visto por la sala", "Seen by the room"),
            ChatPlaceholder => ("Escribe un mensaje…", "Write a message…"),
            ChatEmpty => ("Aún no hay mensajes.", "No messages yet."),
            Send => ("Enviar", "Send"),
            ChatClosed => ("El chat se abre al conectar.", "Chat opens once connected."),
            Caregiver => ("Sala", "Classroom"),
            You => ("tú", "you"),
            #[cfg(feature = "staff-pages")]
            Camera => ("Cámara", "Camera"),
            #[cfg(feature = "staff-pages")]
            Resolution => ("Resolución", "Resolution"),
            #[cfg(feature = "staff-pages")]
            FrameRate => ("Imágenes por segundo", "Frames per second"),
            #[cfg(feature = "staff-pages")]
            Quality => ("Calidad", "Quality"),
            #[cfg(feature = "staff-pages")]
            Start => ("Empezar a transmitir", "Start streaming"),
            #[cfg(feature = "staff-pages")]
            Stop => ("Apagar la cámara", "Turn the camera off"),
            #[cfg(feature = "staff-pages")]
            Pause => ("Pausa de privacidad", "Privacy pause"),
            #[cfg(feature = "staff-pages")]
            Resume => ("Reanudar", "Resume"),
            #[cfg(feature = "staff-pages")]
            Sent => ("enviado", "sent"),
            #[cfg(feature = "staff-pages")]
            AlsoJpeg => (
                "También se envía en JPEG: alguien mira con un navegador que no decodifica VP8.",
                "Also sent as JPEG: someone is watching on a browser that cannot decode VP8.",
            ),
            DataSaver => ("Ahorro de datos", "Data saver"),
            DataSaverHint => (
                "Menos imágenes por segundo, la mitad de datos",
                "Fewer pictures a second, half the data",
            ),
            #[cfg(feature = "staff-pages")]
            PreviewIdle => (
                "Pulsa «Empezar a transmitir» para encender la cámara.",
                "Press “Start streaming” to turn the camera on.",
            ),
            #[cfg(feature = "staff-pages")]
            PermissionDenied => (
                "El navegador no permite usar la cámara. Permite el acceso a la cámara en los ajustes del sitio y vuelve a intentarlo.",
                "The browser does not allow the camera. Allow camera access in the site settings and try again.",
            ),
            #[cfg(feature = "staff-pages")]
            NoCamera => (
                "No se encuentra ninguna cámara en este dispositivo.",
                "No camera was found on this device.",
            ),
            #[cfg(feature = "staff-pages")]
            CameraInUse => (
                "Otra aplicación está usando la cámara. Ciérrala y vuelve a intentarlo.",
                "Another app is using the camera. Close it and try again.",
            ),
            #[cfg(feature = "staff-pages")]
            InsecureContext => (
                "El navegador solo da la cámara a páginas seguras: abre Nido con https:// (o en este mismo equipo con http://localhost).",
                "Browsers only give the camera to secure pages: open Nido over https:// (or on this machine at http://localhost).",
            ),
            #[cfg(feature = "staff-pages")]
            CameraFailed => (
                "No se pudo abrir la cámara.",
                "The camera could not be opened.",
            ),
            #[cfg(feature = "staff-pages")]
            CameraBusyElsewhere => (
                "Otra cámara ya está transmitiendo esta sala.",
                "Another camera is already streaming this room.",
            ),
            #[cfg(feature = "staff-pages")]
            CameraReplaced => (
                "Esta cámara se abrió en otra pestaña o dispositivo.",
                "This camera was opened in another tab or device.",
            ),
            Refused => (
                "El servidor rechazó la conexión",
                "The server refused the connection",
            ),
            Privacy => (
                "Solo las familias de esta sala ven la imagen, y solo en su horario. La imagen no se graba.",
                "Only this room's families see the picture, and only during its hours. The video is never recorded.",
            ),
            Loading => ("Cargando…", "Loading…"),
            LoginTitle => ("Entra en Nido", "Log in to Nido"),
            LoginIntro => (
                "Usa el usuario y la contraseña con los que te registraste.",
                "Use the username and password you registered with.",
            ),
            Username => ("Usuario", "Username"),
            UsernameHint => (
                "3 a 32 letras, números, '.', '_' o '-'",
                "3 to 32 letters, digits, '.', '_' or '-'",
            ),
            Password => ("Contraseña", "Password"),
            PasswordHint => ("Al menos 8 caracteres", "At least 8 characters"),
            LogIn => ("Entrar", "Log in"),
            LogOut => ("Salir", "Log out"),
            WrongCredentials => (
                "Usuario o contraseña incorrectos.",
                "Wrong username or password.",
            ),
            TooManyAttempts => (
                "Demasiados intentos. Espera un poco y vuelve a probar.",
                "Too many attempts. Wait a little and try again.",
            ),
            NetworkError => (
                "No se pudo contactar con el servidor. Revisa la conexión.",
                "Could not reach the server. Check the connection.",
            ),
            NoAccountHint => (
                "¿Sin cuenta? Pide una invitación a la escuela.",
                "No account? Ask the school for an invite.",
            ),
            MyRooms => ("Mis salas", "My rooms"),
            NoRooms => (
                "Aún no tienes salas. La dirección de la escuela te las asigna.",
                "You have no rooms yet. The school's admin assigns them.",
            ),
            Watch => ("Ver", "Watch"),
            Stream => ("Transmitir", "Stream"),
            OpenNow => ("Abierta", "Open"),
            ClosedNow => ("Cerrada", "Closed"),
            OpensOn => ("Abre el", "Opens"),
            NeverOpens => ("Sin horario de visualización", "No viewing hours"),
            Administration => ("Administración", "Administration"),
            Rooms => ("Salas", "Rooms"),
            People => ("Personas", "People"),
            Invites => ("Invitaciones", "Invites"),
            AuditLog => ("Registro de accesos", "Access log"),
            #[cfg(feature = "staff-pages")]
            OnlyStaffStream => (
                "Solo el personal de la sala puede emitir su cámara.",
                "Only the room's staff can stream its camera.",
            ),
            LoopbackInviteLink => (
                "Este enlace apunta a este mismo ordenador y no se abrirá en el móvil de una familia. Abre Nido por su dirección en la red, o arranca el servidor con --public-url.",
                "This link points at this very computer and will not open on a family's phone. Open Nido at its network address, or start the server with --public-url.",
            ),
            InsecureConnection => (
                "Conexión sin cifrar: las contraseñas, el chat y el vídeo cruzan la red a la vista. Abre Nido con https.",
                "This connection is not encrypted: passwords, chat and video cross the network in the clear. Open Nido over https.",
            ),
            #[cfg(feature = "staff-pages")]
            ViewingSessions => ("Quién vio cada sala", "Who watched each room"),
            #[cfg(feature = "staff-pages")]
            SecurityEvents => ("Eventos de seguridad", "Security events"),
            #[cfg(feature = "staff-pages")]
            Event => ("Evento", "Event"),
            #[cfg(feature = "staff-pages")]
            When => ("Cuándo", "When"),
            #[cfg(feature = "staff-pages")]
            By => ("Por", "By"),
            #[cfg(feature = "staff-pages")]
            Details => ("Detalles", "Details"),
            #[cfg(feature = "staff-pages")]
            MinutesUnit => ("minutos:", "minutes:"),
            #[cfg(feature = "staff-pages")]
            MessageNumber => ("mensaje n.º", "message no."),
            #[cfg(feature = "staff-pages")]
            UsesUnit => ("usos:", "uses:"),
            #[cfg(feature = "staff-pages")]
            InviteNumber => ("invitación n.º", "invite no."),
            Monday => ("lunes", "Monday"),
            Tuesday => ("martes", "Tuesday"),
            Wednesday => ("miércoles", "Wednesday"),
            Thursday => ("jueves", "Thursday"),
            Friday => ("viernes", "Friday"),
            Saturday => ("sábado", "Saturday"),
            Sunday => ("domingo", "Sunday"),
            RoleAdmin => ("Dirección", "Admin"),
            RoleCaregiver => ("Educadora", "Caregiver"),
            RoleFamily => ("Familia", "Family"),
            InvitedAs => ("Te invitan como", "You are invited as"),
            InvitedBy => ("Invitación de", "Invited by"),
            DisplayName => (
                "Tu nombre, como lo verá la sala",
                "Your name, as the room will see it",
            ),
            CreateAccount => ("Crear cuenta y entrar", "Create account and enter"),
            InviteUnavailable => (
                "Esta invitación caducó, ya se usó o fue revocada. Pide otra.",
                "This invite expired, was used up or was revoked. Ask for a new one.",
            ),
            InviteNotFound => (
                "Esta invitación no existe. Revisa el enlace.",
                "This invite does not exist. Check the link.",
            ),
            UsernameTaken => (
                "Ese usuario ya existe; elige otro.",
                "That username is taken; choose another.",
            ),
            NewInvite => ("Nueva invitación", "New invite"),
            Role => ("Rol", "Role"),
            ExpiresInHours => ("Caduca en (horas)", "Expires in (hours)"),
            Uses => ("Usos", "Uses"),
            Create => ("Crear", "Create"),
            Copy => ("Copiar", "Copy"),
            Copied => ("¡Copiado!", "Copied!"),
            InviteLinkHint => (
                "Envía este enlace a la persona invitada. Solo se muestra ahora.",
                "Send this link to the person you invite. It is shown only now.",
            ),
            Revoke => ("Revocar", "Revoke"),
            Revoked => ("Revocada", "Revoked"),
            Expired => ("Caducada", "Expired"),
            Expires => ("Caduca", "Expires"),
            InvitesLeft => ("Invitaciones que te quedan", "Invites you have left"),
            NotAllowed => (
                "No tienes permiso para esto.",
                "You are not allowed to do this.",
            ),
            #[cfg(feature = "staff-pages")]
            RoomId => (
                "Identificador (va en la dirección)",
                "Id (goes in the address)",
            ),
            #[cfg(feature = "staff-pages")]
            RoomName => ("Nombre", "Name"),
            #[cfg(feature = "staff-pages")]
            ViewingHours => ("Horario para las familias", "Viewing hours for families"),
            #[cfg(feature = "staff-pages")]
            TimeZone => ("Zona horaria", "Time zone"),
            Save => ("Guardar", "Save"),
            #[cfg(feature = "staff-pages")]
            Saved => ("Guardado", "Saved"),
            #[cfg(feature = "staff-pages")]
            Delete => ("Eliminar", "Delete"),
            #[cfg(feature = "staff-pages")]
            ConfirmDelete => (
                "¿Eliminar esta sala? Se cerrarán sus conexiones.",
                "Delete this room? Its connections will close.",
            ),
            #[cfg(feature = "staff-pages")]
            Unlock => ("Desbloquear", "Unlock"),
            #[cfg(feature = "staff-pages")]
            Locked => (
                "Bloqueada por intentos fallidos",
                "Locked after failed logins",
            ),
            #[cfg(feature = "staff-pages")]
            RevokedPerson => ("Acceso revocado", "Access revoked"),
            #[cfg(feature = "staff-pages")]
            ConfirmRevoke => (
                "¿Revocar el acceso? Se cerrarán sus sesiones ahora.",
                "Revoke access? Their sessions end now.",
            ),
            #[cfg(feature = "staff-pages")]
            FamilyInviteLimit => (
                "Invitaciones por familiar (0 = ninguna)",
                "Invites per family member (0 = none)",
            ),
            #[cfg(feature = "staff-pages")]
            From => ("Desde", "From"),
            #[cfg(feature = "staff-pages")]
            To => ("Hasta", "To"),
            #[cfg(feature = "staff-pages")]
            ExportCsv => ("Exportar CSV", "Export CSV"),
            #[cfg(feature = "staff-pages")]
            Started => ("Inicio", "Start"),
            #[cfg(feature = "staff-pages")]
            Ended => ("Fin", "End"),
            #[cfg(feature = "staff-pages")]
            Address => ("Dirección IP", "Address"),
            #[cfg(feature = "staff-pages")]
            Ongoing => ("en curso", "ongoing"),
            NoEntries => ("Nada que mostrar.", "Nothing to show."),
            CameraClosed => ("Cámara cerrada", "Camera closed"),
            ChangePassword => ("Cambiar la contraseña", "Change password"),
            CurrentPassword => ("Contraseña actual", "Current password"),
            NewPassword => ("Contraseña nueva", "New password"),
            PasswordChanged => (
                "Contraseña cambiada. Las demás sesiones se han cerrado.",
                "Password changed. Your other sessions were closed.",
            ),
            WrongCurrentPassword => (
                "La contraseña actual no es correcta.",
                "The current password is not right.",
            ),
            Sending => ("Enviando…", "Sending…"),
            NotSent => ("No enviado", "Not sent"),
            Retry => ("Reintentar", "Retry"),
            DeleteMessage => ("Borrar", "Delete"),
            MuteFor => ("Silenciar…", "Mute…"),
            Minutes15 => ("15 minutos", "15 minutes"),
            Hour1 => ("1 hora", "1 hour"),
            Day1 => ("1 día", "1 day"),
            NoAccess => (
                "No tienes acceso a esta sala.",
                "You do not have access to this room.",
            ),
            SessionEnded => (
                "Tu sesión terminó. Vuelve a entrar.",
                "Your session ended. Please log in again.",
            ),
            ServerBusy => (
                "El servidor está ocupado. Inténtalo de nuevo en un momento.",
                "The server is busy. Try again in a moment.",
            ),
            FamilyNeedsRooms => (
                "Elige las salas de la familia.",
                "Choose the family's rooms.",
            ),
            NoSuchRoom => ("Esa sala no existe.", "That room does not exist."),
            #[cfg(feature = "staff-pages")]
            RoomIdTaken => (
                "Ya hay una sala con ese identificador.",
                "A room with this id already exists.",
            ),
            #[cfg(feature = "staff-pages")]
            LastAdmin => (
                "Nido necesita al menos una persona administradora.",
                "Nido needs at least one admin.",
            ),
            WrongCode => (
                "El código no es correcto o ya se usó.",
                "The code is not right, or was already used.",
            ),
            #[cfg(feature = "staff-pages")]
            OwnSecondFactorFirst => (
                "Activa primero la verificación en dos pasos en tu propia cuenta.",
                "Turn on two-step sign-in for your own account first.",
            ),
            #[cfg(feature = "staff-pages")]
            SecondFactorRequired => (
                "La verificación en dos pasos es obligatoria para el personal y no se puede desactivar.",
                "Two-step sign-in is required for staff and cannot be turned off.",
            ),
            SecondFactorSetupNeeded => (
                "La guardería exige verificación en dos pasos al personal. Actívala en tu cuenta para seguir.",
                "Your daycare requires two-step sign-in for staff. Turn it on in your account to go on.",
            ),
            EnterCode => (
                "Escribe el código de tu aplicación de autenticación.",
                "Enter the code from your authenticator app.",
            ),
            LoginCode => (
                "Código de verificación o de recuperación",
                "Verification or recovery code",
            ),
            SecondFactor => ("Verificación en dos pasos", "Two-step sign-in"),
            SecondFactorIntro => (
                "Además de la contraseña, al entrar se pide un código de una aplicación de autenticación del móvil.",
                "Besides your password, logging in asks for a code from an authenticator app on your phone.",
            ),
            SecondFactorIsOn => ("Activada", "On"),
            SecondFactorIsOff => ("Desactivada", "Off"),
            TurnOn => ("Activar", "Turn on"),
            TurnOff => ("Desactivar", "Turn off"),
            ScanCode => (
                "Escanea este código con una aplicación de autenticación (por ejemplo Google Authenticator, Microsoft Authenticator o FreeOTP), o escribe esta clave:",
                "Scan this code with an authenticator app (for example Google Authenticator, Microsoft Authenticator or FreeOTP), or type this key:",
            ),
            CodeFromApp => ("Código de la aplicación", "Code from the app"),
            Confirm => ("Confirmar", "Confirm"),
            RecoveryCodes => ("Códigos de recuperación", "Recovery codes"),
            RecoveryCodesHint => (
                "Guárdalos en un lugar seguro: si pierdes el móvil, cada uno sirve para entrar una vez. No se volverán a mostrar.",
                "Keep them somewhere safe: if you lose your phone, each one logs you in once. They will not be shown again.",
            ),
            SavedThem => ("Ya los he guardado", "I have saved them"),
            RecoveryCodesLeft => ("códigos de recuperación sin usar", "recovery codes left"),
            #[cfg(feature = "staff-pages")]
            RequireStaffSecondFactor => (
                "Exigir verificación en dos pasos a administración y educadoras",
                "Require two-step sign-in for admins and caregivers",
            ),
            #[cfg(feature = "staff-pages")]
            ResetSecondFactor => ("Quitar verificación en dos pasos", "Reset two-step sign-in"),
            #[cfg(feature = "staff-pages")]
            ConfirmResetSecondFactor => (
                "¿Quitar su verificación en dos pasos? Tendrá que volver a entrar (y activarla de nuevo si es obligatoria).",
                "Reset their two-step sign-in? They will have to log in again (and set it up again if it is required).",
            ),
            #[cfg(feature = "staff-pages")]
            TwoStepBadge => ("2 pasos", "2-step"),
            UsedUp => ("Usada", "Used"),
            #[cfg(feature = "staff-pages")]
            OpenSecurely => ("Abrir con https", "Open over https"),
            #[cfg(feature = "staff-pages")]
            ControlHint => (
                "Apagar termina la emisión. La pausa de privacidad deja de enviar la imagen: las familias ven «En pausa» hasta que la reanudes, aunque la cámara se reconecte.",
                "Turning off ends the stream. The privacy pause stops sending the picture: families see \"Paused\" until you resume it, even if the camera reconnects.",
            ),
            MutedUntil => (
                "Las educadoras te han silenciado en este chat hasta las",
                "The caregivers muted you in this chat until",
            ),
            MutedInChat => ("Silenciados en el chat", "Muted in the chat"),
            Until => ("hasta las", "until"),
            Unmute => ("Quitar silencio", "Unmute"),
            FamiliesSeeClosed => (
                "Fuera de horario: las familias ven la sala cerrada",
                "Outside viewing hours: families see the room closed",
            ),
            #[cfg(feature = "staff-pages")]
            TimeFormat => (
                "escribe las horas como HH:MM, de 00:00 a 24:00",
                "write the times as HH:MM, from 00:00 to 24:00",
            ),
            #[cfg(feature = "staff-pages")]
            ClosesBeforeOpening => (
                "la hora de cierre debe ser posterior a la de apertura",
                "the closing time must be after the opening time",
            ),
        }
    }
}
