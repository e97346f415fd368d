//! The login burst: 400 wrong logins at a time from one address for 5 seconds (each answered
//! one is sent again at once), and meanwhile a real login from another address every
//! 200 ms. The password queue's bound per address
//! is what keeps the real one fast; this measures how fast.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context;
use nido_shared::api::LoginRequest;

use crate::nido_setup::{ADMIN, PASSWORD};
use crate::peer::{PeerKind, Programs};

/// Wrong logins under way at any moment, and for how long.
const BURST: usize = 400;
const LASTS: Duration = Duration::from_secs(5);
/// Where the attack comes from, and where the admin logs in from (both loopback).
const ATTACKER: [u8; 4] = [127, 0, 0, 1];
const ADMIN_ADDRESS: [u8; 4] = [127, 0, 0, 2];

/// How the real logins fared during the burst.
#[derive(Debug)]
pub struct BurstResult {
    pub real_logins: Vec<Duration>,
    pub refused_busy: usize,
    pub refused_throttled: usize,
    pub wrong_password: usize,
    pub burst_took: Duration,
}

pub async fn run(programs: &Programs) -> anyhow::Result<BurstResult> {
    let nido = programs.start(PeerKind::Nido).await?;
    let addr = nido.target.addr;
    let admin = client_from(ADMIN_ADDRESS)?;
    let started = Instant::now();
    // The attacker is a program of its own: its 400 requests must not queue the admin's
    // behind them in this client.
    let attacking = std::thread::spawn(move || -> anyhow::Result<(Vec<u16>, Duration)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let attacker = client_from(ATTACKER)?;
            let guesses = (0..BURST).map(|n| {
                let attacker = attacker.clone();
                async move {
                    let mut statuses = Vec::new();
                    while started.elapsed() < LASTS {
                        let guess = format!("guess-{n}-{}", statuses.len());
                        statuses.push(log_in(&attacker, addr, &guess, "wrong").await?);
                    }
                    anyhow::Ok(statuses)
                }
            });
            let statuses = futures_util::future::join_all(guesses).await;
            let statuses = statuses.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
            Ok((statuses.concat(), started.elapsed()))
        })
    });
    let real = async {
        let mut took = Vec::new();
        // While the burst lasts, log the admin in every 200 ms.
        while took.is_empty() || started.elapsed() < LASTS {
            let attempt = Instant::now();
            let status = log_in(&admin, addr, ADMIN, PASSWORD).await?;
            anyhow::ensure!(status == 204, "the real login got {status}");
            took.push(attempt.elapsed());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::Ok(took)
    };
    let real_logins = real.await;
    let (statuses, burst_took) = tokio::task::spawn_blocking(move || attacking.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the attacker's thread panicked"))??;
    let count = |wanted: u16| statuses.iter().filter(|s| **s == wanted).count();
    Ok(BurstResult {
        real_logins: real_logins?,
        refused_busy: count(503),
        refused_throttled: count(429),
        wrong_password: count(401),
        burst_took,
    })
}

fn client_from(address: [u8; 4]) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .local_address(IpAddr::from(address))
        .build()
        .context("an HTTP client")
}

async fn log_in(
    client: &reqwest::Client,
    addr: SocketAddr,
    username: &str,
    password: &str,
) -> anyhow::Result<u16> {
    let answer = client
        .post(format!("http://{addr}/api/login"))
        .json(&LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            code: None,
        })
        .send()
        .await?;
    Ok(answer.status().as_u16())
}

impl BurstResult {
    pub fn describe(&self) -> String {
        let mut sorted = self.real_logins.clone();
        sorted.sort();
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        format!(
            "login burst: {} wrong logins from one address, {BURST} at a time, for {:.1} s \
             ({} answered 503 busy, {} 429 throttled, {} 401 wrong password); {} real logins \
             from another address meanwhile: median {:.0} ms, slowest {:.0} ms",
            self.refused_busy + self.refused_throttled + self.wrong_password,
            self.burst_took.as_secs_f64(),
            self.refused_busy,
            self.refused_throttled,
            self.wrong_password,
            sorted.len(),
            ms(&sorted[sorted.len() / 2]),
            ms(sorted.last().expect("at least one real login")),
        )
    }
}
