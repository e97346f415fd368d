//! The browser app comes in two builds: the families' build, which a parent's phone loads
//! (home, login, registering through an invite, the viewer and its conversations), and the
//! whole app, which adds the staff's pages (the camera, attendance, the inbox and
//! administration) and the pages a family opens seldom (making invites for relatives). The
//! server serves the whole app for those pages and the families' build for every other page,
//! so a parent's everyday pages never download their code.

/// Where the families' build lives under the app's root (trunk's `--public-url`).
pub const FAMILIES_BUILD_PATH: &str = "/families/";

/// The pages only the whole app has.
const WHOLE_APP_PAGE_PREFIXES: [&str; 5] =
    ["/camera/", "/attendance/", "/inbox/", "/admin/", "/invites"];

/// Whether `path` (a URL's path) is one of the pages only the whole app has.
pub fn is_whole_app_page(path: &str) -> bool {
    WHOLE_APP_PAGE_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staffs_pages_and_making_invites_are_the_whole_apps_and_nothing_else_is() {
        for whole in [
            "/camera/sala-sol",
            "/attendance/sala-sol",
            "/inbox/sala-sol",
            "/admin/rooms",
            "/admin/audit",
            "/invites",
        ] {
            assert!(is_whole_app_page(whole), "{whole}");
        }
        for families in ["/", "/login", "/watch/sala-sol", "/invite/abc", "/camera"] {
            assert!(!is_whole_app_page(families), "{families}");
        }
    }
}
