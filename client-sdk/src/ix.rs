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
        instructions::{
            InitializeConfigArgs, InitializePoolArgs, RegisterProviderArgs, SlashArgs, UnlockArgs,
            UpdatePoolArgs,
        },
    };

    fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
        instruction(STAKING_PROGRAM_ID, accounts, data)
    }

    /// `initialize_config`: record `authority` as the one who may create pools, signed by the
    /// staking program's upgrade authority.
    pub fn initialize_config(upgrade_authority: &Pubkey, authority: &Pubkey) -> Instruction {
        let accounts = a::InitializeConfig {
            upgrade_authority: *upgrade_authority,
            config: pda::staking_config().0,
            program_data: pda::program_data(&STAKING_PROGRAM_ID).0,
            system_program: anchor_lang::system_program::ID,
        };
        let args = InitializeConfigArgs {
            authority: *authority,
        };
        ix(accounts, i::InitializeConfig { args })
    }

    /// `set_config_authority`: hand pool creation over to `new_authority` (who signs too).
    pub fn set_config_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
        let accounts = a::SetConfigAuthority {
            authority: *authority,
            config: pda::staking_config().0,
            new_authority: *new_authority,
        };
        ix(accounts, i::SetConfigAuthority {})
    }

    /// Accounts of `initialize_pool` (`authority`: the config authority, who co-signs).
    pub fn initialize_pool_accounts(
        admin: &Pubkey,
        authority: &Pubkey,
        stake_mint: &Pubkey,
        treasury: &Pubkey,
    ) -> a::InitializePool {
        let pool = pda::pool(stake_mint).0;
        a::InitializePool {
            admin: *admin,
            authority: *authority,
            config: pda::staking_config().0,
            stake_mint: *stake_mint,
            pool,
            vault: pda::vault(&pool).0,
            treasury: *treasury,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `initialize_pool`: create the pool of `stake_mint` with its vault (signed by `admin`
    /// and by the config `authority`, which may be the same key).
    pub fn initialize_pool(
        admin: &Pubkey,
        authority: &Pubkey,
        stake_mint: &Pubkey,
        treasury: &Pubkey,
        args: InitializePoolArgs,
    ) -> Instruction {
        ix(
            initialize_pool_accounts(admin, authority, stake_mint, treasury),
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

    /// Accounts of `register_provider` (`operator` co-signs; it may be `authority`).
    pub fn register_provider_accounts(
        authority: &Pubkey,
        pool: &Pubkey,
        operator: &Pubkey,
    ) -> a::RegisterProvider {
        a::RegisterProvider {
            authority: *authority,
            operator: *operator,
            pool: *pool,
            provider: pda::provider(pool, authority).0,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `register_provider`: open `authority`'s provider account in `pool`, whose worker signs
    /// with `operator` (may be `authority` itself); both sign.
    pub fn register_provider(
        authority: &Pubkey,
        pool: &Pubkey,
        operator: &Pubkey,
        uri: &str,
    ) -> Instruction {
        let args = RegisterProviderArgs {
            uri: uri.to_owned(),
        };
        ix(
            register_provider_accounts(authority, pool, operator),
            i::RegisterProvider { args },
        )
    }

    /// `set_operator`: change the key `authority`'s provider in `pool` signs job steps with
    /// (the new `operator` co-signs).
    pub fn set_operator(authority: &Pubkey, pool: &Pubkey, operator: &Pubkey) -> Instruction {
        let accounts = a::SetOperator {
            authority: *authority,
            provider: pda::provider(pool, authority).0,
            operator: *operator,
        };
        ix(accounts, i::SetOperator {})
    }

    /// `set_policy`, signed by the provider's operator (or its authority).
    pub fn set_policy(
        signer: &Pubkey,
        provider: &Pubkey,
        args: depin_staking::instructions::SetPolicyArgs,
    ) -> Instruction {
        let accounts = a::SetPolicy {
            signer: *signer,
            provider: *provider,
            policy: pda::policy(provider).0,
            system_program: anchor_lang::system_program::ID,
        };
        ix(accounts, i::SetPolicy { args })
    }

    /// Accounts of `stake`.
    pub fn stake_accounts(authority: &Pubkey, stake_mint: &Pubkey, source: &Pubkey) -> a::Stake {
        let pool = pda::pool(stake_mint).0;
        a::Stake {
            authority: *authority,
            pool,
            provider: pda::provider(&pool, authority).0,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            source: *source,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `stake`: move `amount` from `source` (owned by `authority`) into the pool vault.
    pub fn stake(
        authority: &Pubkey,
        stake_mint: &Pubkey,
        source: &Pubkey,
        amount: u64,
    ) -> Instruction {
        ix(
            stake_accounts(authority, stake_mint, source),
            i::Stake { amount },
        )
    }

    /// Accounts of `request_unstake`.
    pub fn request_unstake_accounts(authority: &Pubkey, stake_mint: &Pubkey) -> a::RequestUnstake {
        let pool = pda::pool(stake_mint).0;
        a::RequestUnstake {
            authority: *authority,
            pool,
            provider: pda::provider(&pool, authority).0,
        }
    }

    /// `request_unstake`: start unbonding `amount` of free stake.
    pub fn request_unstake(authority: &Pubkey, stake_mint: &Pubkey, amount: u64) -> Instruction {
        ix(
            request_unstake_accounts(authority, stake_mint),
            i::RequestUnstake { amount },
        )
    }

    /// Accounts of `withdraw`.
    pub fn withdraw_accounts(
        authority: &Pubkey,
        stake_mint: &Pubkey,
        destination: &Pubkey,
    ) -> a::Withdraw {
        let pool = pda::pool(stake_mint).0;
        a::Withdraw {
            authority: *authority,
            pool,
            provider: pda::provider(&pool, authority).0,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            destination: *destination,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `withdraw`: pay out everything unbonding to `destination` once the delay has passed.
    pub fn withdraw(authority: &Pubkey, stake_mint: &Pubkey, destination: &Pubkey) -> Instruction {
        ix(
            withdraw_accounts(authority, stake_mint, destination),
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

    /// `sweep_slashed`: move the pool's slashed stake and any vault surplus to its treasury.
    pub fn sweep_slashed(stake_mint: &Pubkey, treasury: &Pubkey) -> Instruction {
        ix(
            sweep_slashed_accounts(stake_mint, treasury),
            i::SweepSlashed {},
        )
    }

    /// Accounts of `close_provider`.
    pub fn close_provider_accounts(authority: &Pubkey, pool: &Pubkey) -> a::CloseProvider {
        a::CloseProvider {
            authority: *authority,
            provider: pda::provider(pool, authority).0,
        }
    }

    /// `close_provider`: close `authority`'s empty provider account in `pool`.
    pub fn close_provider(authority: &Pubkey, pool: &Pubkey) -> Instruction {
        ix(
            close_provider_accounts(authority, pool),
            i::CloseProvider {},
        )
    }
}

/// Builders for `depin_jobs`.
pub mod jobs {
    use super::*;
    use crate::{pda, JOBS_PROGRAM_ID};
    use depin_jobs::{
        accounts as a, instruction as i,
        instructions::{
            DeliverKeyArgs, MarketConfig, PostJobArgs, RevealArgs, SubmitArgs, UpdateMarketArgs,
        },
    };

    /// The addresses of a market and of the staking pool behind it that settlement
    /// instructions need (all three are in the `Market` account).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MarketKeys {
        /// The market.
        pub market: Pubkey,
        /// Its fee vault (`Market::fee_vault`).
        pub fee_vault: Pubkey,
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

    /// `initialize_config`: record `authority` as the one who may create markets, signed by
    /// the jobs program's upgrade authority.
    pub fn initialize_config(upgrade_authority: &Pubkey, authority: &Pubkey) -> Instruction {
        let accounts = a::InitializeConfig {
            upgrade_authority: *upgrade_authority,
            config: pda::jobs_config().0,
            program_data: pda::program_data(&JOBS_PROGRAM_ID).0,
            system_program: anchor_lang::system_program::ID,
        };
        let args = depin_jobs::instructions::InitializeConfigArgs {
            authority: *authority,
        };
        ix(accounts, i::InitializeConfig { args })
    }

    /// `set_config_authority`: hand market creation over to `new_authority` (who signs too).
    pub fn set_config_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
        let accounts = a::SetConfigAuthority {
            authority: *authority,
            config: pda::jobs_config().0,
            new_authority: *new_authority,
        };
        ix(accounts, i::SetConfigAuthority {})
    }

    /// Accounts of `initialize_market` (`authority`: the config authority, who co-signs).
    pub fn initialize_market_accounts(
        admin: &Pubkey,
        authority: &Pubkey,
        payment_mint: &Pubkey,
        market_id: u64,
        staking_pool: &Pubkey,
    ) -> a::InitializeMarket {
        let market = pda::market(payment_mint, market_id).0;
        a::InitializeMarket {
            admin: *admin,
            authority: *authority,
            config: pda::jobs_config().0,
            payment_mint: *payment_mint,
            market,
            fee_vault: pda::fee_vault(&market).0,
            staking_pool: *staking_pool,
            slasher: pda::slasher().0,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `initialize_market`: create market `config.market_id` of `payment_mint` and its fee
    /// vault (signed by `admin` and the config `authority`, which may be the same key).
    pub fn initialize_market(
        admin: &Pubkey,
        authority: &Pubkey,
        payment_mint: &Pubkey,
        staking_pool: &Pubkey,
        config: MarketConfig,
    ) -> Instruction {
        let accounts = initialize_market_accounts(
            admin,
            authority,
            payment_mint,
            config.market_id,
            staking_pool,
        );
        ix(accounts, i::InitializeMarket { args: config })
    }

    /// `update_market`: change settings (a rate increase is announced, binding later jobs);
    /// `new_admin` (who must sign) optional.
    pub fn update_market(
        admin: &Pubkey,
        market: &Pubkey,
        new_admin: Option<Pubkey>,
        args: UpdateMarketArgs,
    ) -> Instruction {
        let accounts = a::UpdateMarket {
            admin: *admin,
            market: *market,
            new_admin,
        };
        ix(accounts, i::UpdateMarket { args })
    }

    /// `withdraw_fees`: move `amount` (everything when `None`) of `market`'s accrued fees to
    /// `destination`, a payment-mint token account.
    pub fn withdraw_fees(
        admin: &Pubkey,
        market: &Pubkey,
        destination: &Pubkey,
        amount: Option<u64>,
    ) -> Instruction {
        let accounts = a::WithdrawFees {
            admin: *admin,
            market: *market,
            fee_vault: pda::fee_vault(market).0,
            destination: *destination,
            token_program: anchor_spl::token::ID,
        };
        ix(accounts, i::WithdrawFees { amount })
    }

    /// Accounts of `post_job` (the job PDA from `nonce`; `escrow` a fresh keypair's address,
    /// which signs the transaction).
    pub fn post_job_accounts(
        requester: &Pubkey,
        market: &Pubkey,
        payment_mint: &Pubkey,
        source: &Pubkey,
        escrow: &Pubkey,
        nonce: u64,
    ) -> a::PostJob {
        a::PostJob {
            requester: *requester,
            market: *market,
            payment_mint: *payment_mint,
            job: pda::job(market, requester, nonce).0,
            escrow: *escrow,
            source: *source,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
    }

    /// `post_job`: create job `args.nonce` of `requester` and escrow its reward from `source`
    /// into a new token account at `escrow` (a fresh keypair's address; the keypair signs).
    /// `pda::job_nonce` picks the nonce of the cheapest post.
    ///
    /// `escrow` must be a throwaway keypair made for this post (`Keypair::new()`), never a
    /// wallet: the program creates the escrow even at an address that already holds SOL (so a
    /// stranger cannot block a post by funding its address), and a funded wallet passed here
    /// would become the escrow, its SOL held until the job closes and then refunded to the
    /// requester. `DepinRpc::post_manifest` makes the keypair itself.
    pub fn post_job(
        requester: &Pubkey,
        market: &Pubkey,
        payment_mint: &Pubkey,
        source: &Pubkey,
        escrow: &Pubkey,
        args: PostJobArgs,
    ) -> Instruction {
        let accounts =
            post_job_accounts(requester, market, payment_mint, source, escrow, args.nonce);
        ix(accounts, i::PostJob { args })
    }

    /// Accounts of `cancel_job` (`escrow` is `Job::escrow`).
    pub fn cancel_job_accounts(
        requester: &Pubkey,
        job: &Pubkey,
        escrow: &Pubkey,
        refund_to: &Pubkey,
    ) -> a::CancelJob {
        a::CancelJob {
            requester: *requester,
            job: *job,
            escrow: *escrow,
            refund_to: *refund_to,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `cancel_job`: refund and close a job nobody holds a slot of (`escrow` is
    /// `Job::escrow`).
    pub fn cancel_job(
        requester: &Pubkey,
        job: &Pubkey,
        escrow: &Pubkey,
        refund_to: &Pubkey,
    ) -> Instruction {
        ix(
            cancel_job_accounts(requester, job, escrow, refund_to),
            i::CancelJob {},
        )
    }

    /// Accounts of `claim_job`: `operator` signs for `provider` (a provider account of the
    /// market's pool naming it as operator); `displaced` is the worst-ranked holder's provider
    /// account when a ranked-phase claim takes a full job's slot
    /// (`depin_core::sortition`), `None` otherwise.
    pub fn claim_job_accounts(
        operator: &Pubkey,
        provider: &Pubkey,
        keys: &MarketKeys,
        job: &Pubkey,
        displaced: Option<Pubkey>,
    ) -> a::ClaimJob {
        a::ClaimJob {
            operator: *operator,
            job: *job,
            bond: slot_bond_accounts(keys, provider),
            slot_hashes: depin_core::sortition::SLOT_HASHES_SYSVAR,
            displaced,
            accreditation: None,
        }
    }

    /// `claim_job` of a job posted while its market was allow-listed (`Job::allow_list`):
    /// names `provider`'s accreditation in the market.
    pub fn claim_job_accredited(
        operator: &Pubkey,
        provider: &Pubkey,
        keys: &MarketKeys,
        job: &Pubkey,
        displaced: Option<Pubkey>,
    ) -> Instruction {
        let mut accounts = claim_job_accounts(operator, provider, keys, job, displaced);
        accounts.accreditation = Some(pda::accreditation(&keys.market, provider).0);
        ix(accounts, i::ClaimJob {})
    }

    /// `deliver_key`: the requester of private `job` stores a claimant's key envelope.
    pub fn deliver_key(requester: &Pubkey, job: &Pubkey, args: DeliverKeyArgs) -> Instruction {
        let accounts = a::DeliverKey {
            requester: *requester,
            job: *job,
        };
        ix(accounts, i::DeliverKey { args })
    }

    /// `set_accreditation`: the admin of `market` admits `provider` to its allow-listed jobs
    /// (`accredited`), or ends its admission.
    pub fn set_accreditation(
        admin: &Pubkey,
        market: &Pubkey,
        provider: &Pubkey,
        accredited: bool,
    ) -> Instruction {
        let accounts = a::SetAccreditation {
            admin: *admin,
            market: *market,
            provider: *provider,
            accreditation: pda::accreditation(market, provider).0,
            system_program: anchor_lang::system_program::ID,
        };
        ix(accounts, i::SetAccreditation { accredited })
    }

    /// `set_accreditation` admitting `provider`.
    pub fn accredit_provider(admin: &Pubkey, market: &Pubkey, provider: &Pubkey) -> Instruction {
        set_accreditation(admin, market, provider, true)
    }

    /// `set_accreditation` ending `provider`'s admission.
    pub fn revoke_accreditation(admin: &Pubkey, market: &Pubkey, provider: &Pubkey) -> Instruction {
        set_accreditation(admin, market, provider, false)
    }

    /// `claim_job`: take a slot of `job`, locking a bond of `provider`'s stake: a free one, or
    /// in the ranked phase the one `displaced` holds if this provider ranks better.
    pub fn claim_job(
        operator: &Pubkey,
        provider: &Pubkey,
        keys: &MarketKeys,
        job: &Pubkey,
        displaced: Option<Pubkey>,
    ) -> Instruction {
        ix(
            claim_job_accounts(operator, provider, keys, job, displaced),
            i::ClaimJob {},
        )
    }

    /// Accounts of `abandon_job` for `provider`, signed by its `operator`.
    pub fn abandon_job_accounts(
        operator: &Pubkey,
        provider: &Pubkey,
        keys: &MarketKeys,
        job: &Pubkey,
    ) -> a::AbandonJob {
        a::AbandonJob {
            operator: *operator,
            job: *job,
            bond: slot_bond_accounts(keys, provider),
        }
    }

    /// `abandon_job`: give back `provider`'s claimed slot before committing (pool accounts
    /// writable: the abandon penalty is a slash).
    pub fn abandon_job(
        operator: &Pubkey,
        provider: &Pubkey,
        keys: &MarketKeys,
        job: &Pubkey,
    ) -> Instruction {
        let ix_ = ix(
            abandon_job_accounts(operator, provider, keys, job),
            i::AbandonJob {},
        );
        with_slash_writable(ix_, keys)
    }

    /// `commit_result` of `provider`'s slot, signed by its `operator`; see
    /// [`depin_core::hash::commitment`].
    pub fn commit_result(
        operator: &Pubkey,
        provider: &Pubkey,
        job: &Pubkey,
        commitment: [u8; 32],
    ) -> Instruction {
        let accounts = a::CommitResult {
            operator: *operator,
            job: *job,
            provider: *provider,
        };
        ix(accounts, i::CommitResult { commitment })
    }

    /// `reveal_result` of `provider`'s slot, signed by its `operator`.
    pub fn reveal_result(
        operator: &Pubkey,
        provider: &Pubkey,
        job: &Pubkey,
        args: RevealArgs,
    ) -> Instruction {
        let accounts = a::RevealResult {
            operator: *operator,
            job: *job,
            provider: *provider,
        };
        ix(accounts, i::RevealResult { args })
    }

    /// `submit_result` of `provider`'s slot of a single-replica job, signed by its `operator`.
    pub fn submit_result(
        operator: &Pubkey,
        provider: &Pubkey,
        job: &Pubkey,
        args: SubmitArgs,
    ) -> Instruction {
        let accounts = a::SubmitResult {
            operator: *operator,
            job: *job,
            provider: *provider,
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
        /// A winner: paid into this payment-mint token account of the provider's authority.
        Pay(Pubkey),
        /// A penalty is due: the staking pool writable.
        Slash,
        /// Bond released in full, nothing paid.
        Plain,
    }

    /// Accounts of `release_slot` (`escrow` is `Job::escrow`; `payout_to` only for a winner).
    pub fn release_slot_accounts(
        keys: &MarketKeys,
        job: &Pubkey,
        escrow: &Pubkey,
        provider: &Pubkey,
        payout_to: Option<Pubkey>,
    ) -> a::ReleaseSlot {
        a::ReleaseSlot {
            job: *job,
            escrow: *escrow,
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
        escrow: &Pubkey,
        provider: &Pubkey,
        release: Release,
    ) -> Instruction {
        let payout_to = match release {
            Release::Pay(to) => Some(to),
            _ => None,
        };
        let ix_ = ix(
            release_slot_accounts(keys, job, escrow, provider, payout_to),
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

    /// Accounts of `close_job` (`escrow` is `Job::escrow`).
    pub fn close_job_accounts(
        keys: &MarketKeys,
        job: &Pubkey,
        escrow: &Pubkey,
        requester: &Pubkey,
        refund_to: &Pubkey,
    ) -> a::CloseJob {
        a::CloseJob {
            job: *job,
            requester: *requester,
            market: keys.market,
            escrow: *escrow,
            refund_to: *refund_to,
            fee_vault: keys.fee_vault,
            token_program: anchor_spl::token::ID,
        }
    }

    /// `close_job`: pay the fees, refund `refund_to` (a payment-mint account of the
    /// requester), close escrow and job.
    pub fn close_job(
        keys: &MarketKeys,
        job: &Pubkey,
        escrow: &Pubkey,
        requester: &Pubkey,
        refund_to: &Pubkey,
    ) -> Instruction {
        ix(
            close_job_accounts(keys, job, escrow, requester, refund_to),
            i::CloseJob {},
        )
    }
}
