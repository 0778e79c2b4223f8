//! # depin-tests: one scenario, two executions
//!
//! Every scenario is a function `fn(Backend)`; [`dual_test!`] turns it into three tests:
//!
//! * `sbf` — the programs as built by `scripts/build-sbf.sh` (`target/deploy/*.so`), loaded by
//!   LiteSVM's real SBF loader: compute units, stack and syscalls are the chain's;
//! * `native` — the same programs compiled for the host and registered as builtins through
//!   solana-program-test's `processor!` (CPIs and sysvars bridged, see [`native`]);
//! * `parity` — runs both and asserts that every transaction had the same outcome and left
//!   every written account byte-identical. A miscompilation of the upstream SBF route, or a
//!   host-only assumption in the programs, fails here instead of hiding.
//!
//! Keys are derived from labels ([`TestChain::keypair`]), so both runs see the same addresses.

pub mod native;
pub mod report;
pub mod scenarios;

use std::path::PathBuf;

use anchor_lang::{prelude::Pubkey, AccountDeserialize};
use litesvm::{types::TransactionMetadata, LiteSVM};
use sha2::{Digest, Sha256};
use solana_program_pack::Pack;
use solana_sdk::{
    account::Account,
    clock::Clock,
    instruction::{Instruction, InstructionError},
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
};

/// Which build of the programs a scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `target/deploy/*.so` in LiteSVM's SBF virtual machine.
    Sbf,
    /// Host-compiled programs via solana-program-test's `processor!`.
    Native,
}

/// Generate a module `$name` with `sbf`, `native` and `parity` tests for a scenario
/// `fn(Backend) -> TestChain`: `dual_test!(name => path::to::scenario);`.
#[macro_export]
macro_rules! dual_test {
    ($name:ident => $scenario:path) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sbf() {
                $scenario($crate::Backend::Sbf);
            }
            #[test]
            fn native() {
                $scenario($crate::Backend::Native);
            }
            #[test]
            fn parity() {
                let sbf = $scenario($crate::Backend::Sbf);
                let native = $scenario($crate::Backend::Native);
                $crate::assert_parity(&sbf, &native);
            }
        }
    };
}

/// Directory holding the SBF build (`DEPIN_DEPLOY_DIR` overrides `<repo>/target/deploy`).
pub fn deploy_dir() -> PathBuf {
    // The package directory at run time first (cargo sets it for `cargo run`/`test`, nextest
    // too): with a target dir shared between checkouts (CI caches it outside the clone), a
    // binary uplifted by another checkout's build would otherwise read that checkout's `.so`.
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    std::env::var_os("DEPIN_DEPLOY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| package.join("../target/deploy"))
}

/// One transaction's record in a run's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Caller's label.
    pub label: String,
    /// `Ok` or the transaction error.
    pub outcome: Result<(), TransactionError>,
    /// Compute units consumed (meaningful on [`Backend::Sbf`] only; not compared by parity).
    pub compute_units: u64,
    /// Program logs (not compared by parity: they carry compute-unit figures, and natively
    /// they hold no events, see [`TestChain::event`]).
    pub logs: Vec<String>,
    /// Every writable account of the transaction afterwards: (address, owner, lamports, data).
    pub written: Vec<(Pubkey, Option<(Pubkey, u64, Vec<u8>)>)>,
}

/// A successful transaction.
#[derive(Debug)]
pub struct Sent {
    /// Compute units consumed (meaningful on [`Backend::Sbf`] only).
    pub compute_units: u64,
    /// Program logs.
    pub logs: Vec<String>,
}

/// A failed transaction.
#[derive(Debug)]
pub struct Failed {
    /// The runtime's error.
    pub err: TransactionError,
    /// Program logs.
    pub logs: Vec<String>,
}

impl Failed {
    /// The custom program error code, if the failure was one.
    pub fn custom_code(&self) -> Option<u32> {
        match self.err {
            TransactionError::InstructionError(_, InstructionError::Custom(c)) => Some(c),
            _ => None,
        }
    }

    /// Assert that the failure is Anchor error `e` (program error enums or Anchor's own codes).
    #[track_caller]
    pub fn assert_error(&self, e: impl Into<u32>) {
        let code: u32 = e.into();
        assert_eq!(
            self.custom_code(),
            Some(code),
            "expected error {code}, got {:?}\nlogs: {:#?}",
            self.err,
            self.logs
        );
    }

    /// Assert that instruction 0 failed with the runtime error `e`.
    #[track_caller]
    pub fn assert_instruction_error(&self, e: InstructionError) {
        assert_eq!(
            self.err,
            TransactionError::InstructionError(0, e),
            "logs: {:#?}",
            self.logs
        );
    }
}

/// A LiteSVM chain with both programs loaded the chosen way, and a transcript of every send.
pub struct TestChain {
    /// The VM.
    pub svm: LiteSVM,
    /// How the programs run.
    pub backend: Backend,
    /// Fee payer of every transaction.
    pub payer: Keypair,
    /// Every transaction sent so far.
    pub transcript: Vec<Step>,
    /// Keypairs of the escrows handed out by [`Self::new_escrow`], in order. [`Self::send`]
    /// adds each one a transaction needs as a signer, so a post signs for its escrow the way
    /// the SDK's does, without every scenario listing it.
    escrows: std::cell::RefCell<Vec<Keypair>>,
}

impl TestChain {
    /// A fresh chain with `depin_staking` and `depin_jobs` loaded for `backend`.
    pub fn new(backend: Backend) -> Self {
        let mut svm = LiteSVM::new();
        match backend {
            Backend::Sbf => {
                let dir = deploy_dir();
                for (id, name) in [
                    (depin_staking::ID, "depin_staking"),
                    (depin_jobs::ID, "depin_jobs"),
                ] {
                    let path = dir.join(format!("{name}.so"));
                    svm.add_program_from_file(id, &path).unwrap_or_else(|e| {
                        panic!(
                            "loading {}: {e:?} (run scripts/build-sbf.sh first)",
                            path.display()
                        )
                    });
                }
            }
            Backend::Native => native::add_programs(&mut svm),
        }
        for id in [depin_staking::ID, depin_jobs::ID] {
            set_upgrade_authority(&mut svm, &id, Some(derive_keypair(DEPLOYER).pubkey()));
        }
        let payer = derive_keypair("payer");
        svm.airdrop(&payer.pubkey(), 1_000_000_000_000)
            .expect("airdrop");
        let mut chain = TestChain {
            svm,
            backend,
            payer,
            transcript: Vec::new(),
            escrows: Default::default(),
        };
        chain.set_unix_timestamp(1_700_000_000);
        chain
    }

    /// The programs' upgrade authority ([`DEPLOYER`]), funded, with both programs' configs
    /// created naming it as the authority that creates pools and markets.
    pub fn deployer_with_configs(&mut self) -> Keypair {
        let deployer = self.funded_keypair(DEPLOYER, 10);
        let d = deployer.pubkey();
        self.ok(
            "initialize_config (staking)",
            &[depin_client::ix::staking::initialize_config(&d, &d)],
            &[&deployer],
        );
        self.ok(
            "initialize_config (jobs)",
            &[depin_client::ix::jobs::initialize_config(&d, &d)],
            &[&deployer],
        );
        deployer
    }

    /// A keypair derived from `label`: identical on both backends.
    pub fn keypair(&self, label: &str) -> Keypair {
        derive_keypair(label)
    }

    /// A labelled keypair funded with `sol` SOL.
    pub fn funded_keypair(&mut self, label: &str, sol: u64) -> Keypair {
        let k = derive_keypair(label);
        self.svm
            .airdrop(&k.pubkey(), sol * 1_000_000_000)
            .expect("airdrop");
        k
    }

    /// The address of a fresh escrow keypair for a `post_job` (the n-th one of this chain, so
    /// the SBF and native runs of a scenario use the same addresses). `send` signs with it.
    pub fn new_escrow(&self) -> Pubkey {
        let mut escrows = self.escrows.borrow_mut();
        let k = derive_keypair(&format!("escrow {}", escrows.len()));
        let key = k.pubkey();
        escrows.push(k);
        key
    }

    /// The escrow of job account `job` (`Job::escrow`; the job must exist).
    pub fn escrow_of(&self, job: &Pubkey) -> Pubkey {
        let acc = self.svm.get_account(job).expect("job exists");
        depin_client::accounts::decode_zero_copy::<depin_client::Job>(job, &acc.data)
            .expect("job")
            .escrow
    }

    /// Give `who` `sol` SOL (it pays rent or fees itself).
    pub fn fund(&mut self, who: &Pubkey, sol: u64) {
        self.svm.airdrop(who, sol * 1_000_000_000).expect("airdrop");
    }

    /// Send `ixs` paid by [`Self::payer`] and signed by `signers`; record the step.
    pub fn send(
        &mut self,
        label: &str,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Sent, Failed> {
        let needed = |k: &Pubkey| {
            ixs.iter()
                .any(|ix| ix.accounts.iter().any(|m| m.is_signer && m.pubkey == *k))
        };
        let escrows: Vec<Keypair> = (self.escrows.borrow().iter())
            .filter(|k| needed(&k.pubkey()))
            .map(Keypair::insecure_clone)
            .collect();
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend_from_slice(signers);
        all.extend(escrows.iter());
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&self.payer.pubkey()),
            &all,
            self.svm.latest_blockhash(),
        );
        let writable: Vec<Pubkey> = tx
            .message
            .account_keys
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                tx.message.is_maybe_writable_with_reserved_addresses(
                    *i,
                    None::<&std::collections::HashSet<Pubkey>>,
                ) && **k != self.payer.pubkey()
            })
            .map(|(_, k)| *k)
            .collect();
        let result = self.svm.send_transaction(tx);
        self.svm.expire_blockhash();
        let outcome = result.as_ref().map(|_| ()).map_err(|f| f.err.clone());
        let (compute_units, logs) = match &result {
            Ok(m) => (m.compute_units_consumed, m.logs.clone()),
            Err(f) => (f.meta.compute_units_consumed, f.meta.logs.clone()),
        };

        let written = writable
            .into_iter()
            .map(|k| {
                (
                    k,
                    self.svm
                        .get_account(&k)
                        .map(|a| (a.owner, a.lamports, a.data)),
                )
            })
            .collect();
        self.transcript.push(Step {
            label: label.to_owned(),
            outcome,
            compute_units,
            logs: logs.clone(),
            written,
        });
        match result {
            Ok(TransactionMetadata {
                compute_units_consumed,
                ..
            }) => Ok(Sent {
                compute_units: compute_units_consumed,
                logs,
            }),
            Err(f) => Err(Failed { err: f.err, logs }),
        }
    }

    /// [`Self::send`] that must succeed.
    #[track_caller]
    pub fn ok(&mut self, label: &str, ixs: &[Instruction], signers: &[&Keypair]) -> Sent {
        self.send(label, ixs, signers)
            .unwrap_or_else(|f| panic!("{label} failed: {:?}\nlogs: {:#?}", f.err, f.logs))
    }

    /// [`Self::send`] that must fail.
    #[track_caller]
    pub fn fail(&mut self, label: &str, ixs: &[Instruction], signers: &[&Keypair]) -> Failed {
        match self.send(label, ixs, signers) {
            Ok(s) => panic!("{label} unexpectedly succeeded; logs: {:#?}", s.logs),
            Err(f) => f,
        }
    }

    /// The one event of type `E` that `sent` emitted — on [`Backend::Sbf`]. Natively there is
    /// none to see: anchor-lang 1.2.2 compiles `sol_log_data` (behind `emit!`) to a no-op off
    /// chain, so this returns `None` there and scenarios check events on the SBF run.
    #[track_caller]
    pub fn event<
        E: anchor_lang::Event + anchor_lang::Discriminator + anchor_lang::AnchorDeserialize,
    >(
        &self,
        sent: &Sent,
    ) -> Option<E> {
        if self.backend == Backend::Native {
            return None;
        }
        let mut all: Vec<E> = depin_client::events::decode(&sent.logs);
        assert_eq!(
            all.len(),
            1,
            "expected exactly one {} event",
            std::any::type_name::<E>()
        );
        Some(all.remove(0))
    }

    /// Decode an Anchor account.
    #[track_caller]
    pub fn account<T: AccountDeserialize>(&self, address: &Pubkey) -> T {
        let acc = self
            .svm
            .get_account(address)
            .unwrap_or_else(|| panic!("account {address} missing"));
        depin_client::accounts::decode(address, &acc.data).expect("decode")
    }

    /// Whether an account exists (non-zero lamports).
    pub fn exists(&self, address: &Pubkey) -> bool {
        self.svm
            .get_account(address)
            .is_some_and(|a| a.lamports > 0)
    }

    /// Token balance of an SPL token account.
    #[track_caller]
    pub fn token_balance(&self, address: &Pubkey) -> u64 {
        let acc = self
            .svm
            .get_account(address)
            .unwrap_or_else(|| panic!("token account {address} missing"));
        anchor_spl::token::spl_token::state::Account::unpack(&acc.data)
            .expect("token account")
            .amount
    }

    /// Create an SPL mint at a labelled address with `decimals`, authority = payer.
    pub fn create_mint(&mut self, label: &str, decimals: u8) -> Pubkey {
        use anchor_spl::token::spl_token::state::Mint;
        let address = derive_keypair(label).pubkey();
        let mut data = vec![0; Mint::LEN];
        Mint {
            mint_authority: Some(self.payer.pubkey()).into(),
            supply: 0,
            decimals,
            is_initialized: true,
            freeze_authority: None.into(),
        }
        .pack_into_slice(&mut data);
        self.put_token_program_account(address, data);
        address
    }

    /// Create an SPL token account at a labelled address holding `amount` of `mint`.
    pub fn create_token_account(
        &mut self,
        label: &str,
        mint: &Pubkey,
        owner: &Pubkey,
        amount: u64,
    ) -> Pubkey {
        use anchor_spl::token::spl_token::state::{Account as TokenAccount, AccountState, Mint};
        let address = derive_keypair(label).pubkey();
        let mut data = vec![0; TokenAccount::LEN];
        TokenAccount {
            mint: *mint,
            owner: *owner,
            amount,
            delegate: None.into(),
            state: AccountState::Initialized,
            is_native: None.into(),
            delegated_amount: 0,
            close_authority: None.into(),
        }
        .pack_into_slice(&mut data);
        self.put_token_program_account(address, data);
        // Keep the mint's supply consistent with what the harness created.
        let mut m = self.svm.get_account(mint).expect("mint exists");
        let mut state = Mint::unpack(&m.data).expect("mint");
        state.supply += amount;
        state.pack_into_slice(&mut m.data);
        self.svm.set_account(*mint, m).expect("set mint");
        address
    }

    fn put_token_program_account(&mut self, address: Pubkey, data: Vec<u8>) {
        let lamports = self.svm.minimum_balance_for_rent_exemption(data.len());
        let account = Account {
            lamports,
            data,
            owner: anchor_spl::token::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.svm.set_account(address, account).expect("set account");
    }

    /// Current Unix time of the chain.
    pub fn now(&self) -> i64 {
        self.svm.get_sysvar::<Clock>().unix_timestamp
    }

    /// Set the chain's Unix time (the slot advances by one).
    pub fn set_unix_timestamp(&mut self, t: i64) {
        let mut clock = self.svm.get_sysvar::<Clock>();
        clock.unix_timestamp = t;
        self.svm.set_sysvar(&clock);
        self.advance_slots(1);
    }

    /// Current slot of the chain.
    pub fn slot(&self) -> u64 {
        self.svm.get_sysvar::<Clock>().slot
    }

    /// Advance the chain by `n` slots (time unchanged), recording each finished slot's hash in
    /// the SlotHashes sysvar as a validator does. The hash is `sha256("slot" ‖ slot)`: fixed,
    /// so both backends (and every run) draw the same assignment lottery.
    pub fn advance_slots(&mut self, n: u64) {
        let mut clock = self.svm.get_sysvar::<Clock>();
        let mut hashes: Vec<(u64, solana_sdk::hash::Hash)> = self
            .svm
            .get_sysvar::<solana_slot_hashes::SlotHashes>()
            .iter()
            .copied()
            .collect();
        for _ in 0..n {
            let h: [u8; 32] = Sha256::new()
                .chain_update(b"slot")
                .chain_update(clock.slot.to_le_bytes())
                .finalize()
                .into();
            hashes.retain(|(s, _)| *s != clock.slot);
            hashes.insert(0, (clock.slot, solana_sdk::hash::Hash::new_from_array(h)));
            clock.slot += 1;
        }
        hashes.truncate(solana_slot_hashes::MAX_ENTRIES);
        self.svm
            .set_sysvar(&solana_slot_hashes::SlotHashes::new(&hashes));
        self.svm.set_sysvar(&clock);
    }

    /// Advance to the open claim phase of `job` (its `ranked_until_slot`, read in place) if
    /// the chain is not there yet.
    pub fn open_claims(&mut self, ranked_until_slot: u64) {
        let now = self.slot();
        if now < ranked_until_slot {
            self.advance_slots(ranked_until_slot - now);
        }
    }

    /// Move the clock forward by `seconds`.
    pub fn warp_seconds(&mut self, seconds: i64) {
        self.set_unix_timestamp(self.now() + seconds);
    }
}

impl Step {
    /// Names of the top-level instructions this step ran (Anchor's `Instruction: X` log line
    /// at invoke depth 1; instructions reached by CPI are not counted), e.g. `["ClaimJob"]`.
    pub fn instruction_names(&self) -> Vec<String> {
        let mut depth = 0usize;
        let mut names = Vec::new();
        for line in &self.logs {
            if let Some(rest) = line.strip_prefix("Program ") {
                if let Some(d) = rest.split(" invoke [").nth(1) {
                    depth = d.trim_end_matches(']').parse().unwrap_or(depth);
                    continue;
                }
                if rest.ends_with(" success") || rest.contains(" failed: ") {
                    depth = depth.saturating_sub(1);
                    continue;
                }
            }
            if depth == 1 {
                if let Some(name) = line.strip_prefix("Program log: Instruction: ") {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }
}

/// Label of the programs' upgrade authority in every test chain.
pub const DEPLOYER: &str = "deployer";

/// Write the upgradeable loader's ProgramData of `program_id` with `authority` as its upgrade
/// authority: on SBF the account LiteSVM created (the ELF after the header is kept), natively a
/// header-only account (the program runs as a builtin). Both backends then see the same
/// upgrade authority, as on a cluster after `solana program deploy`.
pub fn set_upgrade_authority(svm: &mut LiteSVM, program_id: &Pubkey, authority: Option<Pubkey>) {
    let loader = anchor_lang::solana_program::bpf_loader_upgradeable::ID;
    let address = Pubkey::find_program_address(&[program_id.as_ref()], &loader).0;
    let mut account = svm.get_account(&address).unwrap_or(Account {
        lamports: 0,
        data: vec![0; 45],
        owner: loader,
        executable: false,
        rent_epoch: 0,
    });
    account.data[..4].copy_from_slice(&3u32.to_le_bytes());
    match authority {
        Some(a) => {
            account.data[12] = 1;
            account.data[13..45].copy_from_slice(a.as_ref());
        }
        None => {
            account.data[12] = 0;
            account.data[13..45].fill(0);
        }
    }
    account.lamports = account
        .lamports
        .max(svm.minimum_balance_for_rent_exemption(account.data.len()));
    svm.set_account(address, account).expect("set ProgramData");
}

/// Keypair from the SHA-256 of a label.
pub fn derive_keypair(label: &str) -> Keypair {
    let seed: [u8; 32] = Sha256::digest(format!("depin-tests:{label}").as_bytes()).into();
    Keypair::new_from_array(seed)
}

/// Assert that two runs of one scenario (SBF and native) did the same thing, step by step.
#[track_caller]
pub fn assert_parity(sbf: &TestChain, native: &TestChain) {
    assert_eq!(
        sbf.transcript.len(),
        native.transcript.len(),
        "different number of transactions"
    );
    for (a, b) in sbf.transcript.iter().zip(&native.transcript) {
        assert_eq!(a.label, b.label);
        assert_eq!(
            a.outcome, b.outcome,
            "step '{}': SBF and native outcomes differ",
            a.label
        );
        assert_eq!(a.written.len(), b.written.len(), "step '{}'", a.label);
        for (x, y) in a.written.iter().zip(&b.written) {
            assert_eq!(x.0, y.0, "step '{}': different accounts", a.label);
            assert!(
                x.1 == y.1,
                "step '{}': account {} differs between SBF and native:\nSBF:    {:?}\nnative: {:?}",
                a.label,
                x.0,
                x.1,
                y.1
            );
        }
    }
}

/// Random sequences per backend for the property tests: `DEPIN_PROPERTY_SEQUENCES` when set,
/// else `default`.
pub fn property_sequences(default: u64) -> u64 {
    std::env::var("DEPIN_PROPERTY_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
