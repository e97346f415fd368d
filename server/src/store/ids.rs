//! The numbers the database gives to rows only the server handles, each its own type so
//! that none is passed where another number (another id, a time) is meant.

nido_shared::database_id! {
    /// A login session's number.
    SessionId
}

nido_shared::database_id! {
    /// A viewing session's line in the audit log.
    ViewingId
}
