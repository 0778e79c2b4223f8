//! Host-side Monte Carlo of the slot-assignment rule in [`crate::sortition`].
//!
//! Each trial draws a random 32-byte seed and a random job key, computes every provider's
//! ticket, weight and score with the on-chain functions ([`ticket`], [`weight`], [`score`],
//! [`eligible`]), and assigns the job's slots:
//!
//! * **Ranked phase**: every eligible provider claims; the `replicas` lowest scores hold the
//!   slots (ties go to the attacker).
//! * **Open phase**: when fewer than `replicas` providers are eligible, the remaining slots go
//!   first come, and the attacker's wallets that hold no slot yet win every race (worst case);
//!   honest providers fill what is left.
//!
//! The pool holds `honest` providers of equal stake (together `1 − f` of the pool) and an
//! attacker whose stake `f` is split evenly across `attacker_wallets` wallets; each wallet can
//! hold at most one slot of a job. Every provider's free stake is its whole stake. The attacker
//! captures a job when it holds at least `quorum = replicas / 2 + 1` slots; the measured
//! frequency is compared with the binomial prediction `P[Bin(replicas, f) ≥ quorum]`.
//!
//! The run is deterministic for a given [`Config`] (trials are grouped in fixed chunks, each
//! with its own [`SplitMix64`] stream, and only integer counts are summed), whatever the
//! number of threads. Host only: not compiled for SBF.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use solana_pubkey::Pubkey;

use crate::sortition::{eligible, score, ticket, weight};

/// Default number of honest providers in the simulated pool.
pub const DEFAULT_HONEST: u32 = 100;
/// Total stake of the simulated pool, in base units (one million tokens of 9 decimals).
pub const POOL_STAKE: u64 = 1_000_000_000_000_000;
/// Default seed of a configuration's random streams.
pub const DEFAULT_SEED: u64 = 0x5eed_d391_c0de_0001;
/// Trials per chunk: the unit of work handed to a thread, each with its own random stream.
const CHUNK: u64 = 256;

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): tiny, fast and good enough to draw
/// seeds and keys for the simulation. Not for cryptographic use.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// 32 random bytes.
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }
}

/// The SplitMix64 output function (a bijective 64-bit mixer).
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One simulated configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// The attacker's fraction `f` of the pool's stake, in `[0, 1)`.
    pub attacker_fraction: f64,
    /// Number of wallets the attacker's stake is split across, evenly (at least 1).
    pub attacker_wallets: u32,
    /// Number of honest providers, of equal stake (together `1 − f` of the pool).
    pub honest: u32,
    /// Slots of the job (1..=255).
    pub replicas: u8,
    /// Number of trials (jobs) to simulate.
    pub trials: u64,
    /// Seed of the random streams: the same configuration and seed give the same outcome.
    pub seed: u64,
}

impl Config {
    /// A configuration with [`DEFAULT_HONEST`] honest providers and [`DEFAULT_SEED`].
    pub fn new(attacker_fraction: f64, replicas: u8, attacker_wallets: u32, trials: u64) -> Self {
        Self {
            attacker_fraction,
            attacker_wallets,
            honest: DEFAULT_HONEST,
            replicas,
            trials,
            seed: DEFAULT_SEED,
        }
    }

    /// Slots the attacker must hold to capture a job: `replicas / 2 + 1`.
    pub fn quorum(&self) -> u8 {
        self.replicas / 2 + 1
    }
}

/// The result of simulating one [`Config`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The simulated configuration.
    pub config: Config,
    /// The attacker's actual fraction of the pool's stake (after rounding stakes to integers).
    pub stake_fraction: f64,
    /// Trials in which the attacker held at least a quorum of the slots.
    pub captures: u64,
    /// Measured capture probability: `captures / trials`.
    pub capture: f64,
    /// Half-width of the 95 % confidence interval of [`Outcome::capture`] (normal
    /// approximation, `1.96 · √(p̂ (1 − p̂) / trials)`).
    pub half_width: f64,
    /// The binomial prediction `P[Bin(replicas, stake_fraction) ≥ quorum]`.
    pub binomial: f64,
    /// Mean number of providers eligible in the ranked phase.
    pub mean_eligible: f64,
    /// Mean fraction of a job's slots held by the attacker.
    pub attacker_share: f64,
    /// Fraction of trials in which fewer than `replicas` providers were eligible, so the open
    /// phase (won by the attacker, worst case) filled the remaining slots.
    pub open_phase: f64,
}

/// `P[Bin(n, p) ≥ k]`, summed term by term.
pub fn binomial_tail(n: u32, p: f64, k: u32) -> f64 {
    let mut total = 0.0;
    let mut coeff = 1.0; // C(n, i)
    for i in 0..=n {
        if i >= k {
            total += coeff * p.powi(i as i32) * (1.0 - p).powi((n - i) as i32);
        }
        coeff = coeff * (n - i) as f64 / (i + 1) as f64;
    }
    total.clamp(0.0, 1.0)
}

/// Integer counts of a group of trials; sums of them do not depend on the order.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    captures: u64,
    eligible: u64,
    attacker_slots: u64,
    open: u64,
}

/// The simulated pool: keys, weights, and which keys are the attacker's.
struct Pool {
    keys: Vec<Pubkey>,
    weights: Vec<u64>,
    attacker: Vec<bool>,
    stake_fraction: f64,
}

impl Pool {
    fn new(c: &Config) -> Self {
        let m = c.attacker_wallets.max(1) as u64;
        let f = c.attacker_fraction.clamp(0.0, 1.0);
        let attacker_stake = (f * POOL_STAKE as f64) as u64 / m;
        let honest_stake = if c.honest == 0 {
            0
        } else {
            ((1.0 - f) * POOL_STAKE as f64) as u64 / c.honest as u64
        };
        let mut stakes = vec![(attacker_stake, true); m as usize];
        stakes.extend(std::iter::repeat_n(
            (honest_stake, false),
            c.honest as usize,
        ));
        let total: u64 = stakes.iter().map(|s| s.0).sum();
        let mut rng = SplitMix64::new(mix64(c.seed ^ 0x6b65_7973)); // "keys"
        Pool {
            keys: stakes
                .iter()
                .map(|_| Pubkey::new_from_array(rng.bytes32()))
                .collect(),
            // Free stake = stake: nothing is locked.
            weights: stakes
                .iter()
                .map(|s| weight(s.0, total, c.replicas))
                .collect(),
            attacker: stakes.iter().map(|s| s.1).collect(),
            stake_fraction: if total == 0 {
                0.0
            } else {
                (attacker_stake * m) as f64 / total as f64
            },
        }
    }

    /// Simulates the `n` trials of chunk number `chunk` into `tally`.
    fn run_chunk(&self, c: &Config, chunk: u64, n: u64, tally: &mut Tally) {
        let replicas = c.replicas as usize;
        let quorum = c.quorum() as u64;
        let wallets = c.attacker_wallets.max(1) as u64;
        let mut rng = SplitMix64::new(mix64(c.seed ^ mix64(chunk.wrapping_add(1))));
        // The holders: (score, honest), sorted ascending; ties rank the attacker first.
        let mut held: Vec<(u64, bool)> = Vec::with_capacity(replicas + 1);
        for _ in 0..n {
            let seed = rng.bytes32();
            let job = Pubkey::new_from_array(rng.bytes32());
            held.clear();
            let mut n_eligible = 0u64;
            for i in 0..self.keys.len() {
                let s = score(ticket(&seed, &job, &self.keys[i]), self.weights[i]);
                if !eligible(s) {
                    continue;
                }
                n_eligible += 1;
                let claim = (s, !self.attacker[i]);
                if held.len() < replicas {
                    let at = held.partition_point(|h| *h <= claim);
                    held.insert(at, claim);
                } else if replicas > 0 && claim < held[replicas - 1] {
                    // A better score displaces the worst holder.
                    held.pop();
                    let at = held.partition_point(|h| *h <= claim);
                    held.insert(at, claim);
                }
            }
            let mut attacker_slots = held.iter().filter(|h| !h.1).count() as u64;
            if held.len() < replicas {
                // Open phase, worst case: the attacker's free wallets win every race.
                tally.open += 1;
                let left = (replicas - held.len()) as u64;
                attacker_slots += left.min(wallets - attacker_slots);
            }
            tally.eligible += n_eligible;
            tally.attacker_slots += attacker_slots;
            if attacker_slots >= quorum {
                tally.captures += 1;
            }
        }
    }
}

/// Simulates one configuration on all available CPUs; the result depends only on `config`.
pub fn simulate(config: &Config) -> Outcome {
    let pool = Pool::new(config);
    let chunks = config.trials.div_ceil(CHUNK);
    let next = AtomicU64::new(0);
    let total = Mutex::new(Tally::default());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
        .clamp(1, chunks.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut t = Tally::default();
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= chunks {
                        break;
                    }
                    let n = CHUNK.min(config.trials - chunk * CHUNK);
                    pool.run_chunk(config, chunk, n, &mut t);
                }
                let mut total = total.lock().unwrap_or_else(|e| e.into_inner());
                total.captures += t.captures;
                total.eligible += t.eligible;
                total.attacker_slots += t.attacker_slots;
                total.open += t.open;
            });
        }
    });
    let t = total.into_inner().unwrap_or_else(|e| e.into_inner());
    let n = config.trials.max(1) as f64;
    let capture = t.captures as f64 / n;
    Outcome {
        config: *config,
        stake_fraction: pool.stake_fraction,
        captures: t.captures,
        capture,
        half_width: 1.96 * (capture * (1.0 - capture) / n).sqrt(),
        binomial: binomial_tail(
            config.replicas as u32,
            pool.stake_fraction,
            config.quorum() as u32,
        ),
        mean_eligible: t.eligible as f64 / n,
        attacker_share: t.attacker_slots as f64 / (n * config.replicas.max(1) as f64),
        open_phase: t.open as f64 / n,
    }
}

/// Renders outcomes as a markdown table, one row per configuration.
pub fn markdown_table(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| attacker stake f | wallets | replicas | quorum | trials | capture (measured) \
         | ± 95 % | P[Bin(replicas, f) ≥ quorum] | mean eligible | open phase | attacker slot share |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for o in outcomes {
        let c = &o.config;
        s.push_str(&format!(
            "| {:.2} | {} | {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.2} | {:.4} | {:.4} |\n",
            o.stake_fraction,
            c.attacker_wallets,
            c.replicas,
            c.quorum(),
            c.trials,
            o.capture,
            o.half_width,
            o.binomial,
            o.mean_eligible,
            o.open_phase,
            o.attacker_share,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    // Tickets are SHA-256 hashes, slow in an unoptimised build (~20 µs each): 1 000 trials of
    // 110 providers per configuration keep the suite near 10 s on two cores.
    const TRIALS: u64 = if cfg!(debug_assertions) {
        1_000
    } else {
        10_000
    };
    const FRACTIONS: [f64; 4] = [0.10, 0.20, 0.33, 0.49];

    fn tolerance(o: &Outcome) -> f64 {
        (4.0 * o.half_width).max(0.03)
    }

    /// The 10-wallet outcomes for every fraction and 3 and 5 replicas, computed once.
    fn split_in_ten() -> &'static [Outcome] {
        static OUT: OnceLock<Vec<Outcome>> = OnceLock::new();
        OUT.get_or_init(|| {
            let mut v = Vec::new();
            for r in [3u8, 5] {
                for f in FRACTIONS {
                    v.push(simulate(&Config::new(f, r, 10, TRIALS)));
                }
            }
            v
        })
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn binomial_tail_exact() {
        assert!((binomial_tail(3, 0.5, 2) - 0.5).abs() < 1e-12);
        assert!((binomial_tail(5, 0.5, 3) - 0.5).abs() < 1e-12);
        // 3 p² (1 − p) + p³ at p = 0.1.
        assert!((binomial_tail(3, 0.1, 2) - 0.028).abs() < 1e-12);
        assert_eq!(binomial_tail(5, 0.0, 3), 0.0);
        assert!((binomial_tail(5, 1.0, 3) - 1.0).abs() < 1e-12);
        assert!((binomial_tail(4, 0.3, 0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn capture_is_binomial_not_certain() {
        for o in split_in_ten() {
            let tol = tolerance(o);
            assert!(
                (o.capture - o.binomial).abs() <= tol,
                "measured {} vs binomial {} (tolerance {tol}): {o:?}",
                o.capture,
                o.binomial
            );
            // The attacker's share of the slots tracks its share of the stake.
            assert!(
                (o.attacker_share - o.stake_fraction).abs() <= 0.04,
                "slot share {} vs stake {}: {o:?}",
                o.attacker_share,
                o.stake_fraction
            );
            // Far from certain, even just below half the stake (about 0.5 there).
            assert!(o.capture < 0.6, "{o:?}");
            // About ELIGIBLE_PER_REPLICA × replicas eligible providers per job.
            let k = crate::sortition::ELIGIBLE_PER_REPLICA * o.config.replicas as u64;
            assert!((o.mean_eligible - k as f64).abs() < 0.5, "{o:?}");
        }
        // A 10 % attacker almost never captures a job.
        for o in split_in_ten().iter().filter(|o| o.stake_fraction < 0.11) {
            assert!(o.capture < 0.05, "{o:?}");
        }
    }

    #[test]
    fn splitting_gains_nothing() {
        for o in split_in_ten() {
            assert!(o.capture <= o.binomial + tolerance(o), "{o:?}");
            // One wallet holds at most one slot, never a quorum of 3 or 5: capture is
            // structurally impossible, so a few trials suffice.
            let one = simulate(&Config {
                attacker_wallets: 1,
                trials: 200,
                ..o.config
            });
            assert_eq!(one.captures, 0, "{one:?}");
            assert!(one.capture <= one.binomial + tolerance(&one), "{one:?}");
        }
    }

    #[test]
    fn open_phase_goes_to_the_attacker() {
        // Two honest providers, certainly eligible; the attacker has no stake, so it is never
        // eligible, but its wallets win the open-phase races for the other 3 slots of 5.
        let c = Config {
            honest: 2,
            ..Config::new(0.0, 5, 10, 100)
        };
        let o = simulate(&c);
        assert_eq!((o.captures, o.open_phase, o.mean_eligible), (100, 1.0, 2.0));
        assert!((o.attacker_share - 0.6).abs() < 1e-12);
        // With a single wallet it takes one of them.
        let o = simulate(&Config {
            attacker_wallets: 1,
            ..c
        });
        assert_eq!(o.captures, 0);
        assert!((o.attacker_share - 0.2).abs() < 1e-12);
    }

    #[test]
    fn same_seed_same_result() {
        let c = Config {
            honest: 20,
            ..Config::new(0.33, 3, 10, CHUNK + 17)
        };
        let a = simulate(&c);
        assert_eq!(a, simulate(&c));
        let b = simulate(&Config { seed: 7, ..c });
        assert_ne!(
            (a.captures, a.mean_eligible, a.attacker_share),
            (b.captures, b.mean_eligible, b.attacker_share)
        );
        assert_eq!(markdown_table(&[a, b]).lines().count(), 4);
    }
}
