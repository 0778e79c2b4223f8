//! Rules that bound what an admin can do to a market, and who may create pools and markets.
//!
//! - **Caps.** A market's fee is at most [`MAX_FEE_BPS`] (20 %); slash rates and the abandon
//!   penalty are at most [`MAX_SLASH_BPS`] (100 % of the bond), and abandoning never costs
//!   more than a no-show (otherwise a provider that cannot finish would do better to vanish).
//! - **Notice.** A change that raises any rate does not bind new jobs at once: it is announced
//!   and binds jobs posted from [`notice_secs`] later, longer than any job posted under the
//!   current terms can run. Jobs copy their terms when posted, so a running job never changes.
//! - **Creation.** Each program has a config account whose authority is set, once, by the
//!   program's upgrade authority; only that authority may create pools (staking) and markets
//!   (jobs). [`upgrade_authority`] reads the upgrade authority out of the loader's ProgramData.

use crate::limits::{MAX_FEE_BPS, MAX_SLASH_BPS, MAX_WINDOW_SECS, RATE_NOTICE_MARGIN_SECS};

/// The four rates of a market, in basis points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rates {
    /// Protocol fee on each payout.
    pub fee_bps: u16,
    /// Slash for a losing result, of the bond.
    pub slash_wrong_bps: u16,
    /// Slash for a no-show, of the bond.
    pub slash_noshow_bps: u16,
    /// Penalty for abandoning a claimed slot, of the bond.
    pub abandon_penalty_bps: u16,
}

/// Why a set of rates or windows is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovernanceError {
    /// Fee above [`MAX_FEE_BPS`].
    FeeTooHigh,
    /// A slash rate or the abandon penalty above [`MAX_SLASH_BPS`].
    SlashTooHigh,
    /// Abandon penalty above the no-show slash.
    AbandonAboveNoShow,
    /// A window of zero or above [`MAX_WINDOW_SECS`].
    InvalidWindow,
}

impl core::fmt::Display for GovernanceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            GovernanceError::FeeTooHigh => "fee above 2000 basis points (20 %)",
            GovernanceError::SlashTooHigh => "slash rate above 10000 basis points",
            GovernanceError::AbandonAboveNoShow => "abandon penalty above the no-show slash",
            GovernanceError::InvalidWindow => {
                "windows must be at most 30 days, claim and reveal at least 1 s, execution at least 30 s"
            }
        })
    }
}

impl Rates {
    /// Check the caps.
    pub fn check(&self) -> Result<(), GovernanceError> {
        if self.fee_bps > MAX_FEE_BPS {
            return Err(GovernanceError::FeeTooHigh);
        }
        if self.slash_wrong_bps > MAX_SLASH_BPS
            || self.slash_noshow_bps > MAX_SLASH_BPS
            || self.abandon_penalty_bps > MAX_SLASH_BPS
        {
            return Err(GovernanceError::SlashTooHigh);
        }
        if self.abandon_penalty_bps > self.slash_noshow_bps {
            return Err(GovernanceError::AbandonAboveNoShow);
        }
        Ok(())
    }

    /// Whether `new` raises any rate above `self` (then it needs notice).
    pub fn raised_by(&self, new: &Rates) -> bool {
        new.fee_bps > self.fee_bps
            || new.slash_wrong_bps > self.slash_wrong_bps
            || new.slash_noshow_bps > self.slash_noshow_bps
            || new.abandon_penalty_bps > self.abandon_penalty_bps
    }
}

/// Check the three windows of a market (seconds): each at most 30 days, the claim and reveal
/// windows at least 1 s, the execution window at least
/// [`MIN_EXECUTION_WINDOW_SECS`](crate::limits::MIN_EXECUTION_WINDOW_SECS).
pub fn check_windows(claim: u32, execution: u32, reveal: u32) -> Result<(), GovernanceError> {
    let ok = |w: u32| (1..=MAX_WINDOW_SECS).contains(&w);
    let execution_ok = execution >= crate::limits::MIN_EXECUTION_WINDOW_SECS;
    if ok(claim) && ok(execution) && execution_ok && ok(reveal) {
        Ok(())
    } else {
        Err(GovernanceError::InvalidWindow)
    }
}

/// The notice a rate increase needs under the current windows: the longest a job posted now can
/// run (claim + execution + reveal windows, each at most 30 days, so no overflow) plus
/// [`RATE_NOTICE_MARGIN_SECS`].
pub fn notice_secs(claim: u32, execution: u32, reveal: u32) -> i64 {
    claim as i64 + execution as i64 + reveal as i64 + RATE_NOTICE_MARGIN_SECS
}

/// Which of two configurations binds a job posted at `now`: the pending one once `now` has
/// reached `pending_at` (0: nothing pending), else the current one.
pub fn pending_binds(pending_at: i64, now: i64) -> bool {
    pending_at != 0 && now >= pending_at
}

/// The upgrade authority recorded in an upgradeable-loader (v3) `ProgramData` account's data,
/// read in place: `u32` state tag 3 (ProgramData), `u64` slot, `Option<Pubkey>` (1-byte tag,
/// 32 bytes). `None` for any other state, for an immutable program, or for short data.
pub fn upgrade_authority(programdata: &[u8]) -> Option<[u8; 32]> {
    const TAG: [u8; 4] = 3u32.to_le_bytes();
    if programdata.len() < 45 || programdata[..4] != TAG || programdata[12] != 1 {
        return None;
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&programdata[13..45]);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(f: u16, w: u16, n: u16, a: u16) -> Rates {
        Rates {
            fee_bps: f,
            slash_wrong_bps: w,
            slash_noshow_bps: n,
            abandon_penalty_bps: a,
        }
    }

    #[test]
    fn caps() {
        assert_eq!(rates(2_000, 10_000, 10_000, 10_000).check(), Ok(()));
        assert_eq!(
            rates(2_001, 0, 0, 0).check(),
            Err(GovernanceError::FeeTooHigh)
        );
        assert_eq!(
            rates(0, 10_001, 10_001, 0).check(),
            Err(GovernanceError::SlashTooHigh)
        );
        assert_eq!(
            rates(0, 0, 100, 101).check(),
            Err(GovernanceError::AbandonAboveNoShow)
        );
    }

    #[test]
    fn raises() {
        let base = rates(250, 5_000, 2_000, 100);
        assert!(!base.raised_by(&base));
        assert!(!base.raised_by(&rates(0, 0, 0, 0)));
        assert!(base.raised_by(&rates(251, 0, 0, 0)));
        assert!(base.raised_by(&rates(0, 0, 0, 101)));
    }

    #[test]
    fn windows_and_notice() {
        let min = crate::limits::MIN_EXECUTION_WINDOW_SECS;
        assert!(check_windows(1, min, 1).is_ok());
        assert!(
            check_windows(1, min - 1, 1).is_err(),
            "execution shorter than 30 s"
        );
        assert!(check_windows(0, min, 1).is_err());
        assert!(check_windows(1, min, 0).is_err());
        assert!(check_windows(1, MAX_WINDOW_SECS + 1, 1).is_err());
        assert_eq!(notice_secs(30, 60, 30), 120 + RATE_NOTICE_MARGIN_SECS);
        assert!(!pending_binds(0, i64::MAX));
        assert!(!pending_binds(10, 9));
        assert!(pending_binds(10, 10));
    }

    #[test]
    fn programdata_layout() {
        let mut d = vec![0u8; 45 + 10];
        d[..4].copy_from_slice(&3u32.to_le_bytes());
        d[4..12].copy_from_slice(&77u64.to_le_bytes());
        d[12] = 1;
        d[13..45].copy_from_slice(&[9; 32]);
        assert_eq!(upgrade_authority(&d), Some([9; 32]));
        d[12] = 0;
        assert_eq!(upgrade_authority(&d), None, "immutable program");
        d[12] = 1;
        d[0] = 2;
        assert_eq!(
            upgrade_authority(&d),
            None,
            "a Program account, not ProgramData"
        );
        assert_eq!(upgrade_authority(&d[..44]), None);
    }
}
