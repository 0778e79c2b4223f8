//! Creating a program-owned account at a canonical PDA in a handler, for the one-time
//! initialisers of both programs (and the jobs program's accreditations).
//!
//! Anchor's `init` with `seeds` always runs `find_program_address`, 1 500 compute units per
//! bump tried, so `initialize_pool` and `initialize_market` (two PDAs each) cost 23k – 28k
//! depending on the mint. Here the handler finds the canonical bump with
//! `depin_core::pda::canonical_bump` (about 300 units per try), checks the passed account
//! against it (each caller with its own error), and creates the account with a CPI signed by
//! those seeds. Like `init`, a PDA that a stranger sent lamports to beforehand is topped up,
//! allocated and assigned instead of created, so a donation cannot block the creation; a PDA
//! that already holds data or belongs to a program is refused. A token account at a PDA
//! (the pool's vault, a market's fee vault) is created the same way and then initialised
//! (`NewAccount::create_token_account`).

use anchor_lang::{
    prelude::*,
    system_program::{self, Allocate, Assign, CreateAccount, Transfer},
};
use anchor_spl::token::{self, InitializeAccount3, TokenAccount};

/// Who pays for and which system account becomes a new program-owned account.
pub struct NewAccount<'a, 'info> {
    /// Pays the rent (signer, writable).
    pub payer: &'a AccountInfo<'info>,
    /// The account to create (writable; a PDA of the calling program).
    pub account: &'a AccountInfo<'info>,
    /// The system program.
    pub system_program: &'a AccountInfo<'info>,
}

/// What a new token account holds and who controls it.
pub struct TokenAccountOf<'a, 'info> {
    /// Its mint.
    pub mint: &'a AccountInfo<'info>,
    /// Its owner (authority), e.g. the pool or market PDA.
    pub authority: &'a AccountInfo<'info>,
    /// The SPL token program.
    pub token_program: &'a AccountInfo<'info>,
}

impl<'info> NewAccount<'_, 'info> {
    /// Whether `account` is still an empty system account (possibly holding lamports), as an
    /// account about to be created must be.
    pub fn unused(account: &AccountInfo) -> bool {
        *account.owner == system_program::ID && account.data_is_empty()
    }

    /// Create the account with `space` bytes of data owned by `owner`, rent-exempt, signing as
    /// the PDA of `signer_seeds` (the seeds and the canonical bump, in that order).
    pub fn create(&self, signer_seeds: &[&[u8]], space: usize, owner: &Pubkey) -> Result<()> {
        let needed = Rent::get()?.minimum_balance(space);
        let signer = &[signer_seeds];
        let sys = self.system_program.key();
        let (payer, acc) = (self.payer.clone(), self.account.clone());
        if acc.lamports() == 0 {
            let accounts = CreateAccount {
                from: payer,
                to: acc,
            };
            let cpi = CpiContext::new_with_signer(sys, accounts, signer);
            return system_program::create_account(cpi, needed, space as u64, owner);
        }
        // Pre-funded by someone: top up, allocate and assign instead of creating.
        let short = needed.saturating_sub(acc.lamports());
        if short > 0 {
            let accounts = Transfer {
                from: payer,
                to: acc.clone(),
            };
            system_program::transfer(CpiContext::new(sys, accounts), short)?;
        }
        let accounts = Allocate {
            account_to_allocate: acc.clone(),
        };
        system_program::allocate(
            CpiContext::new_with_signer(sys, accounts, signer),
            space as u64,
        )?;
        let accounts = Assign {
            account_to_assign: acc,
        };
        system_program::assign(CpiContext::new_with_signer(sys, accounts, signer), owner)
    }

    /// Create a token account at the PDA of `signer_seeds` (seeds and canonical bump) and
    /// initialise it (`initialize_account3`) with `of`'s mint and authority. One struct for
    /// the token side keeps the call within SBF's five arguments (docs/sbf-toolchain.md).
    pub fn create_token_account(
        &self,
        signer_seeds: &[&[u8]],
        of: &TokenAccountOf<'_, 'info>,
    ) -> Result<()> {
        self.create(signer_seeds, TokenAccount::LEN, of.token_program.key)?;
        let accounts = InitializeAccount3 {
            account: self.account.clone(),
            mint: of.mint.clone(),
            authority: of.authority.clone(),
        };
        token::initialize_account3(CpiContext::new(of.token_program.key(), accounts))
    }
}
