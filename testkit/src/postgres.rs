//! Fresh databases on the tests' PostgreSQL server (`NIDO_TEST_POSTGRES`, an admin URL to
//! the server that `scripts/test.sh` starts): each test makes one of its own.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// A new, empty database named after `purpose`; its URL.
pub async fn fresh_database(purpose: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = std::env::var("NIDO_TEST_POSTGRES").expect(
        "NIDO_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL",
    );
    let admin = PgConnectOptions::from_str(&url).expect("NIDO_TEST_POSTGRES is a postgres:// URL");
    let name = format!(
        "nido_{purpose}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut connection = PgConnection::connect_with(&admin)
        .await
        .expect("PostgreSQL answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("a test database");
    let (base, _) = url.rsplit_once('/').expect("the URL names a database");
    format!("{base}/{name}")
}
