//! The browser app comes in two builds: the families' build, which a parent's phone loads
//! (home, login, invitations, the viewer and its chat), and the whole app, which adds the
//! staff's pages (the camera, attendance and administration). The server serves the whole app for
//! the staff's pages and the families' build for every other page, so a parent never
//! downloads the code of pages only staff open.

/// Where the families' build lives under the app's root (trunk's `--public-url`).
pub const FAMILIES_BUILD_PATH: &str = "/families/";

/// The pages only the whole app has.
const STAFF_PAGE_PREFIXES: [&str; 3] = ["/camera/", "/attendance/", "/admin/"];

/// Whether `path` (a URL's path) is one of the staff's pages.
pub fn is_staff_page(path: &str) -> bool {
    STAFF_PAGE_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_camera_attendance_and_administration_are_staff_pages_and_nothing_else_is() {
        for staff in [
            "/camera/sala-sol",
            "/attendance/sala-sol",
            "/admin/rooms",
            "/admin/audit",
        ] {
            assert!(is_staff_page(staff), "{staff}");
        }
        for families in [
            "/",
            "/login",
            "/watch/sala-sol",
            "/invite/abc",
            "/invites",
            "/camera",
        ] {
            assert!(!is_staff_page(families), "{families}");
        }
    }
}
