//! One conformance suite for the store, run against both of its backends: the embedded
//! SQLite and a real PostgreSQL server (`NIDO_TEST_POSTGRES`, an admin URL to a server that
//! `scripts/test.sh` starts; each test makes a database of its own there). Both must give
//! the same answers, and two stores on one PostgreSQL (two nodes) must number one room's
//! chat 1, 2, 3… with no gaps and store each message once.

use std::collections::BTreeSet;
use std::str::FromStr;

use nido_server::store::{
    Appended, Conversation, Location, NewChat, NewRoomRow, NewUser, Store, StoreError, ThreadGuest,
    ThreadReader, ThreadsShown,
};
use nido_shared::{
    ChatId, DisplayName, Role, RoomId, ThreadState, Timestamp, UserId, UserRole, Username,
    WeeklySchedule,
};
use sqlx::postgres::PgConnectOptions;

/// A fresh, empty PostgreSQL database on the tests' server.
async fn fresh_postgres() -> PgConnectOptions {
    let url = nido_testkit::postgres::fresh_database("conformance").await;
    PgConnectOptions::from_str(&url).expect("a postgres:// URL")
}

/// Runs `check` on a new SQLite store and on a new PostgreSQL store.
macro_rules! on_both_backends {
    ($check:ident) => {
        mod $check {
            #[tokio::test]
            async fn on_sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = super::Store::open(super::Location::Sqlite(dir.path()))
                    .await
                    .unwrap();
                super::$check(&store).await;
                store.close().await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let options = super::fresh_postgres().await;
                let store = super::Store::open(super::Location::Postgres(&options))
                    .await
                    .unwrap();
                super::$check(&store).await;
                store.close().await;
            }
        }
    };
}

const NOW: Timestamp = Timestamp::from_micros(1_780_000_000_000_000);

async fn person(store: &Store, name: &str, role: UserRole) -> nido_shared::UserId {
    store
        .create_user(
            &NewUser {
                username: &Username::try_from(name.to_owned()).unwrap(),
                display_name: &DisplayName::try_from(name.to_owned()).unwrap(),
                password_hash: "hash",
                role,
                invited_by: None,
                household_head: None,
            },
            NOW,
        )
        .await
        .unwrap()
}

async fn room(store: &Store, slug: &str) -> RoomId {
    let slug = RoomId::try_from(slug.to_owned()).unwrap();
    store
        .create_room(
            &NewRoomRow {
                slug: &slug,
                name: "Sala",
                schedule: WeeklySchedule::default(),
            },
            NOW,
        )
        .await
        .unwrap();
    slug
}

async fn say(
    store: &Store,
    room: &RoomId,
    user: nido_shared::UserId,
    id: &str,
) -> Result<Appended, StoreError> {
    say_in(store, room, None, user, false, id).await
}

/// Message `id` of `user` (staff or not) in a room's chat or one of its threads.
async fn say_in(
    store: &Store,
    room: &RoomId,
    thread: Option<UserId>,
    user: UserId,
    staff: bool,
    id: &str,
) -> Result<Appended, StoreError> {
    store
        .append_chat(
            &NewChat {
                room,
                thread,
                user_id: user,
                client_id: &ChatId::try_from(format!("message-{id}")).unwrap(),
                name: &DisplayName::try_from("Ana".to_owned()).unwrap(),
                role: Role::Viewer,
                staff,
                text: id,
            },
            NOW,
        )
        .await
}

/// The number a message was stored under.
fn seq_of(appended: Result<Appended, StoreError>) -> u64 {
    match appended.unwrap() {
        Appended::New(line) | Appended::Existing(line) => line.seq,
    }
}

async fn accounts_and_rooms(store: &Store) {
    let admin = person(store, "admin", UserRole::Admin).await;
    let family = person(store, "ana", UserRole::Family).await;
    assert!(matches!(
        store
            .create_user(
                &NewUser {
                    username: &Username::try_from("ana".to_owned()).unwrap(),
                    display_name: &DisplayName::try_from("Other".to_owned()).unwrap(),
                    password_hash: "hash",
                    role: UserRole::Family,
                    invited_by: Some(admin),
                    household_head: None,
                },
                NOW,
            )
            .await,
        Err(StoreError::Conflict)
    ));
    let found = store
        .user_by_username(&Username::try_from("ana".to_owned()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.role, found.revoked),
        (family, UserRole::Family, false)
    );
    assert_eq!(store.active_admin_count().await.unwrap(), 1);

    let sala = room(store, "sala-azul").await;
    let paused = store.set_paused(&sala, true).await.unwrap();
    assert!(paused.paused);
    let again = store.set_paused(&sala, false).await.unwrap();
    assert!(
        again.version > paused.version,
        "each policy change takes a higher version"
    );
    store.rename_room(&sala, "Sala Azul").await.unwrap();
    assert_eq!(store.room(&sala).await.unwrap().unwrap().name, "Sala Azul");
    assert!(!store.is_member(family, &sala).await.unwrap());

    assert_eq!(store.family_invite_limit().await.unwrap(), 3);
    store.set_family_invite_limit(5).await.unwrap();
    assert_eq!(store.family_invite_limit().await.unwrap(), 5);
    assert!(!store.staff_second_factor().await.unwrap());
    store.set_staff_second_factor(true).await.unwrap();
    assert!(store.staff_second_factor().await.unwrap());
}
on_both_backends!(accounts_and_rooms);

async fn chat_numbers_resends_and_deletes(store: &Store) {
    let family = person(store, "ana", UserRole::Family).await;
    let sala = room(store, "sala").await;
    let first = say(store, &sala, family, "m-1").await.unwrap();
    let Appended::New(first) = first else {
        panic!("a new message: {first:?}")
    };
    assert_eq!(first.seq, 1);
    let Appended::New(second) = say(store, &sala, family, "m-2").await.unwrap() else {
        panic!()
    };
    assert_eq!(second.seq, 2);
    // Sent again (a reconnect): the message stored before, not a new number.
    assert_eq!(
        say(store, &sala, family, "m-1").await.unwrap(),
        Appended::Existing(first.clone())
    );
    let missing = RoomId::try_from("gone".to_owned()).unwrap();
    assert!(matches!(
        say(store, &missing, family, "m-3").await,
        Err(StoreError::NotFound)
    ));

    let (page, older) = store.chat_page(&sala, None, None, 10).await.unwrap();
    assert_eq!(page.iter().map(|line| line.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(!older);
    assert!(store.delete_chat(&sala, 1, family, NOW).await.unwrap());
    assert!(!store.delete_chat(&sala, 1, family, NOW).await.unwrap());
    assert_eq!(store.deleted_chat_since(&sala, 0).await.unwrap(), [1]);
    let after = store.chat_after(&sala, None, 0, 10).await.unwrap().unwrap();
    assert_eq!(after.iter().map(|line| line.seq).collect::<Vec<_>>(), [2]);
    let Appended::New(third) = say(store, &sala, family, "m-3").await.unwrap() else {
        panic!()
    };
    assert_eq!(third.seq, 3, "numbers are never reused");
}
on_both_backends!(chat_numbers_resends_and_deletes);

/// The threads of a room as its staff see them.
async fn staff_threads(store: &Store, room: &RoomId) -> Vec<ThreadState> {
    store
        .thread_states(room, ThreadReader::Staff, ThreadsShown::All)
        .await
        .unwrap()
}

async fn private_threads(store: &Store) {
    let ana = person(store, "ana", UserRole::Family).await;
    let luis = person(store, "luis", UserRole::Family).await;
    let seño = person(store, "marta", UserRole::Caregiver).await;
    let sala = room(store, "sala").await;
    let ana_thread = Conversation {
        room: &sala,
        thread: Some(ana),
    };
    // Each thread numbers its own messages, apart from the room's chat.
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), ana, false, "a-1").await),
        1
    );
    assert_eq!(seq_of(say(store, &sala, luis, "room-1").await), 1);
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), ana, false, "a-2").await),
        2
    );
    assert_eq!(
        seq_of(say_in(store, &sala, Some(luis), luis, false, "l-1").await),
        1
    );
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), seño, true, "a-3").await),
        3
    );
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), ana, false, "a-1").await),
        1,
        "a resend is the message stored before"
    );
    let (lines, _) = store.chat_page(ana_thread, None, None, 10).await.unwrap();
    assert_eq!(lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(lines.iter().all(|line| line.thread == Some(ana)));
    let (room_lines, _) = store.chat_page(&sala, None, None, 10).await.unwrap();
    assert_eq!(room_lines.len(), 1, "the room's chat holds none of them");
    assert!(room_lines[0].thread.is_none());

    // The staff see both threads with the families' messages unread; Ana only her own,
    // with the caregiver's answer unread.
    let unread = |states: &[ThreadState]| -> Vec<(UserId, u64, u64)> {
        let mut all: Vec<_> = states
            .iter()
            .map(|s| (s.thread, s.unread, s.seen_seq))
            .collect();
        all.sort();
        all
    };
    assert_eq!(
        unread(&staff_threads(store, &sala).await),
        [(ana, 2, 0), (luis, 1, 0)]
    );
    let anas = store
        .thread_states(&sala, ThreadReader::Family(ana), ThreadsShown::All)
        .await
        .unwrap();
    assert_eq!(unread(&anas), [(ana, 1, 0)]);
    assert_eq!(anas[0].last_seq, 3);
    assert_eq!(anas[0].family.as_str(), "ana");

    // Reading moves a side's mark on, never past the last message, never back.
    assert!(
        store
            .mark_thread_read(&sala, ana, ThreadReader::Staff, 99)
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_thread_read(&sala, ana, ThreadReader::Staff, 2)
            .await
            .unwrap()
    );
    assert_eq!(
        unread(&staff_threads(store, &sala).await),
        [(ana, 0, 3), (luis, 1, 0)]
    );
    assert!(
        store
            .mark_thread_read(&sala, ana, ThreadReader::Family(ana), 3)
            .await
            .unwrap()
    );
    let anas = store
        .thread_states(&sala, ThreadReader::Family(ana), ThreadsShown::One(ana))
        .await
        .unwrap();
    assert_eq!(unread(&anas), [(ana, 0, 3)]);
    // A deleted message is not unread.
    say_in(store, &sala, Some(ana), seño, true, "a-4")
        .await
        .unwrap();
    assert!(store.delete_chat(ana_thread, 4, seño, NOW).await.unwrap());
    assert_eq!(store.deleted_chat_since(ana_thread, 0).await.unwrap(), [4]);
    assert_eq!(
        store.deleted_chat_since(&sala, 0).await.unwrap(),
        Vec::<u64>::new()
    );
    let anas = store
        .thread_states(&sala, ThreadReader::Family(ana), ThreadsShown::One(ana))
        .await
        .unwrap();
    assert_eq!(unread(&anas), [(ana, 0, 3)]);

    // Luis, added to Ana's thread, sees it beside his own; the policy says so.
    let guest = ThreadGuest {
        thread: ana,
        guest: luis,
    };
    let (changed, policy) = store
        .add_thread_guest(&sala, guest, seño, NOW)
        .await
        .unwrap();
    assert_eq!(changed, sala);
    assert_eq!(&*policy.thread_guests, [guest]);
    let luis_sees = store
        .thread_states(&sala, ThreadReader::Family(luis), ThreadsShown::All)
        .await
        .unwrap();
    let mut threads: Vec<UserId> = luis_sees.iter().map(|s| s.thread).collect();
    threads.sort();
    assert_eq!(threads, [ana, luis]);
    let (_, policy) = store.remove_thread_guest(&sala, guest).await.unwrap();
    assert!(policy.thread_guests.is_empty());
    assert!(matches!(
        store.remove_thread_guest(&sala, guest).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.thread_exists(&sala, ana).await.unwrap());
    assert!(!store.thread_exists(&sala, seño).await.unwrap());

    // Retention forgets threads' messages as the room's; a room's deletion takes its
    // threads, their marks and their guests with it.
    store
        .add_thread_guest(&sala, guest, seño, NOW)
        .await
        .unwrap();
    assert_eq!(
        store
            .forget_chat_before(NOW + std::time::Duration::from_micros(1))
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), ana, false, "a-5").await),
        5
    );
    store.delete_room(&sala).await.unwrap();
    let sala = room(store, "sala").await;
    let ana_thread = Conversation {
        room: &sala,
        thread: Some(ana),
    };
    assert!(
        store
            .chat_page(ana_thread, None, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert!(staff_threads(store, &sala).await.is_empty());
    assert!(
        store
            .room(&sala)
            .await
            .unwrap()
            .unwrap()
            .policy
            .thread_guests
            .is_empty()
    );
    assert_eq!(
        seq_of(say_in(store, &sala, Some(ana), ana, false, "a-6").await),
        1
    );
}
on_both_backends!(private_threads);

/// Two nodes on one PostgreSQL append to one room at once, each message also resent to the
/// other node: every message is stored once, and the numbers are 1…N with no gaps.
#[tokio::test]
async fn two_nodes_number_one_rooms_chat_without_gaps_or_duplicates() {
    let options = fresh_postgres().await;
    let node_a = Store::open(Location::Postgres(&options)).await.unwrap();
    let node_b = Store::open(Location::Postgres(&options)).await.unwrap();
    let family = person(&node_a, "ana", UserRole::Family).await;
    let sala = room(&node_a, "sala").await;
    let messages = 200;
    let send = |store: Store, room: RoomId, from: usize| async move {
        let mut seqs = Vec::new();
        for n in 0..messages {
            let id = format!("m-{}", (n + from) % messages);
            let line = match say(&store, &room, family, &id).await.unwrap() {
                Appended::New(line) | Appended::Existing(line) => line,
            };
            seqs.push((id, line.seq));
        }
        seqs
    };
    let (a, b) = tokio::join!(
        tokio::spawn(send(node_a.clone(), sala.clone(), 0)),
        tokio::spawn(send(node_b.clone(), sala.clone(), messages / 2)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut by_id = std::collections::HashMap::new();
    for (id, seq) in a.into_iter().chain(b) {
        assert_eq!(
            *by_id.entry(id.clone()).or_insert(seq),
            seq,
            "{id} got two numbers"
        );
    }
    let numbers: BTreeSet<u64> = by_id.values().copied().collect();
    assert_eq!(
        numbers,
        (1..=messages as u64).collect(),
        "numbers 1…{messages}, each once"
    );
    let stored = node_b
        .chat_after(&sala, None, 0, 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.len(), messages);
    node_a.close().await;
    node_b.close().await;
}

async fn room_memberships(store: &Store) {
    let family = person(store, "ana", UserRole::Family).await;
    let (azul, verde) = (room(store, "azul").await, room(store, "verde").await);
    store
        .set_user_rooms(family, &[azul.clone(), verde.clone()], NOW)
        .await
        .unwrap();
    let later = Timestamp::from_micros(NOW.as_micros() + 1);
    store
        .set_user_rooms(family, std::slice::from_ref(&verde), later)
        .await
        .unwrap();
    let rooms: Vec<RoomId> = store
        .rooms_of_user(family)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.slug)
        .collect();
    assert_eq!(rooms, std::slice::from_ref(&verde));
    assert_eq!(
        store.member_since(family, &verde).await.unwrap(),
        Some(NOW),
        "a kept room keeps its date"
    );
    store.set_user_rooms(family, &[], later).await.unwrap();
    assert!(store.rooms_of_user(family).await.unwrap().is_empty());
    let missing = RoomId::try_from("gone".to_owned()).unwrap();
    assert!(matches!(
        store.set_user_rooms(family, &[missing], later).await,
        Err(StoreError::NotFound)
    ));
}
on_both_backends!(room_memberships);

/// Two nodes each revoke a different one of the last two admins at the same moment: one of
/// them must be refused, so that an admin remains.
#[tokio::test]
async fn two_nodes_removing_the_last_two_admins_at_once_leave_one() {
    let options = fresh_postgres().await;
    let node_a = Store::open(Location::Postgres(&options)).await.unwrap();
    let node_b = Store::open(Location::Postgres(&options)).await.unwrap();
    let mut survivor = person(&node_a, "admin", UserRole::Admin).await;
    for round in 0..20 {
        let newcomer = person(&node_a, &format!("admin{round}"), UserRole::Admin).await;
        let (a, b) = tokio::join!(
            node_a.revoke_user(survivor, NOW),
            node_b.revoke_user(newcomer, NOW)
        );
        match (&a, &b) {
            (Err(StoreError::LastAdmin), Ok(_)) => {}
            (Ok(_), Err(StoreError::LastAdmin)) => survivor = newcomer,
            _ => panic!("round {round}: exactly one must be refused: {a:?} {b:?}"),
        }
        assert_eq!(
            node_b.active_admin_count().await.unwrap(),
            1,
            "round {round}"
        );
    }
    node_a.close().await;
    node_b.close().await;
}
