//! Typed instruction builders. Account lists come from the programs' own `#[derive(Accounts)]`
//! structs (`to_account_metas`), instruction data from their `#[program]` argument types, so a
//! builder cannot drift from the program.

use anchor_lang::{
    prelude::{AccountMeta, Pubkey},
    solana_program::instruction::Instruction,
    InstructionData, ToAccountMetas,
};

fn build(program_id: Pubkey, accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
    Instruction { program_id, accounts, data }
}

/// Builders for `depin_staking`.
pub mod staking {
    use super::*;
    use crate::{pda, STAKING_PROGRAM_ID};
    use depin_staking::{accounts as a, instruction as i, instructions::InitializePoolArgs};

    /// `initialize_pool`: create the pool of `stake_mint` with its vault.
    pub fn initialize_pool(
        admin: &Pubkey,
        stake_mint: &Pubkey,
        treasury: &Pubkey,
        args: InitializePoolArgs,
    ) -> Instruction {
        let pool = pda::pool(stake_mint).0;
        let accounts = a::InitializePool {
            admin: *admin,
            stake_mint: *stake_mint,
            pool,
            vault: pda::vault(&pool).0,
            treasury: *treasury,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        };
        build(STAKING_PROGRAM_ID, accounts.to_account_metas(None), i::InitializePool { args }.data())
    }

    /// `register_provider`: open `owner`'s provider account in `pool`.
    pub fn register_provider(owner: &Pubkey, pool: &Pubkey, uri: &str) -> Instruction {
        let accounts = a::RegisterProvider {
            owner: *owner,
            pool: *pool,
            provider: pda::provider(pool, owner).0,
            system_program: anchor_lang::system_program::ID,
        };
        build(
            STAKING_PROGRAM_ID,
            accounts.to_account_metas(None),
            i::RegisterProvider { uri: uri.to_owned() }.data(),
        )
    }

    /// `stake`: move `amount` from `source` (owned by `owner`) into the pool vault.
    pub fn stake(owner: &Pubkey, stake_mint: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
        let pool = pda::pool(stake_mint).0;
        let accounts = a::Stake {
            owner: *owner,
            pool,
            provider: pda::provider(&pool, owner).0,
            stake_mint: *stake_mint,
            vault: pda::vault(&pool).0,
            source: *source,
            token_program: anchor_spl::token::ID,
        };
        build(STAKING_PROGRAM_ID, accounts.to_account_metas(None), i::Stake { amount }.data())
    }
}

/// Builders for `depin_jobs`.
pub mod jobs {
    use super::*;
    use crate::{pda, JOBS_PROGRAM_ID};
    use depin_jobs::{accounts as a, instruction as i, instructions::MarketConfig};

    /// `initialize_market`: create market `config.market_id` of `payment_mint`.
    pub fn initialize_market(
        admin: &Pubkey,
        payment_mint: &Pubkey,
        staking_pool: &Pubkey,
        treasury: &Pubkey,
        config: MarketConfig,
    ) -> Instruction {
        let accounts = a::InitializeMarket {
            admin: *admin,
            payment_mint: *payment_mint,
            market: pda::market(payment_mint, config.market_id).0,
            staking_pool: *staking_pool,
            slasher: pda::slasher().0,
            treasury: *treasury,
            system_program: anchor_lang::system_program::ID,
        };
        build(JOBS_PROGRAM_ID, accounts.to_account_metas(None), i::InitializeMarket { args: config }.data())
    }
}
