//! `AppState`: everything a request handler or a connection needs, cheap to clone.

use std::sync::Arc;

use jiff::tz::TimeZone;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::password::Passwords;
use crate::auth::throttle::LoginThrottle;
use crate::cluster::{BackplaneError, Cluster, ClusterSettings};
use crate::http::origin::OriginPolicy;
use crate::http::security_headers::content_security_policy;
use crate::http::served_hosts::ServedHosts;
use crate::http::static_files;
use crate::infra::clock::Clock;
use crate::infra::config::Config;
use crate::infra::metrics::{Metrics, MetricsAccess};
use crate::infra::tls::{Tls, TlsError};
use crate::relay::chat_rate::{ChatRate, chat_rate};
use crate::relay::hours::ViewingHours;
use crate::relay::hub::Hub;
use crate::relay::open_sockets::OpenSockets;
use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Clock,
    pub hours: ViewingHours,
    pub hub: Hub,
    /// The other nodes of the deployment (`--backplane`); `None` for a single node.
    pub cluster: Option<Cluster>,
    pub sockets: OpenSockets,
    pub passwords: Passwords,
    pub throttle: LoginThrottle,
    pub chat_rate: ChatRate,
    pub origins: Arc<OriginPolicy>,
    /// The names Nido answers to.
    pub served_hosts: Arc<ServedHosts>,
    /// The Content-Security-Policy of every answer, made for the app being served.
    pub content_security_policy: Arc<str>,
    /// How the server speaks https; `None` for plain http.
    pub tls: Option<Tls>,
    pub metrics: Metrics,
    pub metrics_access: Arc<MetricsAccess>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Every open WebSocket connection and audit write, so that shutdown can wait for them.
    pub connections: TaskTracker,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unknown time zone {0:?}; use an IANA name such as Europe/Madrid")]
    TimeZone(String),
    // The cause follows in the error's chain, as `main` prints it.
    #[error("cannot open the database")]
    Store(#[from] StoreError),
    #[error("cannot set up https")]
    Tls(#[from] TlsError),
    #[error("--http-redirect needs https: add --tls-cert and --tls-key, or --tls-self-signed")]
    RedirectWithoutTls,
    #[error(
        "refusing plain http on {0}: passwords, chat and the children's video would cross the \
         network unencrypted. Serve https (--tls-self-signed, or --tls-cert and --tls-key), \
         or name the https proxy in front with --trusted-proxy, or pass --insecure-http to \
         do it anyway"
    )]
    PlainHttpOnNetwork(std::net::SocketAddr),
    #[error(
        "--backplane joins nodes that share one PostgreSQL database: add --database \
         postgres://… (on SQLite, one Nido is the whole deployment)"
    )]
    BackplaneWithoutDatabase,
    #[error("cannot join the backplane")]
    Backplane(#[from] BackplaneError),
}

impl AppState {
    /// Opens the database and prepares everything; fails on a bad time zone or database.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let zone = match &config.time_zone {
            Some(name) => TimeZone::get(name).map_err(|_| StartError::TimeZone(name.clone()))?,
            None => TimeZone::system(),
        };
        let tls = Tls::from_config(&config)?;
        if tls.is_none() && config.http_redirect.is_some() {
            return Err(StartError::RedirectWithoutTls);
        }
        let exposed = !config.listen.ip().is_loopback();
        if tls.is_none() && exposed && config.trusted_proxy.is_empty() && !config.insecure_http {
            return Err(StartError::PlainHttpOnNetwork(config.listen));
        }
        if config.backplane.is_some() && config.database.is_none() {
            return Err(StartError::BackplaneWithoutDatabase);
        }
        let store = Store::open(config.store_location()).await?;
        let clock = Clock::default();
        let metrics = Metrics::default();
        let cluster = match (&config.backplane, &config.database) {
            (Some(backplane), Some(database)) => {
                let settings = ClusterSettings {
                    backplane,
                    deployment: database.options().get_database().unwrap_or("nido"),
                    listen: config.listen,
                    max_frame_bytes: config.max_frame_bytes,
                };
                Some(Cluster::join(settings, store.clone(), clock.clone(), metrics.clone()).await?)
            }
            _ => None,
        };
        // On a shared database the open viewings are other nodes' too, alive.
        if !store.is_shared() {
            let ended = store.end_unfinished_viewings(clock.now()).await?;
            if ended > 0 {
                tracing::info!(ended, "closed viewing sessions left open by the last run");
            }
        }
        let hours = ViewingHours::new(zone);
        let policy = content_security_policy(static_files::router(config.dist.as_deref())).await;
        Ok(Self {
            served_hosts: Arc::new(ServedHosts::new(&config, tls.as_ref())),
            content_security_policy: policy.into(),
            chat_rate: chat_rate(config.chat_per_10s),
            origins: Arc::new(OriginPolicy::new(&config.allowed_origin)),
            tls,
            metrics,
            metrics_access: Arc::new(MetricsAccess::new(
                &config.metrics_allow,
                config.metrics_token.as_deref(),
            )),
            config: Arc::new(config),
            hub: Hub::new(clock.clone(), hours.clone(), cluster.clone()),
            cluster,
            store,
            clock,
            hours,
            sockets: OpenSockets::default(),
            passwords: Passwords::new(),
            throttle: LoginThrottle::default(),
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
        })
    }
}
