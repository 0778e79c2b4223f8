use anchor_lang::prelude::*;
use depin_core::seeds;

use crate::{
    errors::StakingError,
    events::PolicyPublished,
    state::{Provider, ProviderPolicy},
};

/// Arguments of `set_policy`: the policy without its publication time (the program sets it).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetPolicyArgs {
    /// Least reward per replica, less the fee, per 10^9 fuel (0: any price).
    pub min_reward_per_gfuel: u64,
    /// Most fuel a job may ask for.
    pub max_fuel: u64,
    /// Most linear memory a job may ask for, bytes.
    pub max_memory_bytes: u64,
    /// Most output a job may ask for, bytes.
    pub max_output_bytes: u64,
    /// Most wall-clock time a job may ask for, milliseconds.
    pub max_wall_ms: u64,
    /// Whether `file://` blobs are fetched (1) or refused (0).
    pub allow_file_uris: u8,
}

#[derive(Accounts)]
pub struct SetPolicy<'info> {
    /// The provider's operator (its worker's key) or its authority; pays the policy
    /// account's rent the first time.
    #[account(mut)]
    pub signer: Signer<'info>,

    #[account(
        constraint = signer.key() == provider.operator || signer.key() == provider.authority
            @ StakingError::NotProviderOperator,
    )]
    pub provider: Account<'info, Provider>,

    /// Created on first publication; rewritten in full on every later one.
    #[account(
        init_if_needed,
        payer = signer,
        space = 8 + ProviderPolicy::INIT_SPACE,
        seeds = [seeds::POLICY, provider.key().as_ref()],
        bump,
    )]
    pub policy: Account<'info, ProviderPolicy>,

    pub system_program: Program<'info, System>,
}

impl SetPolicy<'_> {
    /// Refuse a flag other than 0 or 1.
    pub fn validate(&self, args: &SetPolicyArgs) -> Result<()> {
        require!(args.allow_file_uris <= 1, StakingError::InvalidPolicy);
        Ok(())
    }

    /// Specification: set_policy
    /// - Preconditions: signer is the provider's operator or authority; `allow_file_uris` is
    ///   0 or 1. Allowed while the pool is paused (it moves no tokens).
    /// - Effects: the policy PDA `["policy", provider]` (created, rent paid by the signer, on
    ///   first use) holds `args`, the provider, `published_at = now` and its canonical bump;
    ///   emits `PolicyPublished`. Informational only: no instruction reads it, so a false
    ///   policy misleads requesters' explanations and nothing else.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: SetPolicyArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider = ctx.accounts.provider.key();
        let policy = &mut ctx.accounts.policy;
        policy.provider = provider;
        policy.min_reward_per_gfuel = args.min_reward_per_gfuel;
        policy.max_fuel = args.max_fuel;
        policy.max_memory_bytes = args.max_memory_bytes;
        policy.max_output_bytes = args.max_output_bytes;
        policy.max_wall_ms = args.max_wall_ms;
        policy.allow_file_uris = args.allow_file_uris;
        policy.published_at = now;
        policy.bump = ctx.bumps.policy;
        emit!(PolicyPublished {
            pool: ctx.accounts.provider.pool,
            provider,
            policy: args,
            published_at: now,
        });
        Ok(())
    }
}
