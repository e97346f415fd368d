//! Locking the server's short-lived mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex; a poisoned lock (a panic while it was held) still guards consistent data
/// here, because every critical section in the server only swaps whole values.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
