//! Typed instruction builders. Account lists come from the programs' own `#[derive(Accounts)]`
//! structs (`to_account_metas`), instruction data from their `#[program]` argument types, so a
//! builder cannot drift from the program.

use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, InstructionData, ToAccountMetas,
};

/// An instruction of `program_id` from any Anchor accounts struct and instruction-data value.
/// The typed builders below are thin wrappers; tools that need to substitute an account (for
/// example security tests) start from an `*_accounts` function and call this.
pub fn instruction(
    program_id: Pubkey,
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
) -> Instruction {
    Instruction {
        program_id,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// Builders for `depin_staking`.
pub mod staking {
    use super::*;
    use crate::{pda, STAKING_PROGRAM_ID};
    use depin_staking::{
        accounts as a, instruction as i,
        instructions::{InitializePoolArgs, SlashArgs, UnlockArgs, UpdatePoolArgs},
    };

    fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
        instruction(STAKING_PROGRAM_ID, accounts, data)
    }

    /// Accounts of `initialize_pool`.
    pub fn initialize_pool_accounts(
        admin: &Pubkey,
        stake_mint: &Pubkey,
        treasury: &Pubkey,
    ) -> a::InitializePool {
        let pool = pda::pool(stake_mint).0;
        a::InitializePool {
            admin: *admin,
            stake_mint: *stake_mint,
            pool,
            vault: pda::vault(&pool).0,
            treasury: *treasury,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `initialize_pool`: create the pool of `stake_mint` with its vault.
    pub fn initialize_pool(
        admin: &Pubkey,
        stake_mint: &Pubkey,
        treasury: &Pubkey,
        args: InitializePoolArgs,
    ) -> Instruction {
        ix(
            initialize_pool_accounts(admin, stake_mint, treasury),
            i::InitializePool { args },
        )
    }

    /// Accounts of `update_pool` (no new treasury, no new admin).
    pub fn update_pool_accounts(admin: &Pubkey, pool: &Pubkey) -> a::UpdatePool {
        a::UpdatePool {
            admin: *admin,
            pool: *pool,
            new_treasury: None,
            new_admin: None,
        }
    }

    /// `update_pool`: change settings; `new_treasury` / `new_admin` (who must sign) are optional.
    pub fn update_pool(
        admin: &Pubkey,
        pool: &Pubkey,
        new_treasury: Option<Pubkey>,
        new_admin: Option<Pubkey>,
        args: UpdatePoolArgs,
    ) -> Instruction {
        let accounts = a::UpdatePool {
            new_treasury,
            new_admin,
            ..update_pool_accounts(admin, pool)
        };
        ix(accounts, i::UpdatePool { args })
    }

    /// Accounts of `register_provider`.
    pub fn register_provider_accounts(owner: &Pubkey, pool: &Pubkey) -> a::RegisterProvider {
        a::RegisterProvider {
            owner: *owner,
            pool: *pool,
            provider: pda::provider(pool, owner).0,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `register_provider`: open `owner`'s provider account in `pool`.
    pub fn register_provider(owner: &Pubkey, pool: &Pubkey, uri: &str) -> Instruction {
        ix(
            register_provider_accounts(owner, pool),
            i::RegisterProvider {
                uri: uri.to_owned(),
            },
        )
    }

    /// Accounts of `stake`.
    pub fn stake_accounts(owner: &Pubkey, stake_mint: &Pubkey, source: &Pubkey) -> a::Stake {
        let pool = pda::pool(stake_mint).0;
        a::Stake {
            owner: *owner,
            pool,
            provider: pda::provider(&pool, owner).0,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            source: *source,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `stake`: move `amount` from `source` (owned by `owner`) into the pool vault.
    pub fn stake(owner: &Pubkey, stake_mint: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
        ix(
            stake_accounts(owner, stake_mint, source),
            i::Stake { amount },
        )
    }

    /// Accounts of `request_unstake`.
    pub fn request_unstake_accounts(owner: &Pubkey, stake_mint: &Pubkey) -> a::RequestUnstake {
        let pool = pda::pool(stake_mint).0;
        a::RequestUnstake {
            owner: *owner,
            pool,
            provider: pda::provider(&pool, owner).0,
        }
    }

    /// `request_unstake`: start unbonding `amount` of free stake.
    pub fn request_unstake(owner: &Pubkey, stake_mint: &Pubkey, amount: u64) -> Instruction {
        ix(
            request_unstake_accounts(owner, stake_mint),
            i::RequestUnstake { amount },
        )
    }

    /// Accounts of `withdraw`.
    pub fn withdraw_accounts(
        owner: &Pubkey,
        stake_mint: &Pubkey,
        destination: &Pubkey,
    ) -> a::Withdraw {
        let pool = pda::pool(stake_mint).0;
        a::Withdraw {
            owner: *owner,
            pool,
            provider: pda::provider(&pool, owner).0,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            destination: *destination,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `withdraw`: pay out everything unbonding to `destination` once the delay has passed.
    pub fn withdraw(owner: &Pubkey, stake_mint: &Pubkey, destination: &Pubkey) -> Instruction {
        ix(
            withdraw_accounts(owner, stake_mint, destination),
            i::Withdraw {},
        )
    }

    /// Accounts of `lock` (signed by the pool's slasher).
    pub fn lock_accounts(slasher: &Pubkey, pool: &Pubkey, provider: &Pubkey) -> a::Lock {
        a::Lock {
            slasher: *slasher,
            pool: *pool,
            provider: *provider,
        }
    }

    /// `lock`: bond `amount` of the provider's free stake.
    pub fn lock(slasher: &Pubkey, pool: &Pubkey, provider: &Pubkey, amount: u64) -> Instruction {
        ix(lock_accounts(slasher, pool, provider), i::Lock { amount })
    }

    /// Accounts of `unlock` (signed by the pool's slasher).
    pub fn unlock_accounts(slasher: &Pubkey, pool: &Pubkey, provider: &Pubkey) -> a::Unlock {
        a::Unlock {
            slasher: *slasher,
            pool: *pool,
            provider: *provider,
        }
    }

    /// `unlock`: release part of a bond, optionally counting a completed job.
    pub fn unlock(
        slasher: &Pubkey,
        pool: &Pubkey,
        provider: &Pubkey,
        args: UnlockArgs,
    ) -> Instruction {
        ix(unlock_accounts(slasher, pool, provider), i::Unlock { args })
    }

    /// Accounts of `slash` (signed by the pool's slasher).
    pub fn slash_accounts(slasher: &Pubkey, pool: &Pubkey, provider: &Pubkey) -> a::Slash {
        a::Slash {
            slasher: *slasher,
            pool: *pool,
            provider: *provider,
        }
    }

    /// `slash`: take `args.amount` of a bond (for the treasury), release `args.release`.
    pub fn slash(
        slasher: &Pubkey,
        pool: &Pubkey,
        provider: &Pubkey,
        args: SlashArgs,
    ) -> Instruction {
        ix(slash_accounts(slasher, pool, provider), i::Slash { args })
    }

    /// Accounts of `sweep_slashed` (`treasury` must be the pool's).
    pub fn sweep_slashed_accounts(stake_mint: &Pubkey, treasury: &Pubkey) -> a::SweepSlashed {
        let pool = pda::pool(stake_mint).0;
        a::SweepSlashed {
            pool,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            treasury: *treasury,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `sweep_slashed`: move the pool's slashed stake from the vault to its treasury.
    pub fn sweep_slashed(stake_mint: &Pubkey, treasury: &Pubkey) -> Instruction {
        ix(
            sweep_slashed_accounts(stake_mint, treasury),
            i::SweepSlashed {},
        )
    }

    /// Accounts of `close_provider`.
    pub fn close_provider_accounts(owner: &Pubkey, pool: &Pubkey) -> a::CloseProvider {
        a::CloseProvider {
            owner: *owner,
            provider: pda::provider(pool, owner).0,
        }
    }

    /// `close_provider`: close `owner`'s empty provider account in `pool`.
    pub fn close_provider(owner: &Pubkey, pool: &Pubkey) -> Instruction {
        ix(close_provider_accounts(owner, pool), i::CloseProvider {})
    }
}

/// Builders for `depin_jobs`.
pub mod jobs {
    use super::*;
    use crate::{pda, JOBS_PROGRAM_ID};
    use depin_jobs::{
        accounts as a, instruction as i,
        instructions::{MarketConfig, PostJobArgs, RevealArgs, SubmitArgs, UpdateMarketArgs},
    };

    /// The addresses of a market and of the staking pool behind it that settlement
    /// instructions need (all three are in the `Market` account).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MarketKeys {
        /// The market.
        pub market: Pubkey,
        /// Its fee treasury (`Market::treasury`).
        pub fee_treasury: Pubkey,
        /// Its staking pool.
        pub staking_pool: Pubkey,
    }

    /// The composite `SlotBond` accounts for `provider` (a provider account of the market's
    /// pool).
    pub fn slot_bond_accounts(keys: &MarketKeys, provider: &Pubkey) -> a::SlotBond {
        a::SlotBond {
            market: keys.market,
            staking_pool: keys.staking_pool,
            provider: *provider,
            slasher: pda::slasher().0,
            staking_program: crate::STAKING_PROGRAM_ID,
        }
    }

    /// Mark the staking pool writable: a slash updates the pool's totals (a plain release
    /// leaves it read-only, so releases of different jobs do not contend on the pool).
    pub fn with_slash_writable(mut ix: Instruction, keys: &MarketKeys) -> Instruction {
        for m in &mut ix.accounts {
            if m.pubkey == keys.staking_pool {
                m.is_writable = true;
            }
        }
        ix
    }

    fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
        instruction(JOBS_PROGRAM_ID, accounts, data)
    }

    /// Accounts of `initialize_market`.
    pub fn initialize_market_accounts(
        admin: &Pubkey,
        payment_mint: &Pubkey,
        market_id: u64,
        staking_pool: &Pubkey,
        treasury: &Pubkey,
    ) -> a::InitializeMarket {
        a::InitializeMarket {
            admin: *admin,
            payment_mint: *payment_mint,
            market: pda::market(payment_mint, market_id).0,
            staking_pool: *staking_pool,
            slasher: pda::slasher().0,
            treasury: *treasury,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `initialize_market`: create market `config.market_id` of `payment_mint`.
    pub fn initialize_market(
        admin: &Pubkey,
        payment_mint: &Pubkey,
        staking_pool: &Pubkey,
        treasury: &Pubkey,
        config: MarketConfig,
    ) -> Instruction {
        let accounts = initialize_market_accounts(
            admin,
            payment_mint,
            config.market_id,
            staking_pool,
            treasury,
        );
        ix(accounts, i::InitializeMarket { args: config })
    }

    /// `update_market`: change settings; `new_treasury` / `new_admin` (who must sign) optional.
    pub fn update_market(
        admin: &Pubkey,
        market: &Pubkey,
        new_treasury: Option<Pubkey>,
        new_admin: Option<Pubkey>,
        args: UpdateMarketArgs,
    ) -> Instruction {
        let accounts = a::UpdateMarket {
            admin: *admin,
            market: *market,
            new_treasury,
            new_admin,
        };
        ix(accounts, i::UpdateMarket { args })
    }

    /// Accounts of `post_job` (job and escrow PDAs from `nonce`).
    pub fn post_job_accounts(
        requester: &Pubkey,
        market: &Pubkey,
        payment_mint: &Pubkey,
        source: &Pubkey,
        nonce: u64,
    ) -> a::PostJob {
        let job = pda::job(market, requester, nonce).0;
        a::PostJob {
            requester: *requester,
            market: *market,
            payment_mint: *payment_mint,
            job,
            escrow: pda::escrow(&job).0,
            source: *source,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `post_job`: create job `args.nonce` of `requester` and escrow its reward from `source`.
    pub fn post_job(
        requester: &Pubkey,
        market: &Pubkey,
        payment_mint: &Pubkey,
        source: &Pubkey,
        args: PostJobArgs,
    ) -> Instruction {
        let accounts = post_job_accounts(requester, market, payment_mint, source, args.nonce);
        ix(accounts, i::PostJob { args })
    }

    /// Accounts of `cancel_job`.
    pub fn cancel_job_accounts(
        requester: &Pubkey,
        job: &Pubkey,
        refund_to: &Pubkey,
    ) -> a::CancelJob {
        a::CancelJob {
            requester: *requester,
            job: *job,
            escrow: pda::escrow(job).0,
            refund_to: *refund_to,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `cancel_job`: refund and close a job nobody holds a slot of.
    pub fn cancel_job(requester: &Pubkey, job: &Pubkey, refund_to: &Pubkey) -> Instruction {
        ix(
            cancel_job_accounts(requester, job, refund_to),
            i::CancelJob {},
        )
    }

    /// Accounts of `claim_job` for `owner`'s provider account in the market's pool.
    pub fn claim_job_accounts(owner: &Pubkey, keys: &MarketKeys, job: &Pubkey) -> a::ClaimJob {
        let provider = pda::provider(&keys.staking_pool, owner).0;
        a::ClaimJob {
            owner: *owner,
            job: *job,
            bond: slot_bond_accounts(keys, &provider),
        }
    }

    /// `claim_job`: take a free slot of `job`, locking the bond of `owner`'s stake.
    pub fn claim_job(owner: &Pubkey, keys: &MarketKeys, job: &Pubkey) -> Instruction {
        ix(claim_job_accounts(owner, keys, job), i::ClaimJob {})
    }

    /// Accounts of `abandon_job` for `owner`'s provider in the market's pool.
    pub fn abandon_job_accounts(owner: &Pubkey, keys: &MarketKeys, job: &Pubkey) -> a::AbandonJob {
        let provider = pda::provider(&keys.staking_pool, owner).0;
        a::AbandonJob {
            owner: *owner,
            job: *job,
            bond: slot_bond_accounts(keys, &provider),
        }
    }

    /// `abandon_job`: give back `owner`'s claimed slot before committing (pool accounts
    /// writable: the abandon penalty is a slash).
    pub fn abandon_job(owner: &Pubkey, keys: &MarketKeys, job: &Pubkey) -> Instruction {
        let ix_ = ix(abandon_job_accounts(owner, keys, job), i::AbandonJob {});
        with_slash_writable(ix_, keys)
    }

    /// `commit_result` of `owner`'s slot; see [`depin_core::hash::commitment`].
    pub fn commit_result(
        owner: &Pubkey,
        job: &Pubkey,
        staking_pool: &Pubkey,
        commitment: [u8; 32],
    ) -> Instruction {
        let accounts = a::CommitResult {
            owner: *owner,
            job: *job,
            provider: pda::provider(staking_pool, owner).0,
        };
        ix(accounts, i::CommitResult { commitment })
    }

    /// `reveal_result` of `owner`'s slot.
    pub fn reveal_result(
        owner: &Pubkey,
        job: &Pubkey,
        staking_pool: &Pubkey,
        args: RevealArgs,
    ) -> Instruction {
        let accounts = a::RevealResult {
            owner: *owner,
            job: *job,
            provider: pda::provider(staking_pool, owner).0,
        };
        ix(accounts, i::RevealResult { args })
    }

    /// `submit_result` of `owner`'s slot of a single-replica job.
    pub fn submit_result(
        owner: &Pubkey,
        job: &Pubkey,
        staking_pool: &Pubkey,
        args: SubmitArgs,
    ) -> Instruction {
        let accounts = a::SubmitResult {
            owner: *owner,
            job: *job,
            provider: pda::provider(staking_pool, owner).0,
        };
        ix(accounts, i::SubmitResult { args })
    }

    /// `reclaim_slot`: free the slot `provider` (a provider account) let run past its deadline
    /// (pool accounts writable: the no-show penalty is a slash).
    pub fn reclaim_slot(keys: &MarketKeys, job: &Pubkey, provider: &Pubkey) -> Instruction {
        let accounts = a::ReclaimSlot {
            job: *job,
            bond: slot_bond_accounts(keys, provider),
        };
        with_slash_writable(ix(accounts, i::ReclaimSlot {}), keys)
    }

    /// `settle_job`: tally the reveals of `job`.
    pub fn settle_job(job: &Pubkey) -> Instruction {
        ix(a::SettleJob { job: *job }, i::SettleJob {})
    }

    /// `expire_job`: end `job`, whose claim window closed short of the quorum.
    pub fn expire_job(job: &Pubkey) -> Instruction {
        ix(a::ExpireJob { job: *job }, i::ExpireJob {})
    }

    /// How `release_slot` treats the slot, as far as the accounts are concerned.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Release {
        /// A winner: paid into this payment-mint token account of the provider's owner.
        Pay(Pubkey),
        /// A penalty is due: the staking pool writable.
        Slash,
        /// Bond released in full, nothing paid.
        Plain,
    }

    /// Accounts of `release_slot` (`payout_to` only for a winner).
    pub fn release_slot_accounts(
        keys: &MarketKeys,
        job: &Pubkey,
        provider: &Pubkey,
        payout_to: Option<Pubkey>,
    ) -> a::ReleaseSlot {
        a::ReleaseSlot {
            job: *job,
            escrow: pda::escrow(job).0,
            bond: slot_bond_accounts(keys, provider),
            token_program: anchor_spl::token::ID,
            payout_to,
        }
    }

    /// `release_slot`: pay, release or slash `provider`'s slot of settled `job`. Use
    /// [`release_for`] to derive `release` from the job account.
    pub fn release_slot(
        keys: &MarketKeys,
        job: &Pubkey,
        provider: &Pubkey,
        release: Release,
    ) -> Instruction {
        let payout_to = match release {
            Release::Pay(to) => Some(to),
            _ => None,
        };
        let ix_ = ix(
            release_slot_accounts(keys, job, provider, payout_to),
            i::ReleaseSlot {},
        );
        match release {
            Release::Slash => with_slash_writable(ix_, keys),
            _ => ix_,
        }
    }

    /// What `release_slot` will do to `slot` of settled `job` (the same rules as the program,
    /// from `depin_core::settle`), given the payment-mint token account of the slot holder's
    /// owner.
    pub fn release_for(
        job: &crate::Job,
        slot: usize,
        payout_to: Pubkey,
    ) -> Result<Release, depin_core::MathError> {
        let s = job.terms().settle(job.verdict(slot))?;
        Ok(if s.payout > 0 {
            Release::Pay(payout_to)
        } else if s.penalty > 0 {
            Release::Slash
        } else {
            Release::Plain
        })
    }

    /// Accounts of `close_job`.
    pub fn close_job_accounts(
        keys: &MarketKeys,
        job: &Pubkey,
        requester: &Pubkey,
        refund_to: &Pubkey,
    ) -> a::CloseJob {
        a::CloseJob {
            job: *job,
            requester: *requester,
            market: keys.market,
            escrow: pda::escrow(job).0,
            refund_to: *refund_to,
            fee_treasury: keys.fee_treasury,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `close_job`: pay the fees, refund `refund_to` (a payment-mint account of the
    /// requester), close escrow and job.
    pub fn close_job(
        keys: &MarketKeys,
        job: &Pubkey,
        requester: &Pubkey,
        refund_to: &Pubkey,
    ) -> Instruction {
        ix(
            close_job_accounts(keys, job, requester, refund_to),
            i::CloseJob {},
        )
    }
}
