//! Everything Nido writes (the database, its journal, backups, keys) is readable by Nido's
//! user only: files are created that way from the start, and those an older Nido left
//! readable to others are narrowed when the data directory is opened.

use std::path::Path;

/// Makes every file and directory this process creates from now on private to its user.
pub fn create_private_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
}

/// Narrows an existing file (0600) or directory (0700) to Nido's user; absent is fine.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        let mode = if metadata.is_dir() { 0o700 } else { 0o600 };
        if metadata.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}
