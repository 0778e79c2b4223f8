use anchor_lang::prelude::*;
use depin_core::sortition;
use depin_staking::in_place::PoolView;

// Glob import: Anchor's derive for a composite field needs the field type's generated modules.
use crate::bond::*;
use crate::{
    errors::JobsError,
    events::{JobClaimed, SlotDisplaced},
    provider,
    state::{job_status, Accreditation, Job},
};

#[derive(Accounts)]
pub struct ClaimJob<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(
        mut,
        constraint = job.load()?.market == bond.market.key() @ JobsError::WrongMarket,
    )]
    pub job: AccountLoader<'info, Job>,

    /// The claimant's provider account in the market's staking pool, whose bond the `lock`
    /// CPI takes.
    #[account(
        constraint = !bond.market.paused @ JobsError::MarketPaused,
        constraint = provider::operator_of(&bond.provider)? == operator.key() @ JobsError::NotProviderOperator,
    )]
    pub bond: SlotBond<'info>,

    /// CHECK: the SlotHashes sysvar (address checked), read in place for the job's seed.
    #[account(address = sortition::SLOT_HASHES_SYSVAR @ JobsError::WrongSlotHashes)]
    pub slot_hashes: UncheckedAccount<'info>,

    /// CHECK: in the ranked phase of a full job, the provider account of the worst-ranked
    /// holder, whose bond is released (checked against the job; written by the unlock CPI,
    /// which re-validates it).
    #[account(mut)]
    pub displaced: Option<UncheckedAccount<'info>>,

    /// The claimant's accreditation in the market; required for a job posted while the
    /// market was allow-listed (`Job::allow_list`), ignored otherwise.
    #[account(
        constraint = accreditation.market == bond.market.key() @ JobsError::NotAccredited,
        constraint = accreditation.provider == bond.provider.key() @ JobsError::NotAccredited,
    )]
    pub accreditation: Option<Account<'info, Accreditation>>,
}

/// Where a claim goes: the slot, its score, and the holder it displaces.
struct Placement {
    slot: usize,
    score: u64,
    displaced: Option<(Pubkey, u64)>,
}

impl ClaimJob<'_> {
    /// The claimant's lottery score for `job` at chain slot `slot`, checked eligible while the
    /// job is in its ranked phase; [`sortition::OPEN_SCORE`] in the open phase.
    fn score(&self, job: &Job, slot: u64) -> Result<u64> {
        if !job.ranked_phase(slot) {
            return Ok(sortition::OPEN_SCORE);
        }
        let seed = {
            let data = self.slot_hashes.try_borrow_data()?;
            sortition::seed_from_slot_hashes(&data, job.seed_slot).ok_or(JobsError::SeedNotReady)?
        };
        let provider = self.bond.provider.key();
        let ticket = sortition::ticket(&seed, &self.job.key(), &provider);
        let free = provider::lottery_stake_of(&self.bond.provider, job.created_at)?;
        let total_staked = PoolView::read(&self.bond.staking_pool)?.total_staked;
        let weight = sortition::weight(free, total_staked, job.replicas);
        let score = sortition::score(ticket, weight);
        require!(sortition::eligible(score), JobsError::NotEligible);
        Ok(score)
    }

    /// A free slot, or (ranked phase only) the worst-ranked held slot if `score` beats it.
    fn place(job: &Job, score: u64, ranked: bool) -> Result<Placement> {
        if let Some(slot) = job.free_slot() {
            return Ok(Placement {
                slot,
                score,
                displaced: None,
            });
        }
        require!(ranked, JobsError::JobFull);
        let slot = job.worst_ranked_slot().ok_or(JobsError::JobFull)?;
        let worst = &job.slots[slot];
        require!(score < worst.score, JobsError::OutRanked);
        Ok(Placement {
            slot,
            score,
            displaced: Some((worst.provider, worst.score)),
        })
    }

    /// Release the displaced holder's bond in full (the `unlock` CPI).
    fn release_displaced(&self, expected: &Pubkey, bond: u64) -> Result<()> {
        let info = self.displaced.as_ref().ok_or(JobsError::WrongDisplaced)?;
        require_keys_eq!(info.key(), *expected, JobsError::WrongDisplaced);
        self.bond.release_other(info, bond)
    }

    /// Specification: claim_job
    /// - Preconditions: market not paused; job of this market, open, before `claim_deadline`;
    ///   signer is the operator of `provider`, a provider of the market's staking pool that
    ///   holds no slot of this job and never gave one back; the provider's free stake covers
    ///   the bond (checked by `depin_staking::lock`, which also refuses while the pool is
    ///   paused). While the chain slot is before `ranked_until_slot` (ranked phase): the seed
    ///   slot's hash is in SlotHashes, the provider's score
    ///   (`depin_core::sortition::score` of its ticket and the weight of its free stake, counted
    ///   only if it last staked before the job was posted) makes it
    ///   eligible, and a slot is free or the worst-ranked holder scores worse (its provider
    ///   account passed as `displaced`). From `ranked_until_slot` on (open phase): a slot is
    ///   free. A job posted while the market was allow-listed: `accreditation` is the
    ///   provider's accreditation in this market.
    /// - Effects: the slot becomes claimed by `provider` at `now` with its score; `claimed += 1`
    ///   unless a holder was displaced (its bond released in full by `unlock`, emits
    ///   `SlotDisplaced`); `quorum_reached` set once `claimed >= quorum`; `lock(bond)` by CPI
    ///   signed by the slasher PDA; emits `JobClaimed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let clock = Clock::get()?;
        let provider_key = ctx.accounts.bond.provider.key();
        let (placement, bond) = {
            let mut job = ctx.accounts.job.load_mut()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            require!(
                clock.unix_timestamp < job.claim_deadline,
                JobsError::ClaimWindowClosed
            );
            require!(
                job.slot_of(&provider_key).is_none(),
                JobsError::AlreadyClaimed
            );
            require!(!job.abandoned_by(&provider_key), JobsError::AbandonedBefore);
            require!(
                job.allow_list == 0 || ctx.accounts.accreditation.is_some(),
                JobsError::NotAccredited
            );
            let score = ctx.accounts.score(&job, clock.slot)?;
            let p = Self::place(&job, score, job.ranked_phase(clock.slot))?;
            job.take_slot(p.slot, &provider_key, clock.unix_timestamp, p.score);
            if p.displaced.is_none() {
                job.claimed += 1; // at most `replicas` (<= 7): a free slot was found
            }
            if job.claimed >= job.quorum {
                job.quorum_reached = 1;
            }
            (p, job.bond)
        };
        if let Some((displaced, displaced_score)) = placement.displaced {
            ctx.accounts.release_displaced(&displaced, bond)?;
            emit!(SlotDisplaced {
                job: ctx.accounts.job.key(),
                provider: displaced,
                slot: placement.slot as u8,
                released: bond,
                score: displaced_score,
            });
        }
        ctx.accounts.bond.lock(bond)?;
        emit!(JobClaimed {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            operator: ctx.accounts.operator.key(),
            slot: placement.slot as u8,
            bond,
            score: placement.score,
        });
        Ok(())
    }
}
