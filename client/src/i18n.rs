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

    /// The text in the current language; reactive when read inside a view.
    pub fn t(self, text: Text) -> &'static str {
        text.in_lang(self.lang.get())
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// Every sentence the interface shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Tagline,
    HomeIntro,
    RoomLabel,
    RoomHint,
    NameLabel,
    NameHint,
    RoleLabel,
    RoleViewer,
    RoleViewerHint,
    RoleCamera,
    RoleCameraHint,
    Enter,
    InvalidRoom,
    InvalidName,
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
    Watching,
    NobodyWatching,
    Fullscreen,
    FramesPerSecond,
    Delay,
    Chat,
    ChatPlaceholder,
    ChatEmpty,
    Send,
    ChatClosed,
    Caregiver,
    You,
    Camera,
    Resolution,
    FrameRate,
    Quality,
    Start,
    Stop,
    Pause,
    Resume,
    Sent,
    PreviewIdle,
    PermissionDenied,
    NoCamera,
    CameraInUse,
    InsecureContext,
    CameraFailed,
    CameraBusyElsewhere,
    CameraReplaced,
    Refused,
    Privacy,
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
            Tagline => (
                "La sala de tu peque, en directo",
                "Your little one's classroom, live",
            ),
            HomeIntro => (
                "Las familias ven la sala en directo y hablan con las educadoras. Solo quien está en la sala ve la imagen.",
                "Families watch the classroom live and talk with the caregivers. Only people in the room see the picture.",
            ),
            RoomLabel => ("Sala", "Room"),
            RoomHint => ("Por ejemplo: pollitos", "For example: ducklings"),
            NameLabel => ("Tu nombre", "Your name"),
            NameHint => ("Cómo te verán los demás", "How others will see you"),
            RoleLabel => ("Entrar como", "Join as"),
            RoleViewer => ("Familia", "Family"),
            RoleViewerHint => ("Ver la sala y chatear", "Watch the room and chat"),
            RoleCamera => ("Cámara de la sala", "Classroom camera"),
            RoleCameraHint => (
                "Este dispositivo transmite la sala",
                "This device streams the room",
            ),
            Enter => ("Entrar", "Enter"),
            InvalidRoom => (
                "La sala usa minúsculas, números y guiones (máx. 32).",
                "Room ids use lowercase letters, digits and dashes (max 32).",
            ),
            InvalidName => (
                "Escribe un nombre de hasta 40 caracteres.",
                "Enter a name of up to 40 characters.",
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
            Watching => ("mirando", "watching"),
            NobodyWatching => ("Nadie mirando todavía", "Nobody watching yet"),
            Fullscreen => ("Pantalla completa", "Full screen"),
            FramesPerSecond => ("fps", "fps"),
            Delay => ("retraso", "delay"),
            Chat => ("Chat de la sala", "Room chat"),
            ChatPlaceholder => ("Escribe un mensaje…", "Write a message…"),
            ChatEmpty => ("Aún no hay mensajes.", "No messages yet."),
            Send => ("Enviar", "Send"),
            ChatClosed => ("El chat se abre al conectar.", "Chat opens once connected."),
            Caregiver => ("Sala", "Classroom"),
            You => ("tú", "you"),
            Camera => ("Cámara", "Camera"),
            Resolution => ("Resolución", "Resolution"),
            FrameRate => ("Imágenes por segundo", "Frames per second"),
            Quality => ("Calidad", "Quality"),
            Start => ("Empezar a transmitir", "Start streaming"),
            Stop => ("Detener", "Stop"),
            Pause => ("Pausa de privacidad", "Privacy pause"),
            Resume => ("Reanudar", "Resume"),
            Sent => ("enviado", "sent"),
            PreviewIdle => (
                "Pulsa «Empezar a transmitir» para encender la cámara.",
                "Press “Start streaming” to turn the camera on.",
            ),
            PermissionDenied => (
                "El navegador no permite usar la cámara. Permite el acceso a la cámara en los ajustes del sitio y vuelve a intentarlo.",
                "The browser does not allow the camera. Allow camera access in the site settings and try again.",
            ),
            NoCamera => (
                "No se encuentra ninguna cámara en este dispositivo.",
                "No camera was found on this device.",
            ),
            CameraInUse => (
                "Otra aplicación está usando la cámara. Ciérrala y vuelve a intentarlo.",
                "Another app is using the camera. Close it and try again.",
            ),
            InsecureContext => (
                "El navegador solo da la cámara a páginas seguras: abre Nido con https:// (o en este mismo equipo con http://localhost).",
                "Browsers only give the camera to secure pages: open Nido over https:// (or on this machine at http://localhost).",
            ),
            CameraFailed => (
                "No se pudo abrir la cámara.",
                "The camera could not be opened.",
            ),
            CameraBusyElsewhere => (
                "Otra cámara ya está transmitiendo esta sala.",
                "Another camera is already streaming this room.",
            ),
            CameraReplaced => (
                "Esta cámara se abrió en otra pestaña o dispositivo.",
                "This camera was opened in another tab or device.",
            ),
            Refused => (
                "El servidor rechazó la conexión",
                "The server refused the connection",
            ),
            Privacy => (
                "Solo las personas de esta sala ven la imagen. Nada se graba.",
                "Only people in this room see the picture. Nothing is recorded.",
            ),
        }
    }
}
