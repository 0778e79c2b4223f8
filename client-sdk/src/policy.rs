//! Which jobs a provider's worker accepts: one rule, used by the worker to decide and by
//! requesters' tools to explain why nobody claims a job. Workers publish their policy on their
//! provider account (`set_policy`); this module reads it the same way the worker applies it.
//!
//! ```
//! use depin_client::policy::{check, Ask, Refusal};
//! use depin_client::staking_program::state::ProviderPolicy;
//!
//! let p = ProviderPolicy { min_reward_per_gfuel: 1_000, max_fuel: 10_000_000_000,
//!     max_memory_bytes: 1 << 30, max_output_bytes: 1 << 20, max_wall_ms: 60_000,
//!     allow_file_uris: 0, ..ProviderPolicy::default() };
//! let ask = Ask { reward_per_replica: 2_000_000, fee_bps: 250, fuel: 2_000_000_000,
//!     memory_bytes: 64 << 20, output_bytes: 65_536, wall_ms: 30_000, window_secs: 60,
//!     file_uris: false };
//! assert!(check(&p, &ask).is_ok());
//! assert!(matches!(check(&p, &Ask { file_uris: true, ..ask }), Err(Refusal::FileUris)));
//! ```

use depin_staking::state::ProviderPolicy;

use crate::{manifest::Manifest, Job};

/// What a job asks of a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ask {
    /// Reward per replica.
    pub reward_per_replica: u64,
    /// The protocol fee the job was posted with, basis points.
    pub fee_bps: u16,
    /// Fuel the manifest allows.
    pub fuel: u64,
    /// Linear memory the manifest allows, bytes.
    pub memory_bytes: u64,
    /// Output the manifest allows, bytes.
    pub output_bytes: u64,
    /// Wall-clock time the manifest allows, milliseconds.
    pub wall_ms: u64,
    /// The time a claimant can count on to run and commit: the job's execution window
    /// (seconds from a claim to the slot's commit deadline), less the key window for a private
    /// job (its key may arrive that late: [`run_window_secs`]).
    pub window_secs: i64,
    /// Whether its module or input is a `file://` URI.
    pub file_uris: bool,
}

/// Time kept between the end of the longest run a manifest allows and the slot's commit
/// deadline, for storing the result and landing the commitment (milliseconds). A job whose
/// wall-time limit does not fit its execution window with this margin is refused: a run that
/// ended after the deadline would cost its honest provider the no-show slash.
pub const COMMIT_MARGIN_MS: u64 = 10_000;

impl Ask {
    /// The ask of `job` with manifest `m`.
    pub fn of(job: &Job, m: &Manifest) -> Ask {
        Ask {
            reward_per_replica: job.reward_per_replica,
            fee_bps: job.fee_bps,
            fuel: m.limits.fuel,
            memory_bytes: m.limits.memory_bytes,
            output_bytes: m.limits.output_bytes,
            wall_ms: m.limits.wall_ms,
            window_secs: run_window_secs(job.execution_window(), job.is_private(), m.module.sealed),
            file_uris: [&m.module.uri, &m.input.uri]
                .iter()
                .any(|u| u.starts_with("file://")),
        }
    }
}

/// The seconds a claimant can count on to run and commit in a job with `execution_window`:
/// all of it for a public job; for a private one, what is left after the latest moment its key
/// may arrive (`depin_core::settle::key_window_secs`), and for a sealed module another key
/// window, which a worker may spend compiling it (it is given back free if that is not
/// enough).
pub fn run_window_secs(execution_window: i64, private: bool, sealed_module: bool) -> i64 {
    let key_window = depin_core::settle::key_window_secs(execution_window);
    match (private, sealed_module) {
        (false, _) => execution_window,
        (true, false) => execution_window - key_window,
        (true, true) => execution_window - 2 * key_window,
    }
}

/// Why a policy refuses a job.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `file://` blobs are refused.
    #[error("file:// blobs are disabled (policy.allow_file_uris)")]
    FileUris,
    /// A limit is above the policy's.
    #[error("the manifest's {what} ({asked}) exceeds the policy's {most}")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// What the manifest asks.
        asked: u64,
        /// What the policy allows.
        most: u64,
    },
    /// The longest run the manifest allows does not fit the job's execution window.
    #[error(
        "the manifest's wall time ({wall_ms} ms) plus {margin_ms} ms to commit does not fit the \
         job's {window_secs} s execution window"
    )]
    Window {
        /// Wall time the manifest allows.
        wall_ms: u64,
        /// The margin kept for the commitment ([`COMMIT_MARGIN_MS`]).
        margin_ms: u64,
        /// The job's execution window.
        window_secs: i64,
    },
    /// The price is below the floor.
    #[error(
        "reward less the fee = {net} for {fuel} fuel is below the floor of {floor} per 10^9 fuel"
    )]
    Price {
        /// Reward less the protocol fee (rounded up, as the program takes it).
        net: u64,
        /// Fuel asked.
        fuel: u64,
        /// The floor.
        floor: u64,
    },
}

/// Whether policy `p` accepts `ask` (the first refusal if not).
pub fn check(p: &ProviderPolicy, ask: &Ask) -> Result<(), Refusal> {
    if ask.file_uris && p.allow_file_uris == 0 {
        return Err(Refusal::FileUris);
    }
    for (what, asked, most) in [
        ("fuel", ask.fuel, p.max_fuel),
        ("memory", ask.memory_bytes, p.max_memory_bytes),
        ("output limit", ask.output_bytes, p.max_output_bytes),
        ("wall time", ask.wall_ms, p.max_wall_ms),
    ] {
        if asked > most {
            return Err(Refusal::Limit { what, asked, most });
        }
    }
    let window_ms = u64::try_from(ask.window_secs)
        .unwrap_or(0)
        .saturating_mul(1000);
    if ask.wall_ms.saturating_add(COMMIT_MARGIN_MS) > window_ms {
        return Err(Refusal::Window {
            wall_ms: ask.wall_ms,
            margin_ms: COMMIT_MARGIN_MS,
            window_secs: ask.window_secs,
        });
    }
    if p.min_reward_per_gfuel > 0 {
        // Priced on what the provider is paid: the reward less the fee, rounded up as the
        // program takes it. net / (fuel / 1e9) >= floor  <=>  net * 1e9 >= floor * fuel.
        let fee = depin_core::math::bps_ceil(ask.reward_per_replica, ask.fee_bps)
            .unwrap_or(ask.reward_per_replica);
        let net = ask.reward_per_replica.saturating_sub(fee);
        if u128::from(net) * 1_000_000_000
            < u128::from(p.min_reward_per_gfuel) * u128::from(ask.fuel)
        {
            return Err(Refusal::Price {
                net,
                fuel: ask.fuel,
                floor: p.min_reward_per_gfuel,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ProviderPolicy {
        ProviderPolicy {
            min_reward_per_gfuel: 1_000,
            max_fuel: 10_000_000_000,
            max_memory_bytes: 1 << 30,
            max_output_bytes: 1 << 20,
            max_wall_ms: 60_000,
            allow_file_uris: 1,
            ..ProviderPolicy::default()
        }
    }

    fn ask() -> Ask {
        Ask {
            reward_per_replica: 2_000_000,
            fee_bps: 250,
            fuel: 2_000_000_000,
            memory_bytes: 64 << 20,
            output_bytes: 65_536,
            wall_ms: 30_000,
            window_secs: 60,
            file_uris: true,
        }
    }

    #[test]
    fn limits_and_price_are_checked_on_the_net_reward() {
        assert_eq!(check(&policy(), &ask()), Ok(()));
        let too_long = Ask {
            wall_ms: 60_001,
            ..ask()
        };
        assert!(matches!(
            check(&policy(), &too_long),
            Err(Refusal::Limit {
                what: "wall time",
                ..
            })
        ));
        // 2 000 000 less 2.5 % = 1 950 000 for 2 * 10^9 fuel: 975 000 per 10^9 fuel.
        let floor = |f| ProviderPolicy {
            min_reward_per_gfuel: f,
            ..policy()
        };
        assert_eq!(check(&floor(975_000), &ask()), Ok(()));
        assert!(matches!(
            check(&floor(975_001), &ask()),
            Err(Refusal::Price { net: 1_950_000, .. })
        ));
        let no_files = ProviderPolicy {
            allow_file_uris: 0,
            ..policy()
        };
        assert_eq!(check(&no_files, &ask()), Err(Refusal::FileUris));
    }

    #[test]
    fn a_run_that_cannot_end_before_the_deadline_is_refused() {
        // 50 s of run + 10 s to commit fits a 60 s window; one more millisecond does not.
        let fits = Ask {
            wall_ms: 50_000,
            ..ask()
        };
        assert_eq!(check(&policy(), &fits), Ok(()));
        let late = Ask {
            wall_ms: 50_001,
            ..ask()
        };
        assert_eq!(
            check(&policy(), &late),
            Err(Refusal::Window {
                wall_ms: 50_001,
                margin_ms: COMMIT_MARGIN_MS,
                window_secs: 60
            })
        );
    }
}
