//! Small typed doors onto the browser: storage, randomness, the page's own addresses.

use web_sys::{Storage, Window};

pub fn window() -> Window {
    web_sys::window().expect("the app runs in a browser window")
}

fn local_storage() -> Option<Storage> {
    window().local_storage().ok().flatten()
}

fn session_storage() -> Option<Storage> {
    window().session_storage().ok().flatten()
}

/// A value kept in this browser across visits (the display name, the language).
pub fn remembered(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

pub fn remember(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        // Private browsing may refuse storage; the app then simply asks again next time.
        let _ = storage.set_item(key, value);
    }
}

/// A secret that lives as long as this tab (it survives reloads, not closing the tab).
pub fn tab_secret(key: &str) -> String {
    let storage = session_storage();
    if let Some(existing) = storage
        .as_ref()
        .and_then(|s| s.get_item(key).ok().flatten())
    {
        return existing;
    }
    let secret = random_token();
    if let Some(storage) = storage {
        let _ = storage.set_item(key, &secret);
    }
    secret
}

/// 128 random bits as 32 hex digits, from the browser's cryptographic randomness.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(crypto) = window().crypto() {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The WebSocket address of the server that served this page.
pub fn websocket_url() -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/ws")
}

pub fn is_secure_context() -> bool {
    window().is_secure_context()
}

/// Full screen for an element, or back out of it.
pub fn toggle_fullscreen(element: &web_sys::Element) {
    let document = window().document().expect("a page has a document");
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else {
        let _ = element.request_fullscreen();
    }
}

/// Asks the visitor to confirm something irreversible.
pub fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// Puts text on the clipboard (best effort: the field stays selectable otherwise).
pub fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}
