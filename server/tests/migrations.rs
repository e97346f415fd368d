//! A database made by an older Nido opens in this one with nothing of value lost: the
//! migrations of issue 13 end invite chains and drop the chat of rooms deleted before.

use std::borrow::Cow;

use nido_server::store::{Location, Store};
use nido_shared::{RoomId, Timestamp, UserId};

/// Creates a database with the migrations before `version` only, as an older Nido left it.
async fn database_before(version: i64, dir: &std::path::Path) -> sqlx::SqlitePool {
    let url = format!("sqlite:{}?mode=rwc", dir.join("nido.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut older = sqlx::migrate!("./migrations/sqlite");
    older.migrations = Cow::Owned(
        older
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect(),
    );
    older.run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn an_older_database_loses_its_invite_chains_and_orphaned_chat() {
    let dir = tempfile::tempdir().unwrap();
    let old = database_before(3, dir.path()).await;
    sqlx::raw_sql(
        "INSERT INTO users (id, username, display_name, password_hash, role, invited_by,
                            created_at_us)
         VALUES (1, 'directora', 'Directora', 'x', 'admin', NULL, 0),
                (2, 'madre', 'Madre', 'x', 'family', 1, 0),
                (3, 'abuela', 'Abuela', 'x', 'family', 2, 0),
                (4, 'tio', 'Tío', 'x', 'family', 3, 0);
         INSERT INTO rooms (id, slug, name, schedule, created_at_us)
         VALUES (1, 'sala-1', 'Sala 1', '{\"days\":[null,null,null,null,null,null,null]}', 0);
         INSERT INTO room_members (room_id, user_id) VALUES (1, 2), (1, 3), (1, 4);
         INSERT INTO invites (id, token_hash, role, created_by, created_at_us, expires_at_us,
                              max_uses)
         VALUES (1, x'01', 'family', 2, 0, 9000000000000000, 1),
                (2, x'02', 'family', 3, 0, 9000000000000000, 1);
         INSERT INTO invite_rooms (invite_id, room_id) VALUES (1, 1), (2, 1);
         INSERT INTO chat_rooms (room_slug, last_seq) VALUES ('sala-1', 1), ('borrada', 1);
         INSERT INTO chat_messages (room_slug, seq, user_id, client_id, sender_name,
                                    sender_role, text, sent_at_us)
         VALUES ('sala-1', 1, 2, 'id-0000001', 'Madre', 'viewer', 'hola', 5),
                ('borrada', 1, 2, 'id-0000002', 'Madre', 'viewer', 'de una sala borrada', 5);
         INSERT INTO chat_mutes (room_slug, user_id, until_us, muted_by)
         VALUES ('borrada', 2, 9000000000000000, 1);",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;

    let store = Store::open(Location::Sqlite(dir.path())).await.unwrap();
    let users = store.users().await.unwrap();
    let head_of = |name: &str| {
        users
            .iter()
            .find(|u| u.username.as_str() == name)
            .unwrap()
            .household_head
    };
    assert_eq!(head_of("madre"), None);
    assert_eq!(head_of("abuela"), Some(UserId::new(2)));
    assert_eq!(
        head_of("tio"),
        Some(UserId::new(2)),
        "a chain's end belongs to its head"
    );
    let invites = store.invites(None).await.unwrap();
    let revoked = |id| invites.iter().find(|i| i.id.get() == id).unwrap().revoked;
    assert!(!revoked(1), "the head's invite still works");
    assert!(revoked(2), "the relative's invite ended");

    let sala_1 = RoomId::try_from("sala-1".to_owned()).unwrap();
    let (kept, _) = store.chat_page(&sala_1, None, None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    let borrada = RoomId::try_from("borrada".to_owned()).unwrap();
    let (gone, _) = store.chat_page(&borrada, None, None, 10).await.unwrap();
    assert!(gone.is_empty());
    assert_eq!(
        store
            .muted_until(&borrada, UserId::new(2), Timestamp::UNIX_EPOCH)
            .await
            .unwrap(),
        None
    );
    // Memberships from before see the history they saw before.
    assert_eq!(
        store.member_since(UserId::new(3), &sala_1).await.unwrap(),
        Some(Timestamp::UNIX_EPOCH)
    );
}
