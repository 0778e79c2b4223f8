use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

use crate::{errors::JobsError, events::MarketUpdated, instructions::MarketConfig, state::Market};

/// Changes to a market; `None` leaves a part as it is. Posted jobs keep the terms they were
/// posted with; the market id (part of the address) cannot change.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateMarketArgs {
    /// New settings (`market_id` must stay the same).
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

    /// New fee receiver, if it changes (a token account of the payment mint).
    #[account(constraint = new_treasury.mint == market.payment_mint @ JobsError::WrongTreasury)]
    pub new_treasury: Option<Account<'info, TokenAccount>>,

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
            args.config.is_some()
                || args.paused.is_some()
                || self.new_treasury.is_some()
                || self.new_admin.is_some(),
            JobsError::NothingToUpdate
        );
        Ok(())
    }

    /// Specification: update_market
    /// - Preconditions: signer is `market.admin`; a new config passes the same checks as at
    ///   creation and keeps `market_id`; a new treasury holds the payment mint; a new admin
    ///   signs; at least one change.
    /// - Effects: applies the changes (never `payment_mint`, `staking_pool` or bumps); emits
    ///   `MarketUpdated` with the resulting settings.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: UpdateMarketArgs) -> Result<()> {
        let market = &mut ctx.accounts.market;
        if let Some(c) = args.config {
            market.config = c;
        }
        if let Some(p) = args.paused {
            market.paused = p;
        }
        if let Some(t) = &ctx.accounts.new_treasury {
            market.treasury = t.key();
        }
        if let Some(a) = &ctx.accounts.new_admin {
            market.admin = a.key();
        }
        emit!(MarketUpdated {
            market: market.key(),
            admin: market.admin,
            treasury: market.treasury,
            config: market.config.clone(),
            paused: market.paused,
        });
        Ok(())
    }
}
