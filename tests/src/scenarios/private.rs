//! Private jobs and allow-listed markets on chain: key envelopes (`deliver_key`), the rule that
//! a claimant whose key never came owes nothing, and accreditation (`accredit_provider`,
//! `revoke_accreditation`, `claim_job` in an allow-listed market). One scenario per case, so a
//! failure names it; each attack computes the attacker's payoff.

use anchor_lang::prelude::Pubkey;
use depin_client::{
    ix, pda,
    privacy::{self, rand_core, JobSecret},
};
use depin_core::limits::ENVELOPE_LEN;
use depin_jobs::{
    events as ev,
    instructions::{DeliverKeyArgs, UpdateMarketArgs},
    JobsError as E,
};
use solana_sdk::signature::{Keypair, Signer};

use super::{
    jobs::test_config,
    settlement::{Expect, Role, SettleWorld, ABANDON, NOSHOW, PAYOUT},
};
use crate::{Backend, TestChain};

/// A reproducible "random" source for sealing in scenarios: the parity test compares the
/// bytes the SBF and native runs wrote, so envelopes must come out the same in both runs.
struct Counter(u8);

impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            self.0 = self.0.wrapping_mul(31).wrapping_add(7);
            *b = self.0;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for Counter {}

/// Nine staked providers (settlement's world) and the requester's private jobs.
struct PrivWorld {
    sw: SettleWorld,
    nonce: u64,
}

impl PrivWorld {
    fn new(backend: Backend) -> Self {
        PrivWorld {
            sw: SettleWorld::new(backend),
            nonce: 900,
        }
    }

    fn chain(&mut self) -> &mut TestChain {
        self.sw.chain()
    }

    /// Post a private job of `replicas` (open claim phase); its address and secret.
    fn post(&mut self, replicas: u8) -> (Pubkey, JobSecret) {
        self.nonce += 1;
        let w = &mut self.sw.w;
        let job = w.job_address(self.nonce);
        let secret = JobSecret::derive(&w.requester, &job);
        let mut args = w.args(self.nonce, replicas);
        args.key_commitment = secret.commitment();
        let post = w.post_ix(args);
        let requester = w.requester.insecure_clone();
        w.s.chain.ok("post a private job", &[post], &[&requester]);
        let ranked_until = w.job(&job).ranked_until_slot;
        w.s.chain.open_claims(ranked_until);
        (job, secret)
    }

    /// The envelope of `secret` sealed to provider `i`'s operator key.
    fn envelope(&self, i: usize, secret: &JobSecret) -> [u8; ENVELOPE_LEN] {
        let operator = self.sw.ps[i].operator.pubkey();
        privacy::seal_envelope_with(&operator, secret, &mut Counter(i as u8)).unwrap()
    }

    /// `deliver_key` of `envelope` for provider `i`'s slot `slot`, signed by `by`.
    fn deliver_ix(
        &self,
        job: &Pubkey,
        slot: u8,
        i: usize,
        envelope: [u8; ENVELOPE_LEN],
        by: &Keypair,
    ) -> solana_sdk::instruction::Instruction {
        let args = DeliverKeyArgs {
            slot,
            provider: self.sw.ps[i].account,
            envelope,
        };
        ix::jobs::deliver_key(&by.pubkey(), job, args)
    }

    /// The requester delivers provider `i`'s key (slot `slot`).
    fn deliver(&mut self, job: &Pubkey, slot: u8, i: usize, secret: &JobSecret) {
        let requester = self.sw.w.requester.insecure_clone();
        let ix_ = self.deliver_ix(job, slot, i, self.envelope(i, secret), &requester);
        let sent = self
            .chain()
            .ok(&format!("deliver sp{i}'s key"), &[ix_], &[&requester]);
        if let Some(e) = self.sw.w.s.chain.event::<ev::KeyDelivered>(&sent) {
            assert_eq!(
                (e.job, e.slot, e.provider),
                (*job, slot, self.sw.ps[i].account)
            );
        }
        // What the chain now holds opens for that operator, to the committed secret.
        let j = self.sw.w.job(job);
        let s = &j.slots[slot as usize];
        assert_ne!(s.key_at, 0);
        let opened =
            privacy::open_envelope(&self.sw.ps[i].operator, &s.envelope, &j.key_commitment)
                .expect("the envelope opens for its operator");
        assert_eq!(opened.commitment(), secret.commitment());
        assert!(privacy::open_envelope(
            &self.sw.ps[(i + 1) % 9].operator,
            &s.envelope,
            &j.key_commitment
        )
        .is_err());
    }

    /// Provider `i` abandons `job`; the penalty it paid.
    fn abandon(&mut self, i: usize, job: &Pubkey) -> u64 {
        let staked = self.sw.w.s.provider_state(&self.sw.ps[i]).staked;
        let ix_ = self.sw.w.abandon_ix(&self.sw.ps[i], job);
        let operator = self.sw.ps[i].operator.insecure_clone();
        let sent = self
            .chain()
            .ok(&format!("sp{i} abandons"), &[ix_], &[&operator]);
        let penalty = staked - self.sw.w.s.provider_state(&self.sw.ps[i]).staked;
        if let Some(e) = self.sw.w.s.chain.event::<ev::JobAbandoned>(&sent) {
            assert_eq!(e.penalty, penalty);
        }
        penalty
    }

    fn requester_tokens(&self) -> u64 {
        self.sw.w.s.chain.token_balance(&self.sw.w.requester_tokens)
    }
}

/// Keys delivered to every claimant: the job runs like a public one; replicas agree.
pub fn private_lifecycle(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    assert!(pw.sw.w.job(&job).is_private());
    for i in 0..3 {
        pw.sw.claim(i, &job);
        pw.deliver(&job, i as u8, i, &secret);
    }
    for i in 0..3 {
        pw.sw.commit(i, &job, 1, false);
    }
    for i in 0..3 {
        pw.sw.reveal(i, &job, 1);
    }
    let roles = [Role::Reveal(1); 3];
    pw.sw.finish(&job, &[0, 1, 2], &roles, Expect::Agreed(1));
    pw.sw.w.s.chain
}

/// Attack: the requester withholds every key, hoping to get the claimants slashed. Nobody
/// loses anything: one gives back free after the key deadline, one is reclaimed free after its
/// slot's deadline, the last is released free at settlement; the requester gets every token
/// back (payoff 0) and pays only transaction fees.
pub fn withheld_keys_cost_claimants_nothing(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let before = pw.requester_tokens();
    let (job, _) = pw.post(3);
    for i in 0..3 {
        pw.sw.claim(i, &job);
    }
    let stakes: Vec<u64> = (0..3)
        .map(|i| pw.sw.w.s.provider_state(&pw.sw.ps[i]).staked)
        .collect();
    let j = pw.sw.w.job(&job);
    pw.sw.warp_to(j.key_deadline(0));
    assert_eq!(
        pw.abandon(0, &job),
        0,
        "no key by its deadline: giving back is free"
    );
    pw.sw.warp_to(j.slot_deadline(1));
    let reclaim = ix::jobs::reclaim_slot(&pw.sw.w.keys(), &job, &pw.sw.ps[1].account);
    let sent = pw.chain().ok("reclaim sp1's unkeyed slot", &[reclaim], &[]);
    if let Some(e) = pw.sw.w.s.chain.event::<ev::SlotReclaimed>(&sent) {
        assert_eq!(e.penalty, 0);
    }
    pw.sw.warp_to(j.reveal_deadline);
    pw.sw.finish(&job, &[2], &[Role::Unkeyed], Expect::NoQuorum);
    for (i, staked) in stakes.iter().enumerate() {
        assert_eq!(
            pw.sw.w.s.provider_state(&pw.sw.ps[i]).staked,
            *staked,
            "sp{i} lost nothing"
        );
    }
    assert_eq!(pw.requester_tokens(), before, "the requester's payoff is 0");
    pw.sw.w.s.chain
}

/// Attack: the requester keys one claimant only. The unkeyed ones give back free; the one
/// that did the work reveals and is paid (no quorum: revealers are paid); the requester pays
/// for the work it got.
pub fn selective_keys_pay_the_worker_and_cost_the_rest_nothing(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let before = pw.requester_tokens();
    let (job, secret) = pw.post(3);
    for i in 0..3 {
        pw.sw.claim(i, &job);
    }
    pw.deliver(&job, 0, 0, &secret);
    let j = pw.sw.w.job(&job);
    pw.sw.warp_to(j.key_deadline(1));
    assert_eq!(pw.abandon(1, &job), 0);
    assert_eq!(pw.abandon(2, &job), 0);
    pw.sw.commit(0, &job, 1, false);
    pw.sw.warp_to(j.claim_deadline);
    pw.sw.reveal(0, &job, 1);
    pw.sw
        .finish(&job, &[0], &[Role::Reveal(1)], Expect::NoQuorum);
    let paid = before - pw.requester_tokens();
    assert_eq!(
        paid,
        PAYOUT + 250,
        "the requester pays one replica's reward (and its fee)"
    );
    pw.sw.w.s.chain
}

/// A claimant sent a key that does not open may give it back free within the key window
/// after delivery; later, refusing costs what abandoning costs.
pub fn a_bad_key_is_refused_free_within_the_grace(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, _) = pw.post(3);
    pw.sw.claim(0, &job);
    pw.sw.claim(1, &job);
    let requester = pw.sw.w.requester.insecure_clone();
    for (slot, i) in [(0u8, 0usize), (1, 1)] {
        let ix_ = pw.deliver_ix(&job, slot, i, [9; ENVELOPE_LEN], &requester);
        pw.chain()
            .ok("deliver a garbage envelope", &[ix_], &[&requester]);
        let env = pw.sw.w.job(&job).slots[slot as usize].envelope;
        let j = pw.sw.w.job(&job);
        assert!(privacy::open_envelope(&pw.sw.ps[i].operator, &env, &j.key_commitment).is_err());
    }
    assert_eq!(pw.abandon(0, &job), 0, "refused at once: free");
    assert_eq!(pw.sw.w.job(&job).key_failures, 1);
    let j = pw.sw.w.job(&job);
    let window = depin_core::settle::key_window_secs(j.execution_window());
    pw.sw.warp_to(j.slots[1].key_at + window);
    assert_eq!(
        pw.abandon(1, &job),
        NOSHOW,
        "refused after the grace: the usual rate"
    );
    pw.sw.w.s.chain
}

/// Squatting a private slot is not free: giving back before the key deadline without a key
/// costs the abandon penalty like any early abandon.
pub fn unkeyed_abandon_before_the_key_deadline_pays_the_penalty(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, _) = pw.post(3);
    pw.sw.claim(0, &job);
    assert_eq!(pw.abandon(0, &job), ABANDON);
    pw.sw.w.s.chain
}

/// Only the requester delivers keys.
pub fn deliver_key_by_a_stranger(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    pw.sw.claim(0, &job);
    let stranger = pw.chain().funded_keypair("stranger", 1);
    let ix_ = pw.deliver_ix(&job, 0, 0, pw.envelope(0, &secret), &stranger);
    pw.chain()
        .fail("a stranger delivers a key", &[ix_], &[&stranger])
        .assert_error(E::NotRequester);
    pw.sw.w.s.chain
}

/// An envelope sealed for one provider is refused on another's slot, on a free slot, and on a
/// slot index the job does not have.
pub fn deliver_key_for_another_holder(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    pw.sw.claim(0, &job);
    let requester = pw.sw.w.requester.insecure_clone();
    let ix_ = pw.deliver_ix(&job, 0, 1, pw.envelope(1, &secret), &requester);
    pw.chain()
        .fail("sp1's envelope on sp0's slot", &[ix_], &[&requester])
        .assert_error(E::WrongSlotHolder);
    let ix_ = pw.deliver_ix(&job, 1, 1, pw.envelope(1, &secret), &requester);
    pw.chain()
        .fail("an envelope on a free slot", &[ix_], &[&requester])
        .assert_error(E::WrongSlotHolder);
    let ix_ = pw.deliver_ix(&job, 3, 0, pw.envelope(0, &secret), &requester);
    pw.chain()
        .fail(
            "an envelope on slot 3 of a 3-replica job",
            &[ix_],
            &[&requester],
        )
        .assert_error(E::InvalidSlot);
    pw.sw.w.s.chain
}

/// A delivered key cannot be replaced (the claimant may already be running on it).
pub fn deliver_key_twice(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    pw.sw.claim(0, &job);
    pw.deliver(&job, 0, 0, &secret);
    let requester = pw.sw.w.requester.insecure_clone();
    let ix_ = pw.deliver_ix(&job, 0, 0, [5; ENVELOPE_LEN], &requester);
    pw.chain()
        .fail("replace a delivered key", &[ix_], &[&requester])
        .assert_error(E::KeyAlreadyDelivered);
    pw.sw.w.s.chain
}

/// Attack: deliver the key so late that the claimant cannot finish, to get it slashed as a
/// no-show. Refused: a key arrives within the key window or never.
pub fn deliver_key_after_the_key_deadline(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    pw.sw.claim(0, &job);
    let j = pw.sw.w.job(&job);
    pw.sw.warp_to(j.key_deadline(0));
    let requester = pw.sw.w.requester.insecure_clone();
    let ix_ = pw.deliver_ix(&job, 0, 0, pw.envelope(0, &secret), &requester);
    pw.chain()
        .fail("a key after its deadline", &[ix_], &[&requester])
        .assert_error(E::KeyWindowClosed);
    pw.sw.w.s.chain
}

/// A public job takes no keys, and an all-zero envelope is refused.
pub fn deliver_key_to_a_public_job_or_empty(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let public = pw.sw.post(3);
    pw.sw.claim(0, &public);
    let requester = pw.sw.w.requester.insecure_clone();
    let ix_ = pw.deliver_ix(&public, 0, 0, [5; ENVELOPE_LEN], &requester);
    pw.chain()
        .fail("a key for a public job", &[ix_], &[&requester])
        .assert_error(E::NotPrivate);
    let (job, _) = pw.post(3);
    pw.sw.claim(0, &job);
    let ix_ = pw.deliver_ix(&job, 0, 0, [0; ENVELOPE_LEN], &requester);
    pw.chain()
        .fail("an all-zero envelope", &[ix_], &[&requester])
        .assert_error(E::EmptyEnvelope);
    pw.sw.w.s.chain
}

/// Turn the market's allow-list on (no rate rises: applies at once).
fn allow_list(pw: &mut PrivWorld, on: bool) {
    let admin = pw.sw.w.s.admin.insecure_clone();
    let config = depin_jobs::instructions::MarketConfig {
        allow_list: on,
        ..test_config()
    };
    let args = UpdateMarketArgs {
        config: Some(config),
        paused: None,
    };
    let ix_ = ix::jobs::update_market(&admin.pubkey(), &pw.sw.w.market, None, args);
    pw.chain().ok("set the allow-list", &[ix_], &[&admin]);
}

/// The admin accredits provider `i`.
fn accredit(pw: &mut PrivWorld, i: usize) {
    let admin = pw.sw.w.s.admin.insecure_clone();
    let p = pw.sw.ps[i].account;
    let ix_ = ix::jobs::accredit_provider(&admin.pubkey(), &pw.sw.w.market, &p);
    let sent = pw.chain().ok(&format!("accredit sp{i}"), &[ix_], &[&admin]);
    if let Some(e) = pw.sw.w.s.chain.event::<ev::ProviderAccredited>(&sent) {
        assert_eq!((e.market, e.provider), (pw.sw.w.market, p));
    }
}

/// `claim_job` of provider `i` naming provider `whose` accreditation.
fn claim_accredited(
    pw: &PrivWorld,
    i: usize,
    job: &Pubkey,
    whose: usize,
) -> solana_sdk::instruction::Instruction {
    let p = &pw.sw.ps[i];
    let mut acc =
        ix::jobs::claim_job_accounts(&p.operator.pubkey(), &p.account, &pw.sw.w.keys(), job, None);
    acc.accreditation = Some(pda::accreditation(&pw.sw.w.market, &pw.sw.ps[whose].account).0);
    ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {})
}

/// In an allow-listed market an unaccredited provider cannot claim, with or without naming an
/// accreditation it does not have.
pub fn allow_list_refuses_the_unaccredited(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    allow_list(&mut pw, true);
    let job = pw.sw.post(3);
    assert_eq!(pw.sw.w.job(&job).allow_list, 1);
    let operator = pw.sw.ps[0].operator.insecure_clone();
    let ix_ = pw.sw.w.claim_ix(&pw.sw.ps[0], &job);
    pw.chain()
        .fail("claim without accreditation", &[ix_], &[&operator])
        .assert_error(E::NotAccredited);
    let ix_ = claim_accredited(&pw, 0, &job, 0);
    pw.chain()
        .fail("claim naming a missing accreditation", &[ix_], &[&operator])
        .assert_error(u32::from(
            anchor_lang::error::ErrorCode::AccountNotInitialized,
        ));
    pw.sw.w.s.chain
}

/// An accredited provider claims; another provider cannot use its accreditation; a job posted
/// before the allow-list was turned on stays open to everyone.
pub fn allow_list_admits_only_the_accredited(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let before = pw.sw.post(3);
    allow_list(&mut pw, true);
    // A stranger's donation to the accreditation's address cannot block its creation.
    let at = pda::accreditation(&pw.sw.w.market, &pw.sw.ps[0].account).0;
    pw.chain().fund(&at, 1);
    accredit(&mut pw, 0);
    let job = pw.sw.post(3);
    let ix_ = claim_accredited(&pw, 0, &job, 0);
    let operator = pw.sw.ps[0].operator.insecure_clone();
    pw.chain().ok("an accredited claim", &[ix_], &[&operator]);
    let ix_ = claim_accredited(&pw, 1, &job, 0);
    let operator1 = pw.sw.ps[1].operator.insecure_clone();
    pw.chain()
        .fail("claim with another's accreditation", &[ix_], &[&operator1])
        .assert_error(E::NotAccredited);
    pw.sw.claim(1, &before);
    pw.sw.w.s.chain
}

/// Only the admin accredits or revokes, only providers of the market's pool, once; a revoked
/// provider cannot claim new jobs but keeps the slot it holds.
pub fn accreditation_is_the_admins_and_revocable(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    allow_list(&mut pw, true);
    let stranger = pw.chain().funded_keypair("stranger", 1);
    let market = pw.sw.w.market;
    let p0 = pw.sw.ps[0].account;
    let ix_ = ix::jobs::accredit_provider(&stranger.pubkey(), &market, &p0);
    pw.chain()
        .fail("a stranger accredits", &[ix_], &[&stranger])
        .assert_error(E::NotMarketAdmin);
    let admin = pw.sw.w.s.admin.insecure_clone();
    let not_a_provider = pw.sw.w.requester.pubkey();
    let ix_ = ix::jobs::accredit_provider(&admin.pubkey(), &market, &not_a_provider);
    pw.chain()
        .fail("accredit a wallet that is no provider", &[ix_], &[&admin])
        .assert_error(E::NotAProvider);
    let ix_ = ix::jobs::revoke_accreditation(&admin.pubkey(), &market, &p0);
    pw.chain()
        .fail(
            "revoke an accreditation that does not exist",
            &[ix_],
            &[&admin],
        )
        .assert_error(E::NotAccredited);
    accredit(&mut pw, 0);
    let ix_ = ix::jobs::accredit_provider(&admin.pubkey(), &market, &p0);
    pw.chain()
        .fail("accredit twice", &[ix_], &[&admin])
        .assert_error(E::AlreadyAccredited);
    let job = pw.sw.post(3);
    let ix_ = claim_accredited(&pw, 0, &job, 0);
    let operator = pw.sw.ps[0].operator.insecure_clone();
    pw.chain()
        .ok("claim while accredited", &[ix_], &[&operator]);
    let ix_ = ix::jobs::revoke_accreditation(&stranger.pubkey(), &market, &p0);
    pw.chain()
        .fail("a stranger revokes", &[ix_], &[&stranger])
        .assert_error(E::NotMarketAdmin);
    let ix_ = ix::jobs::revoke_accreditation(&admin.pubkey(), &market, &p0);
    let sent = pw.chain().ok("revoke sp0", &[ix_], &[&admin]);
    if let Some(e) = pw.sw.w.s.chain.event::<ev::AccreditationRevoked>(&sent) {
        assert_eq!(e.provider, p0);
    }
    assert!(!pw.sw.w.s.chain.exists(&pda::accreditation(&market, &p0).0));
    assert!(
        pw.sw.w.job(&job).slot_of(&p0).is_some(),
        "the held slot stays"
    );
    let next = pw.sw.post(3);
    let ix_ = claim_accredited(&pw, 0, &next, 0);
    pw.chain()
        .fail("claim after revocation", &[ix_], &[&operator])
        .assert_error(u32::from(
            anchor_lang::error::ErrorCode::AccountNotInitialized,
        ));
    pw.sw.w.s.chain
}

/// Attack: a requester with two Sybil providers withholds the key from an honest claimant so
/// that it leaves (free), lets a Sybil take the freed slot, and keys one honest provider whose
/// correct result the Sybil majority then outvotes. Because a key failed in this job, the
/// outvoted honest provider is released unslashed (`Job::key_failures`); the Sybils are paid
/// by the requester itself, and nobody honest loses anything.
pub fn key_games_cannot_get_an_honest_minority_slashed(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, secret) = pw.post(3);
    // sp3 honest (no key), sp2 honest (keyed), sp0 Sybil (keyed).
    pw.sw.claim(3, &job);
    pw.sw.claim(2, &job);
    pw.sw.claim(0, &job);
    pw.deliver(&job, 1, 2, &secret);
    pw.deliver(&job, 2, 0, &secret);
    let j = pw.sw.w.job(&job);
    pw.sw.warp_to(j.key_deadline(0));
    assert_eq!(pw.abandon(3, &job), 0);
    // The second Sybil takes the freed slot and gets its key.
    pw.sw.claim(1, &job);
    pw.deliver(&job, 0, 1, &secret);
    let honest = pw.sw.w.s.provider_state(&pw.sw.ps[2]).staked;
    pw.sw.commit(0, &job, 6, false);
    pw.sw.commit(1, &job, 6, false);
    pw.sw.commit(2, &job, 1, false);
    for (i, n) in [(0, 6), (1, 6), (2, 1)] {
        pw.sw.reveal(i, &job, n);
    }
    pw.chain().ok("settle", &[ix::jobs::settle_job(&job)], &[]);
    let settled = pw.sw.w.job(&job);
    assert_eq!(
        settled.agreed_hash,
        super::settlement::result(6),
        "the Sybils' hash won"
    );
    let keys = pw.sw.w.keys();
    let escrow = settled.escrow;
    for i in [0usize, 1, 2] {
        let slot = settled.slot_of(&pw.sw.ps[i].account).unwrap();
        let release = ix::jobs::release_for(&settled, slot, pw.sw.pay[i]).unwrap();
        let ix_ = ix::jobs::release_slot(&keys, &job, &escrow, &pw.sw.ps[i].account, release);
        pw.chain().ok(&format!("release sp{i}"), &[ix_], &[]);
    }
    assert_eq!(
        settled.verdict(settled.slot_of(&pw.sw.ps[2].account).unwrap()),
        depin_core::settle::Verdict::Released
    );
    assert_eq!(
        pw.sw.w.s.provider_state(&pw.sw.ps[2]).staked,
        honest,
        "the outvoted honest provider is not slashed"
    );
    pw.sw.w.s.chain
}

/// The abandon list keeps every provider that gave a slot of the job back: one refusing
/// after another on the same slot does not let the first claim again (and so refuse free
/// again).
pub fn a_provider_that_gave_back_can_never_claim_the_job_again(backend: Backend) -> TestChain {
    let mut pw = PrivWorld::new(backend);
    let (job, _) = pw.post(3);
    let requester = pw.sw.w.requester.insecure_clone();
    for i in [0usize, 1] {
        pw.sw.claim(i, &job);
        let slot = pw.sw.w.job(&job).slot_of(&pw.sw.ps[i].account).unwrap() as u8;
        let ix_ = pw.deliver_ix(&job, slot, i, [9; ENVELOPE_LEN], &requester);
        pw.chain().ok("a bad key", &[ix_], &[&requester]);
        assert_eq!(pw.abandon(i, &job), 0);
    }
    for i in [0usize, 1] {
        let ix_ = pw.sw.w.claim_ix(&pw.sw.ps[i], &job);
        let operator = pw.sw.ps[i].operator.insecure_clone();
        pw.chain()
            .fail(&format!("sp{i} claims again"), &[ix_], &[&operator])
            .assert_error(E::AbandonedBefore);
    }
    assert_eq!(pw.sw.w.job(&job).key_failures, 2);
    pw.sw.w.s.chain
}
