//! Native execution of the Anchor programs inside LiteSVM, through solana-program-test's
//! `processor!`, with two shims:
//!
//! 1. **Entry wrappers.** Anchor's `entry<'info>(&Pubkey, &'info [AccountInfo<'info>], &[u8])`
//!    ties the slice and the accounts to one lifetime, which does not coerce to the runtime's
//!    higher-ranked `ProcessInstruction`; the wrappers re-borrow the slice for the call.
//! 2. **Syscall-stub bridge.** anchor-lang 1.2.2 (`solana-v3`) reaches the runtime through the
//!    solana-sysvar **3.x** stubs (CPI, sysvars, logs, return data), while program-test 4.2
//!    installs its stubs into solana-sysvar **4.x**. `set_syscall_stubs` hands back the previous
//!    stubs, so we take program-test's object out once, share it, and install forwarders to it
//!    in both versions. Clock, Rent and every other sysvar therefore come from the LiteSVM
//!    bank, exactly as on SBF.

use std::sync::{Arc, Once};

use anchor_lang::{
    prelude::{AccountInfo, Pubkey},
    solana_program::{entrypoint::ProgramResult, instruction::Instruction},
};
use litesvm::LiteSVM;
use solana_program_test::processor;
use solana_sysvar_v3::program_stubs as v3;
use solana_sysvar_v4::program_stubs as v4;

fn staking_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: Anchor's `entry` wants one lifetime for all three borrows; every one of them
    // outlives this call and `entry` keeps none of them beyond it.
    unsafe {
        depin_staking::entry(
            &*(program_id as *const Pubkey),
            std::mem::transmute(accounts),
            &*(data as *const [u8]),
        )
    }
}

fn jobs_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: Anchor's `entry` wants one lifetime for all three borrows; every one of them
    // outlives this call and `entry` keeps none of them beyond it.
    unsafe {
        depin_jobs::entry(
            &*(program_id as *const Pubkey),
            std::mem::transmute(accounts),
            &*(data as *const [u8]),
        )
    }
}

/// Register both programs as native builtins of `svm`.
pub fn add_programs(svm: &mut LiteSVM) {
    install_stub_bridge();
    svm.add_builtin(
        depin_staking::ID,
        processor!(staking_entry).expect("processor"),
    );
    svm.add_builtin(depin_jobs::ID, processor!(jobs_entry).expect("processor"));
}

type Shared = Arc<Box<dyn v4::SyscallStubs>>;

/// Install program-test's stubs (once per process) and bridge the 3.x stubs to them.
fn install_stub_bridge() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // program-test installs its stubs into solana-sysvar 4.x the first time a bank starts.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let _ctx = solana_program_test::ProgramTest::default()
                .start_with_context()
                .await;
        });
        struct Placeholder;
        impl v4::SyscallStubs for Placeholder {}
        let program_test: Shared = Arc::new(v4::set_syscall_stubs(Box::new(Placeholder)));
        v4::set_syscall_stubs(Box::new(Forward4(program_test.clone())));
        v3::set_syscall_stubs(Box::new(Bridge3(program_test)));
    });
}

/// 4.x stubs forwarding to program-test's (which we had to take out to share).
struct Forward4(Shared);
/// 3.x stubs (what anchor-lang calls) forwarding to program-test's 4.x stubs.
struct Bridge3(Shared);

macro_rules! forward_stubs {
    ($ty:ty, $trait:path) => {
        impl $trait for $ty {
            fn sol_log(&self, message: &str) {
                self.0.sol_log(message)
            }
            fn sol_log_compute_units(&self) {
                self.0.sol_log_compute_units()
            }
            fn sol_remaining_compute_units(&self) -> u64 {
                self.0.sol_remaining_compute_units()
            }
            fn sol_invoke_signed(
                &self,
                instruction: &Instruction,
                account_infos: &[AccountInfo],
                signers_seeds: &[&[&[u8]]],
            ) -> ProgramResult {
                self.0
                    .sol_invoke_signed(instruction, account_infos, signers_seeds)
            }
            fn sol_get_sysvar(
                &self,
                sysvar_id_addr: *const u8,
                var_addr: *mut u8,
                offset: u64,
                length: u64,
            ) -> u64 {
                self.0
                    .sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
            }
            fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_clock_sysvar(var_addr)
            }
            fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_epoch_schedule_sysvar(var_addr)
            }
            fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_fees_sysvar(var_addr)
            }
            fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_rent_sysvar(var_addr)
            }
            fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_epoch_rewards_sysvar(var_addr)
            }
            fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
                self.0.sol_get_last_restart_slot(var_addr)
            }
            fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
                self.0.sol_get_epoch_stake(vote_address)
            }
            fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
                self.0.sol_get_return_data()
            }
            fn sol_set_return_data(&self, data: &[u8]) {
                self.0.sol_set_return_data(data)
            }
            fn sol_log_data(&self, fields: &[&[u8]]) {
                self.0.sol_log_data(fields)
            }
            fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
                self.0.sol_get_processed_sibling_instruction(index)
            }
            fn sol_get_stack_height(&self) -> u64 {
                self.0.sol_get_stack_height()
            }
        }
    };
}

forward_stubs!(Forward4, v4::SyscallStubs);
forward_stubs!(Bridge3, v3::SyscallStubs);
