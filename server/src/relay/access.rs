//! Who may do what: the rules, in one place, that the API and the relay both apply.

use nido_shared::{Role, RoomId, UserRole};

use crate::relay::hub::Audience;
use crate::store::{InviteClaim, Inviter};

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

/// Whether `inviter`, as they are now, may offer an invite for `role` to `rooms`: admins to
/// any room; caregivers and the head of a family's household only to their own rooms.
/// Relatives invited by a family member invite no one (no chains).
pub fn may_offer_invite(inviter: &Inviter, role: UserRole, rooms: &[RoomId]) -> bool {
    let own_rooms = || rooms.iter().all(|room| inviter.rooms.contains(room));
    !inviter.revoked
        && may_invite_as(inviter.role, role)
        && match inviter.role {
            UserRole::Admin => true,
            UserRole::Caregiver => own_rooms(),
            UserRole::Family => !inviter.relative && own_rooms(),
        }
}

/// Whether an invite still carries what it offers: its creator still has the role they
/// made it with and may still offer it, and a family invite still has a room.
pub fn invite_still_valid(claim: &InviteClaim) -> bool {
    claim.creator_role_then == Some(claim.creator.role)
        && may_offer_invite(&claim.creator, claim.role, &claim.rooms)
        && !(claim.role == UserRole::Family && claim.rooms.is_empty())
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

    fn inviter(role: UserRole, relative: bool) -> Inviter {
        Inviter {
            role,
            revoked: false,
            relative,
            rooms: vec![room("sala-1")],
        }
    }

    fn room(id: &str) -> RoomId {
        RoomId::try_from(id.to_owned()).unwrap()
    }

    #[test]
    fn invites_offer_only_what_the_inviter_has_now() {
        let sala_1 = [room("sala-1")];
        let sala_2 = [room("sala-2")];
        let head = inviter(UserRole::Family, false);
        assert!(may_offer_invite(&head, UserRole::Family, &sala_1));
        assert!(!may_offer_invite(&head, UserRole::Family, &sala_2));
        assert!(!may_offer_invite(
            &inviter(UserRole::Family, true),
            UserRole::Family,
            &sala_1
        ));
        let caregiver = inviter(UserRole::Caregiver, false);
        assert!(may_offer_invite(&caregiver, UserRole::Family, &sala_1));
        assert!(!may_offer_invite(&caregiver, UserRole::Caregiver, &sala_1));
        assert!(may_offer_invite(
            &inviter(UserRole::Admin, false),
            UserRole::Admin,
            &sala_2
        ));
        let revoked = Inviter {
            revoked: true,
            ..inviter(UserRole::Admin, false)
        };
        assert!(!may_offer_invite(&revoked, UserRole::Family, &sala_1));

        let claim = |then| InviteClaim {
            role: UserRole::Family,
            rooms: sala_1.to_vec(),
            creator_role_then: Some(then),
            creator: caregiver.clone(),
        };
        assert!(invite_still_valid(&claim(UserRole::Caregiver)));
        assert!(
            !invite_still_valid(&claim(UserRole::Admin)),
            "demoted since"
        );
        let roomless = InviteClaim {
            rooms: Vec::new(),
            ..claim(UserRole::Caregiver)
        };
        assert!(!invite_still_valid(&roomless), "its rooms were deleted");
    }
}
