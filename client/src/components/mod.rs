//! Pieces shared by the pages.

#[cfg(feature = "staff-pages")]
mod camera_settings;
mod chat_panel;
mod child_day;
mod conversations;
mod muted_list;
mod room_sidebar;
mod second_factor;
#[cfg(feature = "staff-pages")]
mod security_events;
mod signed_in;
mod status;
mod top_bar;
mod viewer_list;

#[cfg(feature = "staff-pages")]
pub use camera_settings::{CameraSettings, RESOLUTIONS};
pub use chat_panel::ChatPanel;
pub use child_day::{away_text, clock_time, day_line};
pub use muted_list::MutedList;
pub use room_sidebar::RoomSidebar;
pub use second_factor::SecondFactorCard;
#[cfg(feature = "staff-pages")]
pub use security_events::SecurityEvents;
#[cfg(feature = "staff-pages")]
pub use signed_in::admin_only;
pub use signed_in::signed_in;
pub use status::{
    FamiliesSeeBadge, RoomStateBadges, camera_status, reconnecting_text, ticking_clock,
};
pub use top_bar::TopBar;
pub use viewer_list::ViewerList;
