//! The terms a market sets for a job posted now, read in place from the market account.
//!
//! `post_job` is the one hot reader of a market. Decoding the whole `Market` with Borsh (four
//! keys and two configs) cost about 1.7k compute units of a post; `post_job` needs only the
//! payment mint, the pause flag and the config binding new jobs. `Market` has no
//! variable-size field, so those sit at fixed offsets: [`market_layout`] names them and a test
//! pins them to the Borsh encoding. The account is checked as `Account<Market>` checks it
//! (owner, discriminator, length), with Anchor's errors for each fault.

use anchor_lang::prelude::*;
use depin_core::{governance, limits};
use depin_staking::in_place::{check_account, i64_at, key_at};

use crate::state::{Market, MarketConfig};

/// Byte offsets of `Market`'s fields in the account data (after the 8-byte discriminator).
pub mod market_layout {
    use depin_core::limits::MARKET_CONFIG_SIZE;

    /// `Market::payment_mint`.
    pub const PAYMENT_MINT: usize = 8 + 32;
    /// `Market::config`.
    pub const CONFIG: usize = PAYMENT_MINT + 3 * 32;
    /// `Market::pending_config`.
    pub const PENDING_CONFIG: usize = CONFIG + MARKET_CONFIG_SIZE;
    /// `Market::pending_at`.
    pub const PENDING_AT: usize = PENDING_CONFIG + MARKET_CONFIG_SIZE;
    /// `Market::paused`.
    pub const PAUSED: usize = PENDING_AT + 8;
    /// End of the fields read in place.
    pub const END: usize = PAUSED + 1;
}

/// What `post_job` reads of a market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketTerms {
    /// `Market::payment_mint`.
    pub payment_mint: Pubkey,
    /// `Market::paused`.
    pub paused: bool,
    /// `Market::effective_config` at the time of the read: the terms binding a job posted now.
    pub config: MarketConfig,
}

impl MarketTerms {
    /// Read market account `info` (owner and discriminator checked) at unix time `now`.
    pub fn read(info: &AccountInfo, now: i64) -> Result<Self> {
        use market_layout::*;
        let data = info.try_borrow_data()?;
        check_account::<Market>(info, &data, END, &crate::ID)?;
        let at = if governance::pending_binds(i64_at(&data, PENDING_AT), now) {
            PENDING_CONFIG
        } else {
            CONFIG
        };
        let config = MarketConfig::deserialize(&mut &data[at..at + limits::MARKET_CONFIG_SIZE])?;
        Ok(MarketTerms {
            payment_mint: key_at(&data, PAYMENT_MINT),
            paused: data[PAUSED] != 0,
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::error::ErrorCode;

    fn config(market_id: u64, fee_bps: u16) -> MarketConfig {
        MarketConfig {
            market_id,
            fee_bps,
            min_bond: 5,
            claim_window_secs: 60,
            execution_window_secs: 120,
            reveal_window_secs: 30,
            max_replicas: 7,
            slash_wrong_bps: 5_000,
            slash_noshow_bps: 2_000,
            abandon_penalty_bps: 500,
            allow_list: true,
        }
    }

    fn market(pending_at: i64, paused: bool) -> Market {
        Market {
            admin: Pubkey::new_unique(),
            payment_mint: Pubkey::new_unique(),
            staking_pool: Pubkey::new_unique(),
            fee_vault: Pubkey::new_unique(),
            config: config(1, 100),
            pending_config: config(1, 250),
            pending_at,
            paused,
            bump: 254,
            slasher_bump: 253,
            fee_vault_bump: 252,
        }
    }

    fn read(m: &Market, owner: Pubkey, now: i64) -> Result<MarketTerms> {
        let mut data = Vec::new();
        m.try_serialize(&mut data).unwrap();
        let (key, mut lamports) = (Pubkey::new_unique(), 1);
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &owner, false);
        MarketTerms::read(&info, now)
    }

    #[test]
    fn terms_are_the_borsh_fields_and_the_config_binding_now() {
        let m = market(100, true);
        let before = read(&m, crate::ID, 99).unwrap();
        assert_eq!(before.payment_mint, m.payment_mint);
        assert!(before.paused);
        assert_eq!(before.config, *m.effective_config(99));
        assert_eq!(before.config, m.config);
        let after = read(&m, crate::ID, 100).unwrap();
        assert_eq!(after.config, *m.effective_config(100));
        assert_eq!(after.config, m.pending_config);
        assert!(!read(&market(0, false), crate::ID, 5).unwrap().paused);
        assert_eq!(market_layout::END, 8 + limits::MARKET_SIZE - 3);
    }

    #[test]
    fn other_accounts_are_refused_with_anchors_errors() {
        let m = market(0, false);
        let err = read(&m, Pubkey::new_unique(), 0).unwrap_err();
        assert_eq!(err, ErrorCode::AccountOwnedByWrongProgram.into());
        let mut data = Vec::new();
        crate::state::Config {
            authority: Pubkey::new_unique(),
            bump: 1,
        }
        .try_serialize(&mut data)
        .unwrap();
        data.resize(8 + limits::MARKET_SIZE, 0);
        let (key, owner, mut lamports) = (Pubkey::new_unique(), crate::ID, 1);
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &owner, false);
        let err = MarketTerms::read(&info, 0).unwrap_err();
        assert_eq!(err, ErrorCode::AccountDiscriminatorMismatch.into());
    }
}
