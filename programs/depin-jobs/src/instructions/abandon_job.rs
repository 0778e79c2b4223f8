use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use depin_core::{math, seeds};
use depin_staking::{
    program::DepinStaking,
    state::{Pool, Provider},
};

use crate::{
    errors::JobsError,
    events::JobAbandoned,
    staking_cpi,
    state::{Job, Market, Slot},
};

#[derive(Accounts)]
pub struct AbandonJob<'info> {
    /// The provider's wallet.
    pub owner: Signer<'info>,

    pub market: Account<'info, Market>,

    #[account(mut, has_one = market @ JobsError::WrongMarket)]
    pub job: AccountLoader<'info, Job>,

    /// The market's staking pool (written by the slash CPI).
    #[account(mut, address = market.staking_pool @ JobsError::WrongStakingPool)]
    pub staking_pool: Account<'info, Pool>,

    #[account(mut, has_one = owner @ JobsError::NotProviderOwner)]
    pub provider: Account<'info, Provider>,

    /// CHECK: this program's `["slasher"]` PDA; signs the CPI.
    #[account(seeds = [seeds::SLASHER], bump = market.slasher_bump)]
    pub slasher: UncheckedAccount<'info>,

    /// CHECK: the pool's stake mint (address checked here, used by depin_staking).
    #[account(address = staking_pool.stake_mint @ JobsError::WrongMint)]
    pub stake_mint: UncheckedAccount<'info>,

    /// CHECK: the pool's vault (address checked here, used by depin_staking).
    #[account(mut, address = staking_pool.vault @ JobsError::WrongVault)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the pool's treasury, where penalties go (address checked here).
    #[account(mut, address = staking_pool.treasury @ JobsError::WrongTreasury)]
    pub treasury: UncheckedAccount<'info>,

    pub token_program: Program<'info, Token>,
    pub staking_program: Program<'info, DepinStaking>,
}

impl AbandonJob<'_> {
    /// Specification: abandon_job
    /// - Preconditions: job of this market, open, before `commit_deadline`; signer owns
    ///   `provider`, which holds a slot of the job that is claimed but not committed.
    /// - Effects: `penalty = floor(bond * abandon_penalty_bps / 10000)` is slashed to the pool
    ///   treasury and the rest of the bond released (one CPI; a plain unlock when the penalty is
    ///   0); the slot becomes free (claimable again while the claim window is open);
    ///   `claimed -= 1`; emits `JobAbandoned`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider_key = ctx.accounts.provider.key();
        let (slot, bond, penalty) = {
            let mut job = ctx.accounts.job.load_mut()?;
            let slot = job.uncommitted_slot_of(&provider_key, now)?;
            let penalty =
                math::bps_floor(job.bond, job.abandon_penalty_bps).map_err(JobsError::from)?;
            job.slots[slot] = <Slot as bytemuck::Zeroable>::zeroed(); // free, no provider
            job.claimed -= 1; // the slot was held
            (slot, job.bond, penalty)
        };

        let accounts = staking_cpi::SlasherAccounts {
            staking_program: &ctx.accounts.staking_program.to_account_info(),
            slasher: &ctx.accounts.slasher.to_account_info(),
            pool: &ctx.accounts.staking_pool.to_account_info(),
            provider: &ctx.accounts.provider.to_account_info(),
        };
        let tokens = staking_cpi::SlashTokenAccounts {
            stake_mint: &ctx.accounts.stake_mint.to_account_info(),
            vault: &ctx.accounts.vault.to_account_info(),
            treasury: &ctx.accounts.treasury.to_account_info(),
            token_program: &ctx.accounts.token_program.to_account_info(),
        };
        let bump = ctx.accounts.market.slasher_bump;
        staking_cpi::settle_bond(&accounts, &tokens, bump, bond, penalty, false)?;

        emit!(JobAbandoned {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            slot: slot as u8,
            penalty,
            released: bond - penalty,
        });
        Ok(())
    }
}
