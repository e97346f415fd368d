//! Authentication: passwords, session and device tokens, cookies, the client's address,
//! login throttling and the logged-in person of a request.

pub mod cookies;
pub mod current_user;
pub mod password;
pub mod peer;
pub mod second_factor;
pub mod throttle;
pub mod token;

pub use current_user::{Admin, Authenticated, SignedIn, authenticate};
pub use peer::Peer;
