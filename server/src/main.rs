//! The `nido-server` command: serves until SIGTERM or Ctrl-C, or runs an `admin`, `backup`
//! or `migrate-to-postgres` command.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use nido_server::clock::Clock;
use nido_server::config::{AdminCommand, Command, Config};
use nido_server::store::{Location, Store};
use nido_server::tls::serve_redirects;
use nido_server::{AppState, Cli, logging, private_files, serve, static_files};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    private_files::create_private_files();
    let Cli {
        config, command, ..
    } = Cli::load();
    logging::init(config.log_format, &config.log);
    match command {
        Some(Command::Admin(AdminCommand::Create { name })) => create_admin(&config, &name).await,
        Some(Command::Backup { file }) => back_up(&config, &file).await,
        Some(Command::MigrateToPostgres) => migrate_to_postgres(&config).await,
        None => run(config).await,
    }
}

async fn create_admin(config: &Config, name: &str) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    nido_server::admin_cli::create_admin(&store, name).await?;
    store.close().await;
    eprintln!("Created the admin {name}. Log in at Nido's address.");
    Ok(())
}

async fn back_up(config: &Config, file: &Path) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let result = store.back_up_to(file).await;
    store.close().await;
    result.context("the backup failed")?;
    eprintln!(
        "Backed up the database to {} (integrity check: ok).",
        file.display()
    );
    Ok(())
}

async fn migrate_to_postgres(config: &Config) -> anyhow::Result<()> {
    let Some(database) = &config.database else {
        anyhow::bail!(
            "migrate-to-postgres copies into the PostgreSQL database named by --database"
        );
    };
    let sqlite = Store::open(Location::Sqlite(&config.data_dir))
        .await
        .context("cannot open the SQLite database")?;
    let postgres = Store::open(Location::Postgres(database.options()))
        .await
        .context("cannot open the PostgreSQL database")?;
    // As the SQLite Nido's next start would: viewings a crash left open end now, or no node
    // of the deployment would ever end them.
    sqlite
        .end_unfinished_viewings(Clock::default().now())
        .await
        .context("cannot end the viewings left open")?;
    let copied = sqlite.copy_into_postgres(&postgres).await;
    sqlite.close().await;
    postgres.close().await;
    for (table, rows) in copied.context("the migration failed")? {
        eprintln!("{table}: {rows} rows");
    }
    eprintln!(
        "Copied {} into {database}. Start Nido with --database.",
        config
            .data_dir
            .join(nido_server::store::DATABASE_FILE)
            .display()
    );
    Ok(())
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(config.store_location())
        .await
        .context("cannot open the database")
}

async fn run(config: Config) -> anyhow::Result<()> {
    if !static_files::app_is_present(config.dist.as_deref()) {
        tracing::warn!("the browser app is not built; run `scripts/build-app.sh`");
    }
    let listener = bind(config.listen).await?;
    let redirect_listener = match config.http_redirect {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let state = AppState::open(config).await?;
    let bound = listener.local_addr()?;
    let addresses = match &state.tls {
        None => vec![format!("http://{bound}")],
        Some(tls) => tls.addresses(bound),
    };
    tracing::info!("Nido is running at {}", addresses.join(", "));
    if let Some(authority) = state.tls.as_ref().and_then(|tls| tls.authority.as_ref()) {
        println!("{}", authority.trust_instructions(&addresses));
    }
    // Where a redirect goes when the request named no host Nido serves.
    let main_name = match &state.config.public_url {
        Some(url) => url.host.clone(),
        None => addresses
            .first()
            .and_then(|address| address.parse::<axum::http::Uri>().ok())
            .and_then(|uri| uri.host().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned()),
    };
    if state.store.active_admin_count().await? == 0 {
        tracing::warn!("there is no admin yet: create one with `nido-server admin create NAME`");
    }
    if let Some(redirect_listener) = redirect_listener {
        let shutdown = state.shutdown.clone();
        let hosts = state.served_hosts.clone();
        tokio::spawn(async move {
            let redirects =
                serve_redirects(redirect_listener, bound.port(), hosts, main_name, shutdown);
            if let Err(error) = redirects.await {
                tracing::error!(%error, "the http redirect listener failed");
            }
        });
    }
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    serve(listener, state).await.context("server failed")
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler cannot fail at start-up");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
