//! Who may do what: the rules, in one place, that the API and the relay both apply.

use nido_shared::{Role, UserRole};

use crate::hub::Audience;

/// Whether someone may join a room in a role. `member`: the room was given to them.
pub fn may_join(user: UserRole, member: bool, role: Role) -> bool {
    match (user, role) {
        (UserRole::Admin, _) => true,
        (UserRole::Caregiver, _) => member,
        (UserRole::Family, Role::Viewer) => member,
        (UserRole::Family, Role::Camera) => false,
    }
}

/// Whether someone in a room may pause its camera: its staff.
pub fn may_pause(user: UserRole) -> bool {
    user.is_staff()
}

/// Whose rules the room is shown by.
pub fn audience(user: UserRole) -> Audience {
    if user.is_staff() {
        Audience::Staff
    } else {
        Audience::Family
    }
}

/// Whether `inviter` may create an invite for `role`. Rooms are checked separately:
/// admins may invite to any room, everyone else only to their own.
pub fn may_invite_as(inviter: UserRole, role: UserRole) -> bool {
    match inviter {
        UserRole::Admin => true,
        UserRole::Caregiver => role == UserRole::Family,
        UserRole::Family => role == UserRole::Family,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_follows_role_and_rooms() {
        assert!(may_join(UserRole::Admin, false, Role::Camera));
        assert!(may_join(UserRole::Caregiver, true, Role::Camera));
        assert!(!may_join(UserRole::Caregiver, false, Role::Viewer));
        assert!(may_join(UserRole::Family, true, Role::Viewer));
        assert!(!may_join(UserRole::Family, true, Role::Camera));
        assert!(!may_join(UserRole::Family, false, Role::Viewer));
    }

    #[test]
    fn only_admins_invite_staff() {
        assert!(may_invite_as(UserRole::Admin, UserRole::Caregiver));
        assert!(!may_invite_as(UserRole::Caregiver, UserRole::Caregiver));
        assert!(!may_invite_as(UserRole::Family, UserRole::Admin));
        assert!(may_invite_as(UserRole::Family, UserRole::Family));
    }
}
