//! The `nido-server` command: serves until SIGTERM or Ctrl-C, or runs an `admin` command.

use anyhow::Context;
use clap::Parser;
use nido_server::config::{AdminCommand, Command};
use nido_server::store::Store;
use nido_server::{AppState, Cli, serve};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let Cli { config, command } = Cli::parse();
    if let Some(Command::Admin(AdminCommand::Create { name })) = command {
        let store = Store::open(&config.data_dir)
            .await
            .context("cannot open the database")?;
        nido_server::admin_cli::create_admin(&store, &name).await?;
        store.close().await;
        eprintln!("Created the admin {name}. Log in at Nido's address.");
        return Ok(());
    }
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "the browser app is not built there; run `trunk build`");
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("Nido is running at http://{}", listener.local_addr()?);

    let state = AppState::open(config).await?;
    if state.store.active_admin_count().await? == 0 {
        tracing::warn!("there is no admin yet: create one with `nido-server admin create NAME`");
    }
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    serve(listener, state).await.context("server failed")
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
