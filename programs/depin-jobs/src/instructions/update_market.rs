use anchor_lang::prelude::*;
use depin_core::math;

use crate::{
    errors::JobsError,
    events::MarketUpdated,
    state::{Market, MarketConfig},
};

/// Changes to a market; `None` leaves a part as it is. Posted jobs keep the terms they were
/// posted with; the market id (part of the address) cannot change.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateMarketArgs {
    /// New settings (`market_id` must stay the same). If any rate goes up they are announced
    /// and bind jobs posted from `now + notice` on; otherwise they apply at once.
    pub config: Option<MarketConfig>,
    /// Pause or resume the market.
    pub paused: Option<bool>,
}

#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    /// The current admin.
    pub admin: Signer<'info>,

    #[account(mut, has_one = admin @ JobsError::NotMarketAdmin)]
    pub market: Account<'info, Market>,

    /// New admin, if it changes; must sign.
    pub new_admin: Option<Signer<'info>>,
}

impl UpdateMarket<'_> {
    pub fn validate(&self, args: &UpdateMarketArgs) -> Result<()> {
        if let Some(c) = &args.config {
            c.check()?;
            require!(
                c.market_id == self.market.config.market_id,
                JobsError::MarketIdImmutable
            );
        }
        require!(
            args.config.is_some() || args.paused.is_some() || self.new_admin.is_some(),
            JobsError::NothingToUpdate
        );
        Ok(())
    }

    /// Specification: update_market
    /// - Preconditions: signer is `market.admin`; a new config passes the same checks as at
    ///   creation (rate caps included) and keeps `market_id`; a new admin signs; at least one
    ///   change.
    /// - Effects: first, a pending config whose time has come becomes the config. Then a new
    ///   config that raises any rate (fee, wrong-result or no-show slash, abandon penalty)
    ///   over the config is announced: `pending_config = new`, `pending_at = now +
    ///   config.notice_secs()` (longer than any job posted now can run, plus one hour); a new
    ///   config that raises none applies at once and cancels anything pending. Pause flag and
    ///   admin as given (never `payment_mint`, `staking_pool`, `fee_vault` or bumps); emits
    ///   `MarketUpdated` with the resulting settings.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: UpdateMarketArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let market = &mut ctx.accounts.market;
        if depin_core::governance::pending_binds(market.pending_at, now) {
            market.config = market.pending_config.clone();
            market.pending_at = 0;
        }
        if let Some(c) = args.config {
            if market.config.rates().raised_by(&c.rates()) {
                market.pending_at =
                    math::add_seconds(now, market.config.notice_secs()).map_err(JobsError::from)?;
                market.pending_config = c;
            } else {
                market.pending_config = c.clone();
                market.config = c;
                market.pending_at = 0;
            }
        }
        if let Some(p) = args.paused {
            market.paused = p;
        }
        if let Some(a) = &ctx.accounts.new_admin {
            market.admin = a.key();
        }
        emit!(MarketUpdated {
            market: market.key(),
            admin: market.admin,
            config: market.config.clone(),
            pending_config: market.pending_config.clone(),
            pending_at: market.pending_at,
            paused: market.paused,
        });
        Ok(())
    }
}
