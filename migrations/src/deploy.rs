//! Deploying the SBF programs through the upgradeable BPF loader (loader v3), with our own
//! client instead of `solana program deploy`.
//!
//! [`deploy_program`] uploads one ELF the way the loader expects it:
//!
//! 1. It reads the program account. If the program exists and its ProgramData already holds
//!    exactly this ELF (trailing zero padding ignored), it returns [`DeployOutcome::Unchanged`]
//!    without sending anything. Otherwise an existing program must be upgradeable by the given
//!    authority, or the deploy is refused ([`DeployError::WrongAuthority`],
//!    [`DeployError::Immutable`]) before anything is paid for.
//! 2. It creates a buffer account at a fresh address and writes the ELF into it in the largest
//!    chunks that fit one transaction ([`max_write_chunk`]), several writes in flight at once
//!    ([`DeployOptions::concurrency`]). A write is idempotent (the same bytes at the same
//!    offset), so a failed chunk is simply sent again, for up to
//!    [`DeployOptions::write_rounds`] rounds.
//! 3. It reads the buffer back and rewrites any chunk that differs.
//! 4. A new program is deployed with `DeployWithMaxDataLen` (the program keypair signs); its
//!    ProgramData is sized to the ELF exactly, since later upgrades extend it on demand. An
//!    existing program is upgraded with `Upgrade` (the authority signs), after `ExtendProgram`
//!    when the new ELF is larger than the current ProgramData.
//! 5. It reads the ProgramData back and checks it holds the ELF.
//!
//! If a step after the buffer's creation fails, the buffer is closed (its rent returns to the
//! payer) where possible; the error says whether it was.
//!
//! [`deploy_all`] deploys both depin-compute programs from a `target/deploy` folder, checking
//! that the program keypairs there hold the ids the SDK expects.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use depin_client::{error::program_name, rpc::DepinRpc, ClientError};
use futures_util::{stream, StreamExt};
use solana_commitment_config::CommitmentConfig;
use solana_loader_v3_interface::{
    get_program_data_address,
    instruction::{self as loader, MINIMUM_EXTEND_PROGRAM_BYTES},
    state::UpgradeableLoaderState,
};
use solana_packet::PACKET_DATA_SIZE;
use solana_sdk::{
    instruction::Instruction,
    message::Message,
    signature::{Keypair, Signer},
    transaction::Transaction,
};
use solana_sdk_ids::bpf_loader_upgradeable;
use solana_system_interface::MAX_PERMITTED_DATA_LENGTH;

use crate::Step;

/// Bytes of loader metadata before the program bytes in a ProgramData account.
const PROGRAMDATA_HEADER: usize = UpgradeableLoaderState::size_of_programdata_metadata();
/// Bytes of loader metadata before the program bytes in a buffer account.
const BUFFER_HEADER: usize = UpgradeableLoaderState::size_of_buffer_metadata();
/// The largest account the runtime allows (10 MiB).
const MAX_ACCOUNT_LEN: usize = MAX_PERMITTED_DATA_LENGTH as usize;

/// What [`deploy_program`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployOutcome {
    /// The program did not exist: created with `DeployWithMaxDataLen`.
    Deployed,
    /// The program existed with other bytes: replaced with `Upgrade`.
    Upgraded,
    /// The program already holds this ELF: nothing was sent.
    Unchanged,
}

impl DeployOutcome {
    /// `deployed`, `upgraded` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeployOutcome::Deployed => "deployed",
            DeployOutcome::Upgraded => "upgraded",
            DeployOutcome::Unchanged => "unchanged",
        }
    }
}

impl fmt::Display for DeployOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a deploy is (see [`DeployProgress`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployPhase {
    /// Reading the program and comparing its bytes with the ELF.
    Checking,
    /// Creating the buffer account.
    CreatingBuffer,
    /// Writing the ELF into the buffer; `written` counts the bytes confirmed so far.
    Writing,
    /// Reading the buffer back.
    Verifying,
    /// Enlarging the ProgramData account by this many bytes before the upgrade.
    Extending(u32),
    /// Sending `DeployWithMaxDataLen`.
    Deploying,
    /// Sending `Upgrade`.
    Upgrading,
    /// Finished with this outcome.
    Done(DeployOutcome),
}

impl fmt::Display for DeployPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployPhase::Checking => f.write_str("comparing with the chain"),
            DeployPhase::CreatingBuffer => f.write_str("creating the buffer"),
            DeployPhase::Writing => f.write_str("writing the buffer"),
            DeployPhase::Verifying => f.write_str("verifying the buffer"),
            DeployPhase::Extending(n) => write!(f, "extending the program data by {n} bytes"),
            DeployPhase::Deploying => f.write_str("deploying"),
            DeployPhase::Upgrading => f.write_str("upgrading"),
            DeployPhase::Done(outcome) => write!(f, "{outcome}"),
        }
    }
}

/// A progress report of [`deploy_program`]: enough for a progress bar of the buffer writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeployProgress {
    /// The program being deployed.
    pub program: Pubkey,
    /// The current phase.
    pub phase: DeployPhase,
    /// ELF bytes confirmed written to the buffer (all of them once the buffer is verified,
    /// none for an unchanged program).
    pub written: usize,
    /// ELF size.
    pub total: usize,
}

/// How [`deploy_program`] sends.
#[derive(Clone, Copy, Debug)]
pub struct DeployOptions {
    /// Buffer writes in flight at once.
    pub concurrency: usize,
    /// Rounds of buffer writes (the first pass, the retries of failed chunks and the rewrites
    /// of chunks that read back wrong, together) before giving up.
    pub write_rounds: u32,
    /// How long to wait for the cluster to move to a later slot when the loader needs one (it
    /// refuses to extend or upgrade a program twice in one slot).
    pub slot_wait: Duration,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            concurrency: 16,
            write_rounds: 5,
            slot_wait: Duration::from_secs(60),
        }
    }
}

/// The report of one [`deploy_program`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramDeploy {
    /// The program.
    pub program_id: Pubkey,
    /// What was done.
    pub outcome: DeployOutcome,
    /// ELF size, bytes.
    pub elf_len: usize,
    /// The buffer used (`None` when unchanged).
    pub buffer: Option<Pubkey>,
    /// Buffer write transactions sent (one per chunk, plus one per retried chunk).
    pub write_transactions: usize,
    /// Bytes the ProgramData account was extended by before an upgrade (0: not extended).
    pub extended_by: u32,
    /// Wall time of the whole deploy.
    pub elapsed: Duration,
}

impl ProgramDeploy {
    /// This deploy as a migration [`Step`] (`program depin_staking`, `deployed`, address).
    pub fn step(&self) -> Step {
        Step {
            what: format!("program {}", program_name(&self.program_id.to_string())),
            status: self.outcome.as_str(),
            address: self.program_id,
        }
    }
}

/// Why a deploy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The RPC endpoint or a transaction failed (after [`DepinRpc`]'s retries).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The file is not something the loader would accept.
    #[error("not an SBF program: {0}")]
    InvalidElf(String),
    /// The program exists and another key may upgrade it.
    #[error(
        "program {program} has upgrade authority {on_chain}, so {ours} cannot upgrade it: sign \
         with {on_chain}'s keypair (-k), or have {on_chain} transfer the authority first"
    )]
    WrongAuthority {
        /// The program.
        program: Pubkey,
        /// Its upgrade authority on chain.
        on_chain: Pubkey,
        /// The authority this deploy was given.
        ours: Pubkey,
    },
    /// The program exists and has no upgrade authority any more.
    #[error(
        "program {program} is immutable (its upgrade authority was removed): it cannot be upgraded"
    )]
    Immutable {
        /// The program.
        program: Pubkey,
    },
    /// The program exists under another loader.
    #[error(
        "program {program} belongs to loader {owner}, not the upgradeable loader: it cannot be \
         upgraded by this tool"
    )]
    NotUpgradeable {
        /// The program.
        program: Pubkey,
        /// Its loader.
        owner: Pubkey,
    },
    /// Something that is not an upgradeable program occupies the program address.
    #[error("cannot deploy at {address}: it holds {what}")]
    AddressInUse {
        /// The program address.
        address: Pubkey,
        /// What is there.
        what: String,
    },
    /// A program keypair file holds another address than the program id expected.
    #[error("program keypair {} holds {found}, but the program id is {expected}", path.display())]
    KeypairMismatch {
        /// The keypair file.
        path: PathBuf,
        /// Its public key.
        found: Pubkey,
        /// The id the SDK (and the programs' `declare_id!`) expect.
        expected: Pubkey,
    },
    /// A program file or keypair could not be read.
    #[error("reading {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Some chunks could not be written (or kept reading back wrong).
    #[error(
        "writing buffer {buffer}: {chunks} chunk(s) still not written after {rounds} rounds \
         (last error: {last})"
    )]
    WriteFailed {
        /// The buffer.
        buffer: Pubkey,
        /// Chunks left.
        chunks: usize,
        /// Rounds tried.
        rounds: u32,
        /// The last failure.
        last: String,
    },
    /// The chain does not hold what was just written.
    #[error("{what} {address} does not hold the ELF after {after}")]
    Verification {
        /// `buffer` or `program`.
        what: &'static str,
        /// Its address.
        address: Pubkey,
        /// The step after which it was read.
        after: &'static str,
    },
    /// The cluster did not produce a new slot in time.
    #[error("the cluster did not move past slot {slot} within {waited:?}")]
    SlotStalled {
        /// The slot waited on.
        slot: u64,
        /// How long.
        waited: Duration,
    },
    /// A failure after the buffer was created, and what became of the buffer.
    #[error("{error} ({})", buffer_note(buffer, *reclaimed))]
    WithBuffer {
        /// The buffer.
        buffer: Pubkey,
        /// Whether it was closed and its rent returned to the payer.
        reclaimed: bool,
        /// The failure.
        error: Box<DeployError>,
    },
}

fn buffer_note(buffer: &Pubkey, reclaimed: bool) -> String {
    if reclaimed {
        format!("buffer {buffer} was closed and its rent returned")
    } else {
        format!(
            "buffer {buffer} is left open: reclaim its rent with `solana program close {buffer}`"
        )
    }
}

impl DeployError {
    /// The error itself, without the buffer note of [`DeployError::WithBuffer`].
    pub fn root(&self) -> &DeployError {
        match self {
            DeployError::WithBuffer { error, .. } => error.root(),
            other => other,
        }
    }
}

/// The largest chunk of program bytes one buffer-write transaction can carry, with `payer`
/// paying, `authority` signing the write, and `budget` (compute-budget instructions the
/// sender adds, see [`depin_client::rpc::SendOptions::budget_instructions`]) in front.
pub fn max_write_chunk(payer: &Pubkey, authority: &Pubkey, budget: &[Instruction]) -> usize {
    // Any address other than payer and authority stands for the buffer: only the number of
    // distinct keys matters for the size.
    let buffer = (0u8..=2)
        .map(|b| Pubkey::new_from_array([b; 32]))
        .find(|k| k != payer && k != authority)
        .expect("three distinct candidates, at most two excluded");
    let mut ixs = budget.to_vec();
    ixs.push(loader::write(&buffer, authority, 0, Vec::new()));
    let tx = Transaction::new_unsigned(Message::new(&ixs, Some(payer)));
    let empty = bincode::serialized_size(&tx).expect("a transaction serialises") as usize;
    // The write's data length is a compact-u16: one byte while it is under 128 (the empty
    // write's 16 bytes), two bytes for any chunk up to 16 KiB.
    PACKET_DATA_SIZE.saturating_sub(empty).saturating_sub(1)
}

/// Whether `code` (ProgramData bytes after the metadata) holds `elf`: the same bytes, then
/// only zero padding.
fn same_code(code: &[u8], elf: &[u8]) -> bool {
    code.len() >= elf.len()
        && code[..elf.len()] == *elf
        && code[elf.len()..].iter().all(|&b| b == 0)
}

/// The loader's basic checks on an ELF, so a wrong file fails before anything is paid.
fn check_elf(elf: &[u8]) -> Result<(), DeployError> {
    if elf.len() < 64 || !elf.starts_with(b"\x7fELF") {
        return Err(DeployError::InvalidElf(format!(
            "{} bytes without an ELF header",
            elf.len()
        )));
    }
    if elf.len() > MAX_ACCOUNT_LEN - PROGRAMDATA_HEADER {
        return Err(DeployError::InvalidElf(format!(
            "{} bytes: larger than the {} bytes a ProgramData account can hold",
            elf.len(),
            MAX_ACCOUNT_LEN - PROGRAMDATA_HEADER
        )));
    }
    Ok(())
}

/// An upgradeable program found on chain.
struct Existing {
    programdata: Pubkey,
    slot: u64,
    authority: Option<Pubkey>,
    /// ProgramData bytes after the metadata.
    code: Vec<u8>,
}

fn rpc_error(e: impl fmt::Display) -> DeployError {
    ClientError::Rpc(e.to_string()).into()
}

/// Owner, lamports and data of `address` at the client's commitment (`None`: no account).
async fn read_account(
    rpc: &DepinRpc,
    address: &Pubkey,
) -> Result<Option<(Pubkey, u64, Vec<u8>, bool)>, DeployError> {
    let account = rpc
        .rpc()
        .get_account_with_commitment(address, rpc.rpc().commitment())
        .await
        .map_err(rpc_error)?
        .value;
    Ok(account.map(|a| (a.owner, a.lamports, a.data, a.executable)))
}

/// The upgradeable program at `program_id`, if there is one.
async fn existing_program(
    rpc: &DepinRpc,
    program_id: &Pubkey,
) -> Result<Option<Existing>, DeployError> {
    let Some((owner, lamports, data, executable)) = read_account(rpc, program_id).await? else {
        return Ok(None);
    };
    if owner != bpf_loader_upgradeable::id() {
        return Err(if executable {
            DeployError::NotUpgradeable {
                program: *program_id,
                owner,
            }
        } else {
            DeployError::AddressInUse {
                address: *program_id,
                what: format!(
                    "an account of {owner} with {lamports} lamports and {} bytes of data",
                    data.len()
                ),
            }
        });
    }
    let programdata = match bincode::deserialize::<UpgradeableLoaderState>(&data) {
        Ok(UpgradeableLoaderState::Program {
            programdata_address,
        }) => programdata_address,
        Ok(other) => {
            return Err(DeployError::AddressInUse {
                address: *program_id,
                what: format!("an upgradeable-loader account that is not a program ({other:?})"),
            })
        }
        Err(e) => {
            return Err(DeployError::AddressInUse {
                address: *program_id,
                what: format!("an undecodable upgradeable-loader account ({e})"),
            })
        }
    };
    let closed = || DeployError::AddressInUse {
        address: *program_id,
        what: format!(
            "a closed program (its ProgramData {programdata} is gone): a closed program id \
             cannot be reused"
        ),
    };
    let Some((pd_owner, _, pd_data, _)) = read_account(rpc, &programdata).await? else {
        return Err(closed());
    };
    if pd_owner != bpf_loader_upgradeable::id() || pd_data.len() < PROGRAMDATA_HEADER {
        return Err(closed());
    }
    match bincode::deserialize::<UpgradeableLoaderState>(&pd_data) {
        Ok(UpgradeableLoaderState::ProgramData {
            slot,
            upgrade_authority_address,
        }) => Ok(Some(Existing {
            programdata,
            slot,
            authority: upgrade_authority_address,
            code: pd_data[PROGRAMDATA_HEADER..].to_vec(),
        })),
        _ => Err(closed()),
    }
}

/// Wait until the cluster processes slots after `slot`.
async fn wait_slot_after(rpc: &DepinRpc, slot: u64, timeout: Duration) -> Result<(), DeployError> {
    let started = Instant::now();
    loop {
        let now = rpc
            .rpc()
            .get_slot_with_commitment(CommitmentConfig::processed())
            .await
            .map_err(rpc_error)?;
        if now > slot {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(DeployError::SlotStalled {
                slot,
                waited: timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A chunk of the ELF: (offset, length).
type Chunk = (usize, usize);

/// The signers and sizes a buffer upload works with.
struct Upload<'a> {
    rpc: &'a DepinRpc,
    payer: &'a Keypair,
    authority: &'a Keypair,
    buffer: Pubkey,
    program: Pubkey,
    elf: &'a [u8],
    options: &'a DeployOptions,
    progress: &'a (dyn Fn(&DeployProgress) + Sync),
}

impl Upload<'_> {
    fn report(&self, phase: DeployPhase, written: usize) {
        (self.progress)(&DeployProgress {
            program: self.program,
            phase,
            written,
            total: self.elf.len(),
        });
    }

    /// Write the whole ELF, read it back, rewrite what differs; returns the transactions sent.
    async fn write_all(&self) -> Result<usize, DeployError> {
        let budget = self.rpc.send_options().budget_instructions();
        let chunk = max_write_chunk(&self.payer.pubkey(), &self.authority.pubkey(), &budget);
        let mut pending: Vec<Chunk> = (0..self.elf.len())
            .step_by(chunk)
            .map(|offset| (offset, chunk.min(self.elf.len() - offset)))
            .collect();
        let mut written = 0usize;
        let mut sent = 0usize;
        let mut last = String::from("none");
        let mut rounds = 0u32;
        loop {
            if pending.is_empty() {
                self.report(DeployPhase::Verifying, written);
                pending = self.mismatched(chunk).await?;
                if pending.is_empty() {
                    return Ok(sent);
                }
                last = format!("{} chunk(s) read back wrong", pending.len());
                written -= pending.iter().map(|(_, len)| len).sum::<usize>();
            }
            if rounds == self.options.write_rounds.max(1) {
                return Err(DeployError::WriteFailed {
                    buffer: self.buffer,
                    chunks: pending.len(),
                    rounds,
                    last,
                });
            }
            rounds += 1;
            self.report(DeployPhase::Writing, written);
            let mut failed = Vec::new();
            let mut writes = stream::iter(std::mem::take(&mut pending))
                .map(|(offset, len)| async move {
                    let ix = loader::write(
                        &self.buffer,
                        &self.authority.pubkey(),
                        offset as u32,
                        self.elf[offset..offset + len].to_vec(),
                    );
                    let result = self.rpc.send(self.payer, &[ix], &[self.authority]).await;
                    ((offset, len), result)
                })
                .buffer_unordered(self.options.concurrency.max(1));
            while let Some((chunk, result)) = writes.next().await {
                sent += 1;
                match result {
                    Ok(_) => {
                        written += chunk.1;
                        self.report(DeployPhase::Writing, written);
                    }
                    Err(e) => {
                        last = e.to_string();
                        failed.push(chunk);
                    }
                }
            }
            pending = failed;
        }
    }

    /// The chunks of the buffer that do not hold the ELF's bytes.
    async fn mismatched(&self, chunk: usize) -> Result<Vec<Chunk>, DeployError> {
        let Some((_, _, data, _)) = read_account(self.rpc, &self.buffer).await? else {
            return Err(DeployError::Verification {
                what: "buffer",
                address: self.buffer,
                after: "writing (the account is gone)",
            });
        };
        let ours = Some(self.authority.pubkey());
        match bincode::deserialize::<UpgradeableLoaderState>(&data) {
            Ok(UpgradeableLoaderState::Buffer { authority_address })
                if authority_address == ours && data.len() == BUFFER_HEADER + self.elf.len() => {}
            _ => {
                return Err(DeployError::Verification {
                    what: "buffer",
                    address: self.buffer,
                    after: "writing (not a buffer of this size and authority)",
                })
            }
        }
        let on_chain = &data[BUFFER_HEADER..];
        Ok((0..self.elf.len())
            .step_by(chunk)
            .map(|offset| (offset, chunk.min(self.elf.len() - offset)))
            .filter(|&(offset, len)| {
                on_chain[offset..offset + len] != self.elf[offset..offset + len]
            })
            .collect())
    }
}

/// Deploy `elf` at `program`'s address through the upgradeable loader, or upgrade the program
/// there, or do nothing when it already holds `elf` (see the module documentation).
///
/// `payer` pays the fees and the rent of the buffer, the ProgramData account and any
/// extension; `upgrade_authority` owns the buffer and becomes (for a new program) or must be
/// (for an existing one) the program's upgrade authority. `program` signs only a first
/// deploy. An unchanged program is reported as such whoever its authority is.
pub async fn deploy_program(
    rpc: &DepinRpc,
    payer: &Keypair,
    upgrade_authority: &Keypair,
    program: &Keypair,
    elf: &[u8],
    options: &DeployOptions,
    progress: &(dyn Fn(&DeployProgress) + Sync),
) -> Result<ProgramDeploy, DeployError> {
    let started = Instant::now();
    let program_id = program.pubkey();
    let report = |phase, written| {
        progress(&DeployProgress {
            program: program_id,
            phase,
            written,
            total: elf.len(),
        })
    };
    check_elf(elf)?;
    report(DeployPhase::Checking, 0);
    let existing = existing_program(rpc, &program_id).await?;
    if let Some(existing) = &existing {
        if same_code(&existing.code, elf) {
            report(DeployPhase::Done(DeployOutcome::Unchanged), 0);
            return Ok(ProgramDeploy {
                program_id,
                outcome: DeployOutcome::Unchanged,
                elf_len: elf.len(),
                buffer: None,
                write_transactions: 0,
                extended_by: 0,
                elapsed: started.elapsed(),
            });
        }
        match existing.authority {
            None => {
                return Err(DeployError::Immutable {
                    program: program_id,
                })
            }
            Some(on_chain) if on_chain != upgrade_authority.pubkey() => {
                return Err(DeployError::WrongAuthority {
                    program: program_id,
                    on_chain,
                    ours: upgrade_authority.pubkey(),
                })
            }
            Some(_) => {}
        }
    }

    report(DeployPhase::CreatingBuffer, 0);
    let buffer = Keypair::new();
    let rent = rpc
        .rpc()
        .get_minimum_balance_for_rent_exemption(UpgradeableLoaderState::size_of_buffer(elf.len()))
        .await
        .map_err(rpc_error)?;
    let create = loader::create_buffer(
        &payer.pubkey(),
        &buffer.pubkey(),
        &upgrade_authority.pubkey(),
        rent,
        elf.len(),
    )
    .map_err(|e| DeployError::InvalidElf(format!("buffer instructions: {e}")))?;
    rpc.send(payer, &create, &[&buffer, upgrade_authority])
        .await?;

    let upload = Upload {
        rpc,
        payer,
        authority: upgrade_authority,
        buffer: buffer.pubkey(),
        program: program_id,
        elf,
        options,
        progress,
    };
    let mut extended_by = 0;
    let finished = async {
        let write_transactions = upload.write_all().await?;
        let outcome = match &existing {
            None => {
                report(DeployPhase::Deploying, elf.len());
                let lamports = rpc
                    .rpc()
                    .get_minimum_balance_for_rent_exemption(
                        UpgradeableLoaderState::size_of_program(),
                    )
                    .await
                    .map_err(rpc_error)?;
                let ixs = loader::deploy_with_max_program_len(
                    &payer.pubkey(),
                    &program_id,
                    &buffer.pubkey(),
                    &upgrade_authority.pubkey(),
                    lamports,
                    elf.len(),
                )
                .map_err(|e| DeployError::InvalidElf(format!("deploy instructions: {e}")))?;
                rpc.send(payer, &ixs, &[program, upgrade_authority]).await?;
                DeployOutcome::Deployed
            }
            Some(existing) => {
                let mut slot = existing.slot;
                if elf.len() > existing.code.len() {
                    // The loader wants at least MINIMUM_EXTEND_PROGRAM_BYTES per extension
                    // (SIMD-0431) unless that would pass the account size limit.
                    let headroom = MAX_ACCOUNT_LEN - PROGRAMDATA_HEADER - existing.code.len();
                    let additional = (elf.len() - existing.code.len())
                        .max(MINIMUM_EXTEND_PROGRAM_BYTES as usize)
                        .min(headroom) as u32;
                    report(DeployPhase::Extending(additional), elf.len());
                    wait_slot_after(rpc, slot, options.slot_wait).await?;
                    rpc.send(
                        payer,
                        &[loader::extend_program(
                            &program_id,
                            Some(&payer.pubkey()),
                            additional,
                        )],
                        &[],
                    )
                    .await?;
                    extended_by = additional;
                    slot = match existing_program(rpc, &program_id).await? {
                        Some(now) => now.slot,
                        None => slot,
                    };
                }
                report(DeployPhase::Upgrading, elf.len());
                wait_slot_after(rpc, slot, options.slot_wait).await?;
                rpc.send(
                    payer,
                    &[loader::upgrade(
                        &program_id,
                        &buffer.pubkey(),
                        &upgrade_authority.pubkey(),
                        &payer.pubkey(),
                    )],
                    &[upgrade_authority],
                )
                .await?;
                DeployOutcome::Upgraded
            }
        };
        Ok::<_, DeployError>((outcome, write_transactions))
    }
    .await;
    let (outcome, write_transactions) = match finished {
        Ok(done) => done,
        Err(error) => {
            // The buffer is still ours unless the deploy or upgrade consumed it.
            let close = loader::close(
                &buffer.pubkey(),
                &payer.pubkey(),
                &upgrade_authority.pubkey(),
            );
            let reclaimed = rpc
                .send(payer, &[close], &[upgrade_authority])
                .await
                .is_ok();
            return Err(DeployError::WithBuffer {
                buffer: buffer.pubkey(),
                reclaimed,
                error: Box::new(error),
            });
        }
    };

    match existing_program(rpc, &program_id).await? {
        Some(now) if same_code(&now.code, elf) => {
            debug_assert_eq!(now.programdata, get_program_data_address(&program_id));
        }
        _ => {
            return Err(DeployError::Verification {
                what: "program",
                address: program_id,
                after: outcome.as_str(),
            })
        }
    }
    report(DeployPhase::Done(outcome), elf.len());
    Ok(ProgramDeploy {
        program_id,
        outcome,
        elf_len: elf.len(),
        buffer: Some(buffer.pubkey()),
        write_transactions,
        extended_by,
        elapsed: started.elapsed(),
    })
}

/// One program of a `target/deploy` folder: its ELF and keypair files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramFiles {
    /// `depin_staking` or `depin_jobs`.
    pub name: &'static str,
    /// The id the SDK expects (`declare_id!`).
    pub program_id: Pubkey,
    /// `<dir>/<name>.so`.
    pub elf: PathBuf,
    /// `<dir>/<name>-keypair.json`.
    pub keypair: PathBuf,
}

impl ProgramFiles {
    /// Both programs in `dir`, staking first (the jobs program calls it).
    pub fn in_dir(dir: &Path) -> [ProgramFiles; 2] {
        [
            ("depin_staking", depin_client::STAKING_PROGRAM_ID),
            ("depin_jobs", depin_client::JOBS_PROGRAM_ID),
        ]
        .map(|(name, program_id)| ProgramFiles {
            name,
            program_id,
            elf: dir.join(format!("{name}.so")),
            keypair: dir.join(format!("{name}-keypair.json")),
        })
    }

    /// The program keypair (refused unless it holds [`Self::program_id`]) and the ELF.
    pub fn load(&self) -> Result<(Keypair, Vec<u8>), DeployError> {
        let keypair = solana_sdk::signature::read_keypair_file(&self.keypair).map_err(|e| {
            DeployError::Read {
                path: self.keypair.clone(),
                reason: e.to_string(),
            }
        })?;
        if keypair.pubkey() != self.program_id {
            return Err(DeployError::KeypairMismatch {
                path: self.keypair.clone(),
                found: keypair.pubkey(),
                expected: self.program_id,
            });
        }
        let elf = std::fs::read(&self.elf).map_err(|e| DeployError::Read {
            path: self.elf.clone(),
            reason: e.to_string(),
        })?;
        Ok((keypair, elf))
    }
}

/// Deploy (or upgrade, or leave unchanged) both depin-compute programs from `dir` (a
/// `target/deploy` folder: `depin_staking.so`, `depin_jobs.so` and their
/// `<name>-keypair.json`), `admin` paying and being the upgrade authority. Both files are
/// loaded and checked before anything is sent. Returns one report per program, staking first.
pub async fn deploy_all(
    rpc: &DepinRpc,
    admin: &Keypair,
    dir: &Path,
    options: &DeployOptions,
    progress: &(dyn Fn(&ProgramFiles, &DeployProgress) + Sync),
) -> anyhow::Result<Vec<ProgramDeploy>> {
    let programs = ProgramFiles::in_dir(dir)
        .into_iter()
        .map(|files| {
            let loaded = files
                .load()
                .with_context(|| format!("program {}", files.name))?;
            Ok((files, loaded))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut reports = Vec::new();
    for (files, (keypair, elf)) in &programs {
        let report = deploy_program(rpc, admin, admin, keypair, elf, options, &|p| {
            progress(files, p)
        })
        .await
        .with_context(|| format!("deploying {} from {}", files.name, files.elf.display()))?;
        reports.push(report);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depin_client::rpc::SendOptions;

    fn write_tx_len(payer: &Pubkey, authority: &Pubkey, budget: &[Instruction], n: usize) -> usize {
        let mut ixs = budget.to_vec();
        ixs.push(loader::write(
            &Pubkey::new_from_array([9; 32]),
            authority,
            u32::MAX,
            vec![0xAB; n],
        ));
        let tx = Transaction::new_unsigned(Message::new(&ixs, Some(payer)));
        bincode::serialized_size(&tx).unwrap() as usize
    }

    #[test]
    fn the_largest_chunk_exactly_fills_a_packet() {
        let (a, b) = (
            Pubkey::new_from_array([7; 32]),
            Pubkey::new_from_array([8; 32]),
        );
        let fees = SendOptions {
            priority_fee_micro_lamports: 1,
            compute_unit_limit: Some(10_000),
            ..SendOptions::default()
        }
        .budget_instructions();
        for (payer, authority, budget) in [
            (a, a, &[][..]),
            (a, b, &[][..]),
            (a, a, &fees[..]),
            (a, b, &fees[..]),
        ] {
            let chunk = max_write_chunk(&payer, &authority, budget);
            assert_eq!(
                write_tx_len(&payer, &authority, budget, chunk),
                PACKET_DATA_SIZE
            );
            assert!(write_tx_len(&payer, &authority, budget, chunk + 1) > PACKET_DATA_SIZE);
        }
        // One signer, three keys (payer = authority, buffer, loader): 1232 - 219 - 1.
        assert_eq!(max_write_chunk(&a, &a, &[]), 1012);
    }

    #[test]
    fn code_comparison_ignores_only_zero_padding() {
        let elf = b"\x7fELF-program";
        assert!(same_code(elf, elf));
        assert!(same_code(&[&elf[..], &[0; 8]].concat(), elf));
        assert!(!same_code(&[&elf[..], &[0, 1]].concat(), elf));
        assert!(!same_code(&elf[..4], elf));
        assert!(!same_code(b"\x7fELF-progrXm", elf));
    }

    #[test]
    fn elf_checks() {
        assert!(matches!(
            check_elf(b"nope"),
            Err(DeployError::InvalidElf(_))
        ));
        let mut elf = vec![0u8; 128];
        elf[..4].copy_from_slice(b"\x7fELF");
        assert!(check_elf(&elf).is_ok());
        elf.resize(MAX_ACCOUNT_LEN, 0);
        assert!(matches!(check_elf(&elf), Err(DeployError::InvalidElf(_))));
    }

    #[test]
    fn program_files_and_keypair_check() {
        let dir = std::env::temp_dir().join(format!("depin-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let [staking, jobs] = ProgramFiles::in_dir(&dir);
        assert_eq!(staking.elf, dir.join("depin_staking.so"));
        assert_eq!(jobs.keypair, dir.join("depin_jobs-keypair.json"));
        let wrong = Keypair::new();
        solana_sdk::signature::write_keypair_file(&wrong, &staking.keypair).unwrap();
        match staking.load() {
            Err(DeployError::KeypairMismatch {
                found, expected, ..
            }) => assert_eq!((found, expected), (wrong.pubkey(), staking.program_id)),
            other => panic!("{other:?}"),
        }
        let message = staking.load().unwrap_err().to_string();
        assert!(message.contains(&wrong.pubkey().to_string()), "{message}");
        assert!(
            message.contains(&staking.program_id.to_string()),
            "{message}"
        );
        assert!(matches!(jobs.load(), Err(DeployError::Read { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
