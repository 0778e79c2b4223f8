use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use depin_core::{limits, math, seeds, settle, sortition};

use crate::{
    errors::JobsError,
    events::JobPosted,
    market_terms::MarketTerms,
    state::{job_status, Job},
};

/// A job to post.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct PostJobArgs {
    /// Requester-chosen nonce (part of the job's address).
    pub nonce: u64,
    /// sha256 of the manifest bytes.
    pub spec_hash: [u8; 32],
    /// Where the manifest can be fetched (at most 128 bytes).
    pub spec_uri: String,
    /// Reward per replica (the protocol fee is taken from it at payout).
    pub reward_per_replica: u64,
    /// Replicas: odd, 1 ..= the market's `max_replicas`. The quorum is a strict majority of
    /// them, set by the protocol (`depin_core::settle::quorum_for`).
    pub replicas: u8,
    /// Stake each claimant locks, at least the market's `min_bond`.
    pub bond: u64,
    /// The fee the requester agreed to (basis points); the post is refused if the market's
    /// fee binding this job differs, so a fee raised between signing and landing never
    /// applies to a job unseen.
    pub expected_fee_bps: u16,
    /// Private jobs: `depin_core::hash::key_commitment` of the job secret the requester will
    /// deliver to each claimant (`deliver_key`); all zero for a public job.
    pub key_commitment: [u8; 32],
}

#[derive(Accounts)]
#[instruction(args: PostJobArgs)]
pub struct PostJob<'info> {
    /// Pays the reward into escrow and the rent of job and escrow.
    #[account(mut)]
    pub requester: Signer<'info>,

    /// CHECK: read in place by `MarketTerms::read` at the start of `handle` (owner and
    /// discriminator checked as `Account<Market>` would); posting never writes the market.
    pub market: UncheckedAccount<'info>,

    /// CHECK: must be the market's payment mint (checked in `validate`); the token program
    /// checks it is a mint when it initialises the escrow.
    pub payment_mint: UncheckedAccount<'info>,

    #[account(
        init,
        payer = requester,
        space = limits::DISCRIMINATOR_LEN + limits::JOB_SIZE,
        seeds = [seeds::JOB, market.key().as_ref(), requester.key().as_ref(), &args.nonce.to_le_bytes()],
        bump,
    )]
    pub job: AccountLoader<'info, Job>,

    /// A fresh address of the requester's choosing (its keypair signs the post), so creating
    /// it needs no address search and no program signature; every later instruction finds it
    /// through `Job::escrow`.
    #[account(
        init,
        payer = requester,
        token::mint = payment_mint,
        token::authority = job,
    )]
    pub escrow: Account<'info, TokenAccount>,

    /// The requester's token account the reward comes from.
    #[account(
        mut,
        constraint = source.mint == payment_mint.key() @ JobsError::WrongMint,
        constraint = source.owner == requester.key() @ JobsError::WrongTokenOwner,
    )]
    pub source: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl PostJob<'_> {
    /// Called by `handle` first, with the market's terms it read (not through
    /// `#[access_control]`: one read of the market instead of two saves 0.55k CU).
    pub fn validate(&self, args: &PostJobArgs, terms: &MarketTerms) -> Result<()> {
        require!(!terms.paused, JobsError::MarketPaused);
        require_keys_eq!(
            self.payment_mint.key(),
            terms.payment_mint,
            JobsError::WrongMint
        );
        let cfg = &terms.config;
        require!(cfg.fee_bps == args.expected_fee_bps, JobsError::FeeMismatch);
        require!(
            settle::replicas_allowed(args.replicas, cfg.max_replicas),
            JobsError::InvalidReplicas
        );
        require!(args.bond >= cfg.min_bond, JobsError::BondBelowMinimum);
        require!(args.reward_per_replica > 0, JobsError::ZeroReward);
        require!(
            args.spec_uri.len() <= limits::MAX_URI_LEN,
            JobsError::UriTooLong
        );
        require!(args.spec_hash != [0; 32], JobsError::MissingSpecHash);
        Ok(())
    }

    /// Specification: post_job
    /// - Preconditions: market not paused; the terms binding a job posted now are the market's
    ///   config, or its pending config once `pending_at` has passed (`Market::effective_config`);
    ///   their fee equals `expected_fee_bps`; `replicas` odd and `1 <= replicas <=
    ///   max_replicas`; `bond >= min_bond`; `reward_per_replica > 0`;
    ///   spec URI at most 128 bytes; non-zero spec hash; `source` is the requester's account of
    ///   the payment mint holding `reward_per_replica * replicas` (checked, no overflow).
    ///   A non-zero `key_commitment` makes the job private (keys by `deliver_key`).
    /// - Effects: creates the job (status open, all slots free, quorum = strict majority of the
    ///   replicas, market terms and deadlines fixed: claim = now + claim window, commit = claim
    ///   + execution window, reveal = commit + reveal window; the assignment lottery's seed slot
    ///   and the end of its ranked phase from the current slot, `depin_core::sortition::phases`;
    ///   the key commitment; the market's allow-list flag) and its escrow, a token account of
    ///   the payment mint owned by the job at the requester-generated `escrow` address
    ///   (recorded in `Job::escrow`); moves the deposit into escrow; emits `JobPosted`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: PostJobArgs) -> Result<()> {
        let clock = Clock::get()?;
        let now = clock.unix_timestamp;
        let terms = MarketTerms::read(&ctx.accounts.market, now)?;
        ctx.accounts.validate(&args, &terms)?;
        let (seed_slot, ranked_until_slot) = sortition::phases(clock.slot);
        let cfg = terms.config;
        let deposited =
            math::mul(args.reward_per_replica, args.replicas as u64).map_err(JobsError::from)?;
        let claim_deadline =
            math::add_seconds(now, cfg.claim_window_secs as i64).map_err(JobsError::from)?;
        let commit_deadline = math::add_seconds(claim_deadline, cfg.execution_window_secs as i64)
            .map_err(JobsError::from)?;
        let reveal_deadline = math::add_seconds(commit_deadline, cfg.reveal_window_secs as i64)
            .map_err(JobsError::from)?;

        // The plain `transfer` suffices: the escrow was just created for the market's mint,
        // and the token program refuses a source of another mint.
        token::transfer(
            CpiContext::new(
                ctx.accounts.token_program.key(),
                Transfer {
                    from: ctx.accounts.source.to_account_info(),
                    to: ctx.accounts.escrow.to_account_info(),
                    authority: ctx.accounts.requester.to_account_info(),
                },
            ),
            deposited,
        )?;

        let mut job = ctx.accounts.job.load_init()?;
        job.market = ctx.accounts.market.key();
        job.requester = ctx.accounts.requester.key();
        job.escrow = ctx.accounts.escrow.key();
        job.spec_hash = args.spec_hash;
        job.key_commitment = args.key_commitment;
        job.allow_list = cfg.allow_list as u8;
        job.nonce = args.nonce;
        job.reward_per_replica = args.reward_per_replica;
        job.bond = args.bond;
        job.deposited = deposited;
        job.created_at = now;
        job.claim_deadline = claim_deadline;
        job.commit_deadline = commit_deadline;
        job.reveal_deadline = reveal_deadline;
        job.fee_bps = cfg.fee_bps;
        job.slash_wrong_bps = cfg.slash_wrong_bps;
        job.slash_noshow_bps = cfg.slash_noshow_bps;
        job.abandon_penalty_bps = cfg.abandon_penalty_bps;
        job.seed_slot = seed_slot;
        job.ranked_until_slot = ranked_until_slot;
        job.replicas = args.replicas;
        job.quorum = settle::quorum_for(args.replicas);
        job.status = job_status::OPEN;
        job.bump = ctx.bumps.job;
        job.spec_uri_len = args.spec_uri.len() as u8;
        job.spec_uri[..args.spec_uri.len()].copy_from_slice(args.spec_uri.as_bytes());

        emit!(JobPosted {
            job: ctx.accounts.job.key(),
            market: job.market,
            requester: job.requester,
            nonce: job.nonce,
            spec_hash: job.spec_hash,
            reward_per_replica: job.reward_per_replica,
            replicas: job.replicas,
            quorum: job.quorum,
            bond: job.bond,
            deposited,
            claim_deadline,
            seed_slot,
            ranked_until_slot,
        });
        Ok(())
    }
}
