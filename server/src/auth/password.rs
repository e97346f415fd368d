//! Password hashing with argon2id (m=19456 KiB, t=2, p=1), stored as PHC strings.
//!
//! Hashing is deliberately slow and uses 19 MiB, so it runs on the blocking pool, a few at
//! a time, in working memory that is kept and reused: the server's memory does not grow
//! with logins. The queue in front of it is bounded, in all and per client address: past
//! either bound a request is refused at once (503 with `Retry-After`), so a burst of wrong
//! passwords from one address keeps at most a few places and everyone else's login still
//! goes through in well under a second.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::infra::mutex::lock;

/// Hashes computed at the same time, at most.
const CONCURRENT_HASHES: usize = 2;
/// Hashes waiting or running, at most, in all and for one client address (or IPv6 /64).
const MAX_QUEUED: usize = 32;
const MAX_QUEUED_PER_ADDRESS: usize = 3;
/// The longest salt a stored hash may have, decoded (the PHC format's limit).
const MAX_SALT_BYTES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(#[from] argon2::password_hash::Error),
    #[error("the hashing task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The queue is full, in all or for this client: try again in a moment.
    #[error("too many password checks are waiting")]
    Busy,
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    queue: Arc<Mutex<Queue>>,
    memory: Arc<WorkingMemory>,
    /// Verified against when the account does not exist, so that answering takes as long
    /// as for a real account.
    decoy_hash: Arc<str>,
}

/// Who is waiting for or running a hash.
#[derive(Default)]
struct Queue {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A place in the queue, given back when dropped.
pub struct Place {
    queue: Arc<Mutex<Queue>>,
    address: IpAddr,
}

impl Place {
    fn take(queue: &Arc<Mutex<Queue>>, client: IpAddr) -> Result<Self, PasswordError> {
        let address = crate::auth::throttle::address_key(client);
        let mut waiting = lock(queue);
        let mine = waiting.per_address.get(&address).copied().unwrap_or(0);
        if waiting.total >= MAX_QUEUED || mine >= MAX_QUEUED_PER_ADDRESS {
            return Err(PasswordError::Busy);
        }
        waiting.total += 1;
        waiting.per_address.insert(address, mine + 1);
        Ok(Self {
            queue: Arc::clone(queue),
            address,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut waiting = lock(&self.queue);
        waiting.total -= 1;
        if let Some(mine) = waiting.per_address.get_mut(&self.address) {
            *mine -= 1;
            if *mine == 0 {
                waiting.per_address.remove(&self.address);
            }
        }
    }
}

/// Argon2's 19 MiB of working memory, kept for the next hash. Allocated anew for each hash,
/// the allocator kept a copy of it for every thread that had hashed: 20 MiB more resident
/// memory with each of the first logins, up to about 120 MiB.
#[derive(Default)]
struct WorkingMemory {
    free: Mutex<Vec<Vec<Block>>>,
}

impl WorkingMemory {
    /// Runs `hash` with at least `params`' blocks; there are never more buffers than
    /// hashes running at once.
    fn with_blocks<T>(&self, params: &Params, hash: impl FnOnce(&mut [Block]) -> T) -> T {
        let needed = params.block_count();
        let reused = lock(&self.free)
            .pop()
            .filter(|blocks| blocks.len() >= needed);
        let mut blocks = reused.unwrap_or_else(|| vec![Block::default(); needed]);
        let result = hash(&mut blocks[..needed]);
        lock(&self.free).push(blocks);
        result
    }
}

fn nido_params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("these argon2 parameters are valid")
}

/// The hash of `password` with `salt` as argon2 computes it, `output_len` bytes long.
fn raw_hash(
    memory: &WorkingMemory,
    argon2: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &Salt<'_>,
    output_len: usize,
) -> Result<Output, PasswordError> {
    let mut salt_buffer = [0u8; MAX_SALT_BYTES];
    let salt = salt.decode_b64(&mut salt_buffer)?;
    let output = memory.with_blocks(params, |blocks| {
        Output::init_with(output_len, |out| {
            Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, blocks)?)
        })
    })?;
    Ok(output)
}

/// A new PHC string for `password`: argon2id, Nido's parameters, a random salt.
fn hash_now(memory: &WorkingMemory, password: &str) -> Result<String, PasswordError> {
    let params = nido_params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let output = raw_hash(
        memory,
        &argon2,
        &params,
        password,
        &salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, with the algorithm, version and
/// parameters it names; a malformed one matches nothing.
fn matches(memory: &WorkingMemory, password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    // `Output`'s comparison takes the same time wherever the hashes differ.
    raw_hash(memory, &argon2, &params, password, &salt, expected.len())
        .is_ok_and(|computed| computed == expected)
}

impl Passwords {
    pub fn new() -> Self {
        let memory = Arc::new(WorkingMemory::default());
        let decoy = hash_now(&memory, "decoy password, never anyone's")
            .expect("hashing a fixed password works");
        Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            queue: Arc::default(),
            memory,
            decoy_hash: decoy.into(),
        }
    }

    /// A place in the queue for `client`, taken before any other work on its request, so
    /// that a refused one costs nothing more; [`PasswordError::Busy`] when it is full.
    pub fn reserve(&self, client: IpAddr) -> Result<Place, PasswordError> {
        Place::take(&self.queue, client)
    }

    /// Hashes a new password for `client`; [`PasswordError::Busy`] when the queue is full.
    pub async fn hash(&self, password: &str, client: IpAddr) -> Result<String, PasswordError> {
        let _place = Place::take(&self.queue, client)?;
        let _permit = self.permits.acquire().await.expect("never closed");
        let password = password.to_owned();
        let memory = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || hash_now(&memory, &password)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash, does the same work and
    /// answers no. Waits its turn in the place reserved for it.
    pub async fn verify(
        &self,
        _place: Place,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let _permit = self.permits.acquire().await.expect("never closed");
        let password = password.to_owned();
        let real = stored.is_some();
        let hash = stored.map_or_else(|| self.decoy_hash.to_string(), str::to_owned);
        let memory = Arc::clone(&self.memory);
        let matched =
            tokio::task::spawn_blocking(move || matches(&memory, &password, &hash)).await?;
        Ok(real && matched)
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_phc_functions() {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, nido_params());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let passwords = Passwords::new();
        assert!(
            passwords
                .verify(
                    passwords.reserve(HERE).unwrap(),
                    "correct horse",
                    Some(&theirs)
                )
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(
                    passwords.reserve(HERE).unwrap(),
                    "correct hors",
                    Some(&theirs)
                )
                .await
                .unwrap()
        );

        let ours = passwords.hash("correct horse", HERE).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2.verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2.verify_password(b"wrong horse", &parsed).is_err());
        assert!(
            !passwords
                .verify(
                    passwords.reserve(HERE).unwrap(),
                    "correct horse",
                    Some("$argon2id$garbage")
                )
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn working_memory_is_reused_not_piled_up() {
        let passwords = Passwords::new();
        for _ in 0..4 {
            passwords.hash("correct horse", HERE).await.unwrap();
        }
        assert_eq!(
            lock(&passwords.memory.free).len(),
            1,
            "one hash at a time, one buffer"
        );
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse", HERE).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify(
                    passwords.reserve(HERE).unwrap(),
                    "correct horse",
                    Some(&hash)
                )
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(passwords.reserve(HERE).unwrap(), "wrong horse", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(
                    passwords.reserve(HERE).unwrap(),
                    "decoy password, never anyone's",
                    None
                )
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn the_queue_is_bounded_per_address_and_in_all() {
        let passwords = Passwords::new();
        let attacker: IpAddr = "203.0.113.9".parse().unwrap();
        let places: Vec<Place> = (0..MAX_QUEUED_PER_ADDRESS)
            .map(|_| passwords.reserve(attacker).unwrap())
            .collect();
        assert!(matches!(
            passwords.reserve(attacker),
            Err(PasswordError::Busy)
        ));
        // Someone else still gets checked.
        let place = passwords.reserve(HERE).unwrap();
        assert!(!passwords.verify(place, "x", None).await.unwrap());
        drop(places);
        assert!(passwords.reserve(attacker).is_ok());
        let crowd: Vec<Place> = (0..MAX_QUEUED)
            .map(|n| {
                passwords
                    .reserve(IpAddr::from([10, 0, 0, n as u8]))
                    .unwrap()
            })
            .collect();
        assert!(matches!(
            passwords.hash("x", HERE).await,
            Err(PasswordError::Busy)
        ));
        drop(crowd);
        assert!(lock(&passwords.queue).per_address.is_empty());
    }
}
