//! Keeps the screen of a camera device awake while it streams (Screen Wake Lock API).
//! The browser drops the lock whenever the page is hidden, so it is requested again when the
//! page becomes visible.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{WakeLockSentinel, WakeLockType};

use crate::browser::window;

#[derive(Default, Clone)]
pub struct ScreenWakeLock {
    sentinel: Rc<RefCell<Option<WakeLockSentinel>>>,
}

impl ScreenWakeLock {
    /// Asks for the lock unless it is held; browsers without the API simply keep their
    /// usual screen timeout.
    pub fn acquire(&self) {
        if self
            .sentinel
            .borrow()
            .as_ref()
            .is_some_and(|s| !s.released())
        {
            return;
        }
        let wake_lock = window().navigator().wake_lock();
        if wake_lock.is_undefined() {
            return;
        }
        let promise = wake_lock.request(WakeLockType::Screen);
        let slot = Rc::clone(&self.sentinel);
        spawn_local(async move {
            if let Ok(sentinel) = JsFuture::from(js_sys::Promise::from(
                promise.unchecked_into::<wasm_bindgen::JsValue>(),
            ))
            .await
            {
                *slot.borrow_mut() = sentinel.dyn_into().ok();
            }
        });
    }

    pub fn release(&self) {
        if let Some(sentinel) = self.sentinel.borrow_mut().take() {
            let _ = sentinel.release();
        }
    }
}
