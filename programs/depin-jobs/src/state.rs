//! Accounts of the jobs program. Sizes are pinned to `depin_core::limits` at compile time.

use anchor_lang::prelude::*;
use depin_core::{
    governance::{self, Rates},
    limits,
    settle::{self, Progress, Terms, Verdict},
};

use crate::errors::JobsError;

/// Who may create markets: PDA `["config"]`, set once by the program's upgrade authority, so
/// a stranger cannot create a market first and choose its admin and rates.
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    /// Signs `initialize_market`; may hand the role over (`set_config_authority`).
    pub authority: Pubkey,
    /// Canonical bump of the config PDA.
    pub bump: u8,
}

/// Settings of a market (also used by `update_market`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
pub struct MarketConfig {
    /// Distinguishes markets of the same payment mint (CPU, GPU, big-memory...).
    pub market_id: u64,
    /// Protocol fee on each payout, basis points (at most `limits::MAX_FEE_BPS`).
    pub fee_bps: u16,
    /// Smallest bond per replica a job may ask for.
    pub min_bond: u64,
    /// Claim window, seconds (1 ..= `limits::MAX_WINDOW_SECS`).
    pub claim_window_secs: u32,
    /// Execution (commit) window, seconds (`limits::MIN_EXECUTION_WINDOW_SECS` ..=
    /// `limits::MAX_WINDOW_SECS`).
    pub execution_window_secs: u32,
    /// Reveal window, seconds (1 ..= `limits::MAX_WINDOW_SECS`).
    pub reveal_window_secs: u32,
    /// Most replicas per job, 1 ..= 7 (jobs ask for an odd number).
    pub max_replicas: u8,
    /// Slash for a losing result, basis points of the bond (at most 10 000).
    pub slash_wrong_bps: u16,
    /// Slash for a no-show, basis points of the bond (at most 10 000).
    pub slash_noshow_bps: u16,
    /// Penalty for abandoning a slot, basis points of the bond (at most the no-show slash).
    pub abandon_penalty_bps: u16,
    /// When set, only providers the admin accredited (`Accreditation`) may claim the jobs
    /// posted while it is set (a regulated market: accredited institutions of one
    /// jurisdiction, say). Jobs keep the flag they were posted with.
    pub allow_list: bool,
}

impl MarketConfig {
    /// The four rates.
    pub fn rates(&self) -> Rates {
        Rates {
            fee_bps: self.fee_bps,
            slash_wrong_bps: self.slash_wrong_bps,
            slash_noshow_bps: self.slash_noshow_bps,
            abandon_penalty_bps: self.abandon_penalty_bps,
        }
    }

    /// Check every field's range and the rate caps of `depin_core::governance`.
    pub fn check(&self) -> Result<()> {
        self.rates().check().map_err(JobsError::from)?;
        governance::check_windows(
            self.claim_window_secs,
            self.execution_window_secs,
            self.reveal_window_secs,
        )
        .map_err(JobsError::from)?;
        require!(
            (1..=limits::MAX_REPLICAS).contains(&self.max_replicas),
            JobsError::InvalidMaxReplicas
        );
        require!(self.min_bond > 0, JobsError::InvalidMinBond);
        Ok(())
    }

    /// The notice a rate increase needs while this config binds new jobs.
    pub fn notice_secs(&self) -> i64 {
        governance::notice_secs(
            self.claim_window_secs,
            self.execution_window_secs,
            self.reveal_window_secs,
        )
    }
}

/// A marketplace for one payment mint: PDA `["market", payment_mint, market_id_le]`.
/// Jobs read it but never write it, so posting jobs does not serialise on the market.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    /// May change settings, pause the market and withdraw accrued fees.
    pub admin: Pubkey,
    /// Mint in which requesters pay rewards.
    pub payment_mint: Pubkey,
    /// `depin_staking` pool whose providers may claim jobs here.
    pub staking_pool: Pubkey,
    /// Token account PDA `["fee_vault", market]` (authority: this market) where `close_job`
    /// accrues protocol fees; the admin withdraws from it. The admin cannot close or redirect
    /// it, so fees can never block a job's close and refund.
    pub fee_vault: Pubkey,
    /// The settings that bind jobs posted now (unless `pending_at` has passed).
    pub config: MarketConfig,
    /// Announced settings that raise a rate; they bind jobs posted from `pending_at` on.
    pub pending_config: MarketConfig,
    /// Unix time from which `pending_config` binds new jobs (0: nothing pending).
    pub pending_at: i64,
    /// When set, no new jobs or claims; running jobs still settle.
    pub paused: bool,
    /// Canonical bump of the market PDA.
    pub bump: u8,
    /// Canonical bump of this program's `["slasher"]` PDA, used to sign staking CPIs.
    pub slasher_bump: u8,
    /// Canonical bump of the fee vault PDA.
    pub fee_vault_bump: u8,
}

impl Market {
    /// The settings a job posted at `now` gets: the pending ones once their notice has run out.
    pub fn effective_config(&self, now: i64) -> &MarketConfig {
        if governance::pending_binds(self.pending_at, now) {
            &self.pending_config
        } else {
            &self.config
        }
    }
}

/// A provider the admin of an allow-listed market admits: PDA `["accredited", market,
/// provider]`. Its existence is the admission; closing it (`revoke_accreditation`) ends it for
/// new claims (slots already held run to their end).
#[account]
#[derive(InitSpace, Debug)]
pub struct Accreditation {
    /// The market it admits to.
    pub market: Pubkey,
    /// The admitted `depin_staking` provider account.
    pub provider: Pubkey,
    /// Unix time of the accreditation.
    pub accredited_at: i64,
    /// Canonical bump of the accreditation PDA.
    pub bump: u8,
}

const _: () = assert!(Accreditation::INIT_SPACE == limits::ACCREDITATION_SIZE);
const _: () = assert!(Config::INIT_SPACE == limits::CONFIG_SIZE);
const _: () = assert!(Market::INIT_SPACE == limits::MARKET_SIZE);
const _: () = assert!(MarketConfig::INIT_SPACE == limits::MARKET_CONFIG_SIZE);

/// `Job::status` values.
pub mod job_status {
    /// Posted; slots can be claimed until `claim_deadline`.
    pub const OPEN: u8 = 0;
    /// Outcome recorded (`Job::outcome`); held slots are being released one by one, then
    /// `close_job` pays the fees, refunds the rest and closes the job.
    pub const SETTLED: u8 = 1;
}

/// `Slot::state` values.
pub mod slot_state {
    /// Never claimed, or given back.
    pub const FREE: u8 = 0;
    /// Claimed; the provider's bond is locked.
    pub const CLAIMED: u8 = 1;
    /// Commitment recorded.
    pub const COMMITTED: u8 = 2;
    /// Result hash revealed (checked against the commitment).
    pub const REVEALED: u8 = 3;
}

/// One replica of a job (zero-copy).
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct Slot {
    /// `depin_staking` provider account holding the slot (default while free).
    pub provider: Pubkey,
    /// `depin_core::hash::commitment` of the provider's result (zero until committed).
    pub commitment: [u8; 32],
    /// Revealed result hash (zero until revealed).
    pub result_hash: [u8; 32],
    /// One entry of the job's list of providers that gave a slot of it back (`abandon_job`)
    /// or lost one for missing its deadline (`reclaim_slot`); they may not claim this job
    /// again. The list is these fields of all `MAX_REPLICAS` slots (not only the used ones),
    /// filled first free first (`Job::remember_abandon`), so one provider giving back does not
    /// erase another's record; kept when the slot is claimed again.
    pub abandoned_by: Pubkey,
    /// Unix time of the claim.
    pub claimed_at: i64,
    /// `depin_core::sortition::score` of the holder's claim (lower ranks better);
    /// `sortition::OPEN_SCORE` for a claim made in the open phase.
    pub score: u64,
    /// Private jobs: unix time the requester delivered this holder's key envelope (0: not
    /// delivered).
    pub key_at: i64,
    /// One of [`slot_state`].
    pub state: u8,
    /// Length of `result_uri`.
    pub result_uri_len: u8,
    /// Set once settlement has paid / released / slashed this slot (after `settle_job` or
    /// `expire_job`).
    pub released: u8,
    /// Explicit padding (keeps the layout free of implicit padding).
    pub _pad: [u8; 5],
    /// Where the provider published the output (first `result_uri_len` bytes).
    pub result_uri: [u8; limits::MAX_URI_LEN],
    /// Private jobs: the job secret sealed to the holder's operator key (a libsodium sealed
    /// box, `limits::ENVELOPE_LEN` bytes; zero until `key_at`).
    pub envelope: [u8; limits::ENVELOPE_LEN],
}

/// A job: PDA `["job", market, requester, nonce_le]`, with its escrow token account at an
/// address the requester generated (authority: the job). Zero-copy, because it carries eight slots: decoding
/// and re-encoding 2.5 KB with Borsh on every instruction would cost more compute than the
/// instruction itself. The market's economic settings are copied in at posting, so
/// `update_market` never changes the terms of a posted job.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Job {
    /// Market the job was posted in.
    pub market: Pubkey,
    /// Wallet that posted and paid; receives refunds and the rent.
    pub requester: Pubkey,
    /// The job's escrow token account, created by `post_job` at a fresh keypair's address
    /// (jobs posted before that change have it at the PDA `["escrow", job]`); every later
    /// instruction checks it by this address.
    pub escrow: Pubkey,
    /// sha256 of the manifest bytes.
    pub spec_hash: [u8; 32],
    /// The result hash the quorum agreed on (zero until settled with `outcome::AGREED`).
    pub agreed_hash: [u8; 32],
    /// Private jobs: `depin_core::hash::key_commitment` of the job secret, which the requester
    /// delivers to each claimant in its slot's envelope (all zero: a public job).
    pub key_commitment: [u8; 32],
    /// Requester-chosen nonce that makes the address unique.
    pub nonce: u64,
    /// Reward per replica, in payment-mint units (the protocol fee is taken from it).
    pub reward_per_replica: u64,
    /// Stake each claimant locks, in stake-mint units.
    pub bond: u64,
    /// Tokens deposited into escrow at posting (`reward_per_replica * replicas`).
    pub deposited: u64,
    /// Tokens paid out of escrow to winners so far.
    pub paid: u64,
    /// Protocol fees accrued by released winners, paid to the market treasury at close.
    pub fees: u64,
    /// Slot whose hash (the first produced slot at or after it, from the SlotHashes sysvar)
    /// seeds the assignment lottery: `depin_core::sortition::SEED_DELAY_SLOTS` after posting.
    pub seed_slot: u64,
    /// Until this slot, only providers the lottery made eligible may claim, ranked by score;
    /// from it on, free slots go first come (`depin_core::sortition`). Commitments are
    /// accepted only from this slot on, so no holder starts work it could lose.
    pub ranked_until_slot: u64,
    /// Unix time of posting.
    pub created_at: i64,
    /// Claims are accepted before this time.
    pub claim_deadline: i64,
    /// Commitments are accepted before this time.
    pub commit_deadline: i64,
    /// Reveals are accepted before this time.
    pub reveal_deadline: i64,
    /// Unix time of settlement or expiry (0 while open).
    pub settled_at: i64,
    /// Fee on each payout, basis points (snapshot of the market).
    pub fee_bps: u16,
    /// Slash for a losing result, basis points of the bond (snapshot).
    pub slash_wrong_bps: u16,
    /// Slash for a no-show, basis points of the bond (snapshot).
    pub slash_noshow_bps: u16,
    /// Penalty for abandoning a slot, basis points of the bond (snapshot).
    pub abandon_penalty_bps: u16,
    /// Number of replicas (1 ..= 8).
    pub replicas: u8,
    /// Equal results needed to settle: a strict majority, set by the protocol
    /// (`depin_core::settle::quorum_for`), never by the requester.
    pub quorum: u8,
    /// One of [`job_status`].
    pub status: u8,
    /// Slots currently held (state other than free).
    pub claimed: u8,
    /// Slots committed (or revealed).
    pub committed: u8,
    /// Slots revealed.
    pub revealed: u8,
    /// Held slots settlement has released (paid / unlocked / slashed).
    pub released: u8,
    /// Members of the winning group (0 unless `outcome::AGREED`).
    pub winners: u8,
    /// One of `depin_core::settle::outcome` (`NONE` while open).
    pub outcome: u8,
    /// Canonical bump of the job PDA.
    pub bump: u8,
    /// Unused, 0. (Jobs posted before the escrow moved to a requester-generated address kept
    /// the bump of their escrow PDA here; nothing reads it.)
    pub reserved: u8,
    /// Length of `spec_uri`.
    pub spec_uri_len: u8,
    /// Set once `claimed` has reached `quorum`: from then on the job settles (and pays its
    /// revealers) even if slots are given back later, instead of expiring.
    pub quorum_reached: u8,
    /// Set when the market was allow-listed at posting: only accredited providers may claim.
    pub allow_list: u8,
    /// Private jobs: slots given back or reclaimed free because their key never came or was
    /// refused (saturating). While non-zero no wrong result of the job is slashed: a requester
    /// that chooses who gets keys could otherwise steer who computes and have an honest
    /// minority slashed (`Job::verdict`).
    pub key_failures: u8,
    /// Explicit padding.
    pub _pad: [u8; 1],
    /// Where the manifest can be fetched (first `spec_uri_len` bytes).
    pub spec_uri: [u8; limits::MAX_URI_LEN],
    /// The replicas' slots; only the first `replicas` are used.
    pub slots: [Slot; limits::MAX_REPLICAS as usize],
}

impl Job {
    /// Index of the slot held by `provider`, if any.
    pub fn slot_of(&self, provider: &Pubkey) -> Option<usize> {
        self.slots[..self.replicas as usize]
            .iter()
            .position(|s| s.state != slot_state::FREE && s.provider == *provider)
    }

    /// Index of the first free slot, if any.
    pub fn free_slot(&self) -> Option<usize> {
        self.slots[..self.replicas as usize]
            .iter()
            .position(|s| s.state == slot_state::FREE)
    }

    /// The execution window: how long a claimant has from its claim to commit (or submit).
    pub fn execution_window(&self) -> i64 {
        self.commit_deadline - self.claim_deadline // both fixed at posting, commit >= claim
    }

    /// The time by which the holder of `slot` must commit: its claim time plus the execution
    /// window (never later than `commit_deadline`, since claims end at `claim_deadline`).
    pub fn slot_deadline(&self, slot: usize) -> i64 {
        self.slots[slot].claimed_at + self.execution_window()
    }

    /// The slot `provider` holds, if the job is open, the slot is claimed but not yet committed
    /// and `now` is before its deadline: the precondition shared by `commit_result`,
    /// `submit_result` and `abandon_job`.
    pub fn uncommitted_slot_of(&self, provider: &Pubkey, now: i64) -> Result<usize> {
        require!(self.status == job_status::OPEN, JobsError::JobNotOpen);
        require!(now < self.commit_deadline, JobsError::CommitWindowClosed);
        let slot = self.slot_of(provider).ok_or(JobsError::NotSlotHolder)?;
        require!(
            self.slots[slot].state == slot_state::CLAIMED,
            JobsError::AlreadyCommitted
        );
        require!(
            now < self.slot_deadline(slot),
            JobsError::CommitWindowClosed
        );
        Ok(slot)
    }

    /// Whether the claim window ended without the job ever having a quorum of claimants
    /// (`expire_job` applies). A job that once had one settles instead, so giving slots back
    /// after honest providers committed can never void their work.
    pub fn expirable(&self, now: i64) -> bool {
        now >= self.claim_deadline && self.quorum_reached == 0
    }

    /// Whether claims at chain slot `slot` are in the ranked phase (`depin_core::sortition`).
    pub fn ranked_phase(&self, slot: u64) -> bool {
        slot < self.ranked_until_slot
    }

    /// Whether `provider` gave a slot of this job back before (it may not claim again).
    pub fn abandoned_by(&self, provider: &Pubkey) -> bool {
        self.slots.iter().any(|s| s.abandoned_by == *provider)
    }

    /// The held slot with the worst (highest) score: the one a better-ranked claim displaces.
    pub fn worst_ranked_slot(&self) -> Option<usize> {
        let mut worst: Option<usize> = None;
        for (i, s) in self.slots[..self.replicas as usize].iter().enumerate() {
            if s.state != slot_state::FREE && worst.map_or(true, |w| s.score > self.slots[w].score)
            {
                worst = Some(i);
            }
        }
        worst
    }

    /// Give `slot` to `provider`, claimed at `now` with `score`; the slot's abandon record
    /// stays, a displaced holder's key envelope does not.
    pub fn take_slot(&mut self, slot: usize, provider: &Pubkey, now: i64, score: u64) {
        let s = &mut self.slots[slot];
        s.provider = *provider;
        s.state = slot_state::CLAIMED;
        s.claimed_at = now;
        s.score = score;
        s.key_at = 0;
        s.envelope = [0; limits::ENVELOPE_LEN];
    }

    /// Whether this is a private job (its input is sealed; claimants get the key from the
    /// requester, one envelope per slot).
    pub fn is_private(&self) -> bool {
        self.key_commitment != [0; 32]
    }

    /// The time by which the requester must deliver the key of private `slot`
    /// (`depin_core::settle::key_window_secs` after the claim).
    pub fn key_deadline(&self, slot: usize) -> i64 {
        self.slots[slot].claimed_at + settle::key_window_secs(self.execution_window())
    }

    /// Whether held `slot` of a private job never got its key and can no longer get it: its
    /// holder could not run anything and owes nothing.
    pub fn key_withheld(&self, slot: usize, now: i64) -> bool {
        self.is_private() && self.slots[slot].key_at == 0 && now >= self.key_deadline(slot)
    }

    /// Whether the holder of private `slot` may still refuse the key it was sent (one that
    /// does not open or does not match the job's key commitment, or a sealed module it could
    /// not compile in time): within the key window after its delivery.
    pub fn key_refusable(&self, slot: usize, now: i64) -> bool {
        let s = &self.slots[slot];
        let window = settle::key_window_secs(self.execution_window());
        self.is_private() && s.key_at != 0 && now < s.key_at + window
    }

    /// Free held `slot`, remembering its holder so it cannot claim this job again;
    /// `claimed -= 1`.
    pub fn give_back(&mut self, slot: usize) {
        let holder = self.slots[slot].provider;
        let record = self.slots[slot].abandoned_by;
        self.slots[slot] = <Slot as bytemuck::Zeroable>::zeroed();
        self.slots[slot].abandoned_by = record;
        self.remember_abandon(slot, &holder);
        self.claimed -= 1; // the slot was held
    }

    /// Add `provider` to the job's abandon list: the first empty entry, or (all seven taken)
    /// the entry of `slot`.
    pub fn remember_abandon(&mut self, slot: usize, provider: &Pubkey) {
        let at = self
            .slots
            .iter()
            .position(|s| s.abandoned_by == Pubkey::default())
            .unwrap_or(slot);
        self.slots[at].abandoned_by = *provider;
    }

    /// Count a slot given back or reclaimed free for want of a usable key.
    pub fn count_key_failure(&mut self) {
        self.key_failures = self.key_failures.saturating_add(1);
    }

    /// The rate (basis points of the bond) that abandoning held, uncommitted `slot` costs at
    /// `now`: the abandon penalty within the grace period after the claim
    /// (`depin_core::settle::abandon_grace_secs`) while the claim window is open, the no-show
    /// slash after.
    pub fn abandon_rate(&self, slot: usize, now: i64) -> u16 {
        if self.key_withheld(slot, now) || self.key_refusable(slot, now) {
            return 0;
        }
        let grace = settle::abandon_grace_secs(self.execution_window());
        let early = now < self.claim_deadline && now < self.slots[slot].claimed_at + grace;
        if early {
            self.abandon_penalty_bps
        } else {
            self.slash_noshow_bps
        }
    }

    /// Whether `settle_job` may tally at `now`: every replica revealed; or the claim window is
    /// over and every held slot revealed; or the reveal deadline passed.
    pub fn settle_ready(&self, now: i64) -> bool {
        self.revealed == self.replicas
            || (now >= self.claim_deadline && self.revealed == self.claimed)
            || now >= self.reveal_deadline
    }

    /// Count the revealed hashes of the used slots.
    pub fn tally(&self) -> settle::Tally {
        let mut revealed = [None; limits::MAX_REPLICAS as usize];
        for (r, s) in revealed
            .iter_mut()
            .zip(&self.slots[..self.replicas as usize])
        {
            if s.state == slot_state::REVEALED {
                *r = Some(s.result_hash);
            }
        }
        settle::tally(&revealed[..self.replicas as usize], self.quorum)
    }

    /// How far the holder of `slot` got: a private slot that never got its key is
    /// [`Progress::Unkeyed`], however late.
    fn progress(&self, slot: usize) -> Progress<'_> {
        let s = &self.slots[slot];
        match s.state {
            slot_state::REVEALED => Progress::Revealed(&s.result_hash),
            slot_state::COMMITTED => Progress::Committed,
            _ if self.is_private() && s.key_at == 0 => Progress::Unkeyed,
            _ => Progress::Claimed,
        }
    }

    /// The verdict for held `slot` of a job that is still open but whose holder let the
    /// slot's deadline pass without committing (`reclaim_slot`): a no-show, unless it never
    /// got its key.
    pub fn late_verdict(&self, slot: usize) -> Verdict {
        Verdict::of(settle::outcome::NONE, &[0; 32], self.progress(slot))
    }

    /// Whether some claimant of this private job lost its slot, or still holds it, for want of
    /// a usable key: the requester then chose who computed, so no wrong result is slashed.
    pub fn keys_failed(&self) -> bool {
        self.key_failures > 0
            || (0..self.replicas as usize).any(|k| {
                self.slots[k].state == slot_state::CLAIMED && self.progress(k) == Progress::Unkeyed
            })
    }

    /// The verdict for held `slot` of a settled job (a wrong result goes unslashed, released
    /// without pay, in a job whose keys failed: [`Job::keys_failed`]).
    pub fn verdict(&self, slot: usize) -> Verdict {
        let verdict = self.tallied_verdict(slot);
        if verdict == Verdict::Wrong && self.keys_failed() {
            Verdict::Released
        } else {
            verdict
        }
    }

    /// The verdict for held `slot` by the tally alone.
    fn tallied_verdict(&self, slot: usize) -> Verdict {
        let progress = self.progress(slot);
        Verdict::of(self.outcome, &self.agreed_hash, progress)
    }

    /// The posted terms settlement uses.
    pub fn terms(&self) -> Terms {
        Terms {
            reward: self.reward_per_replica,
            bond: self.bond,
            fee_bps: self.fee_bps,
            slash_wrong_bps: self.slash_wrong_bps,
            slash_noshow_bps: self.slash_noshow_bps,
        }
    }

    /// Whether reveals are accepted at `now`: every replica committed; or the claim window is
    /// over and every held slot committed (no new claimant can appear who could copy a
    /// revealed hash); or the commit deadline passed. And the reveal deadline has not.
    pub fn reveal_open(&self, now: i64) -> bool {
        let all_in = self.committed == self.replicas
            || (now >= self.claim_deadline && self.committed == self.claimed)
            || now >= self.commit_deadline;
        all_in && now < self.reveal_deadline
    }

    /// The spec URI as text.
    pub fn spec_uri(&self) -> &str {
        core::str::from_utf8(&self.spec_uri[..self.spec_uri_len as usize]).unwrap_or("")
    }
}

const _: () = assert!(core::mem::size_of::<Slot>() == limits::SLOT_SIZE);
const _: () = assert!(core::mem::size_of::<Job>() == limits::JOB_SIZE);
