use anchor_lang::prelude::*;
use depin_staking::{program::DepinStaking, state::Pool};

use crate::{
    errors::JobsError,
    events::JobClaimed,
    provider, staking_cpi,
    state::{job_status, slot_state, Job, Market},
};

#[derive(Accounts)]
pub struct ClaimJob<'info> {
    /// The provider's wallet (owner of the `depin_staking` provider account).
    pub owner: Signer<'info>,

    #[account(constraint = !market.paused @ JobsError::MarketPaused)]
    pub market: Account<'info, Market>,

    #[account(mut, has_one = market @ JobsError::WrongMarket)]
    pub job: AccountLoader<'info, Job>,

    /// The market's staking pool.
    #[account(address = market.staking_pool @ JobsError::WrongStakingPool)]
    pub staking_pool: Account<'info, Pool>,

    /// CHECK: the claimant's `depin_staking` provider account in that pool (read in place by
    /// `crate::provider`; written and fully re-validated by the `lock` CPI).
    #[account(
        mut,
        constraint = provider::owner_of(&provider)? == owner.key() @ JobsError::NotProviderOwner,
        constraint = provider::pool_of(&provider)? == market.staking_pool @ JobsError::WrongStakingPool,
    )]
    pub provider: UncheckedAccount<'info>,

    /// CHECK: this program's `["slasher"]` PDA; signs the `lock` CPI.
    // The pool's slasher is this program's PDA (checked when the market was created), so the
    // address comparison replaces a `create_program_address` (about 1.5k CU); signing with the
    // stored bump would fail for any other account anyway.
    #[account(address = staking_pool.slasher @ JobsError::WrongSlasher)]
    pub slasher: UncheckedAccount<'info>,

    pub staking_program: Program<'info, DepinStaking>,
}

impl ClaimJob<'_> {
    /// Specification: claim_job
    /// - Preconditions: market not paused; job of this market, open, before `claim_deadline`;
    ///   signer owns `provider`, a provider of the market's staking pool that holds no slot of
    ///   this job; a free slot exists; the provider's free stake covers the bond (checked by
    ///   `depin_staking::lock`, which also refuses while the pool is paused).
    /// - Effects: the first free slot becomes claimed by `provider` at `now`; `claimed += 1`;
    ///   `lock(bond)` by CPI signed by the slasher PDA; emits `JobClaimed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider_key = ctx.accounts.provider.key();
        let (slot, bond) = {
            let mut job = ctx.accounts.job.load_mut()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            require!(now < job.claim_deadline, JobsError::ClaimWindowClosed);
            require!(
                job.slot_of(&provider_key).is_none(),
                JobsError::AlreadyClaimed
            );
            let slot = job.free_slot().ok_or(JobsError::JobFull)?;
            let s = &mut job.slots[slot];
            s.provider = provider_key;
            s.state = slot_state::CLAIMED;
            s.claimed_at = now;
            job.claimed += 1; // at most `replicas` (<= 8): a free slot was found
            (slot, job.bond)
        };

        let accounts = staking_cpi::SlasherAccounts {
            staking_program: &ctx.accounts.staking_program.to_account_info(),
            slasher: &ctx.accounts.slasher.to_account_info(),
            pool: &ctx.accounts.staking_pool.to_account_info(),
            provider: &ctx.accounts.provider.to_account_info(),
        };
        staking_cpi::lock(&accounts, ctx.accounts.market.slasher_bump, bond)?;

        emit!(JobClaimed {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            owner: ctx.accounts.owner.key(),
            slot: slot as u8,
            bond,
        });
        Ok(())
    }
}
