//! Random instruction sequences against the staking program, checked step by step against a
//! model built on `depin_core::StakeLedger`: every transaction must succeed exactly when the
//! model says so, and afterwards every provider's amounts, every wallet, the vault and the
//! treasury must equal the model's, with `locked + unbonding <= staked`, vault = Σ staked +
//! pending slashes + donated surplus, and the stake mint's supply conserved. A stranger donates
//! to the vault at random moments; no donation may make any instruction fail.

use depin_client::ix;
use depin_core::StakeLedger;
use solana_sdk::signature::Signer;

use super::staking::{StakingWorld, TestProvider, UNBONDING};
use crate::{Backend, TestChain};

/// Deterministic PRNG (SplitMix64): the same seed gives the same sequence on both backends.
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..=max`.
    pub fn upto(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            self.next()
        } else {
            self.next() % (max + 1)
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Stake(usize, u64),
    Unstake(usize, u64),
    Withdraw(usize),
    Lock(usize, u64),
    Unlock(usize, u64, bool),
    Slash(usize, u64, u64),
    Sweep,
    Warp(i64),
    /// A stranger sends tokens straight to the vault.
    Donate(u64),
}

struct Model {
    ledgers: Vec<StakeLedger>,
    unbond_at: Vec<i64>,
    wallets: Vec<u64>,
    treasury: u64,
    pending: u64,
    /// Tokens donated to the vault since the last sweep.
    surplus: u64,
    /// The donor's tokens.
    donor: u64,
    supply: u64,
}

const PROVIDERS: usize = 3;
/// The donor's budget.
const DONOR_TOKENS: u64 = 500;

fn pick(rng: &mut Rng, m: &Model) -> Op {
    let p = (rng.next() % PROVIDERS as u64) as usize;
    let l = m.ledgers[p];
    let free = l.staked - l.locked - l.unbonding;
    // Amounts straddle each limit, so both outcomes are exercised.
    match rng.next() % 9 {
        8 => Op::Donate(rng.upto(m.donor.min(20) + 1)),
        0 | 1 => Op::Stake(p, rng.upto(m.wallets[p] + 3)),
        2 => Op::Unstake(p, rng.upto(free + 3)),
        3 => Op::Withdraw(p),
        4 => Op::Lock(p, rng.upto(free + 3)),
        5 => Op::Unlock(p, rng.upto(l.locked + 2), rng.next() % 2 == 0),
        6 => {
            let a = rng.upto(l.locked + 2);
            if rng.next() % 4 == 0 {
                Op::Sweep
            } else {
                Op::Slash(p, a, rng.upto(l.locked.saturating_sub(a) + 2))
            }
        }
        _ => Op::Warp(rng.upto(UNBONDING as u64 * 2) as i64),
    }
}

/// Apply `op` to a copy of the model; `Some(model')` if the program must accept it.
fn predict(m: &Model, op: Op, now: i64) -> Option<Model> {
    let mut n = Model {
        ledgers: m.ledgers.clone(),
        unbond_at: m.unbond_at.clone(),
        wallets: m.wallets.clone(),
        ..*m
    };
    match op {
        Op::Stake(p, a) => {
            if a > n.wallets[p] {
                return None;
            }
            n.ledgers[p].stake(a).ok()?;
            n.wallets[p] -= a;
        }
        Op::Unstake(p, a) => {
            n.ledgers[p].request_unstake(a).ok()?;
            n.unbond_at[p] = now + UNBONDING;
        }
        Op::Withdraw(p) => {
            if n.ledgers[p].unbonding == 0 || now < n.unbond_at[p] {
                return None;
            }
            n.wallets[p] += n.ledgers[p].withdraw().ok()?;
        }
        Op::Lock(p, a) => n.ledgers[p].lock(a).ok()?,
        Op::Unlock(p, a, _) => n.ledgers[p].unlock(a).ok()?,
        Op::Slash(p, a, r) => {
            n.ledgers[p].slash(a).ok()?;
            if r > 0 {
                n.ledgers[p].unlock(r).ok()?;
            }
            n.pending += a;
        }
        Op::Sweep => {
            if n.pending + n.surplus == 0 {
                return None;
            }
            n.treasury += n.pending + n.surplus;
            n.pending = 0;
            n.surplus = 0;
        }
        Op::Warp(_) => {}
        Op::Donate(a) => {
            if a > n.donor {
                return None;
            }
            n.donor -= a;
            n.surplus += a;
        }
    }
    Some(n)
}

/// Run one random sequence of `steps` operations from `seed`; panics on any divergence from
/// the model. Returns the chain (its transcript feeds the SBF/native parity check).
pub fn random_sequence(backend: Backend, seed: u64, steps: usize) -> TestChain {
    let mut rng = Rng::new(seed);
    let mut w = StakingWorld::new(backend);
    let mut providers: Vec<TestProvider> = Vec::new();
    let mut m = Model {
        ledgers: vec![],
        unbond_at: vec![],
        wallets: vec![],
        treasury: 0,
        pending: 0,
        surplus: 0,
        donor: DONOR_TOKENS,
        supply: DONOR_TOKENS,
    };
    let donor = w.chain.funded_keypair("donor", 1);
    let donor_tokens =
        w.chain
            .create_token_account("donor-tokens", &w.mint, &donor.pubkey(), DONOR_TOKENS);
    for i in 0..PROVIDERS {
        let tokens = 1 + rng.upto(2_000);
        providers.push(w.provider(&format!("p{i}"), tokens));
        m.ledgers.push(StakeLedger::default());
        m.unbond_at.push(0);
        m.wallets.push(tokens);
        m.supply += tokens;
    }
    for step in 0..steps {
        let op = pick(&mut rng, &m);
        let now = w.chain.now();
        let expect = predict(&m, op, now);
        let label = format!("seed {seed} step {step}: {op:?}");
        let (ixs, signer) = match op {
            Op::Stake(p, a) => (vec![w.stake_ix(&providers[p], a)], &providers[p].owner),
            Op::Unstake(p, a) => (
                vec![ix::staking::request_unstake(
                    &providers[p].owner.pubkey(),
                    &w.mint,
                    a,
                )],
                &providers[p].owner,
            ),
            Op::Withdraw(p) => (
                vec![ix::staking::withdraw(
                    &providers[p].owner.pubkey(),
                    &w.mint,
                    &providers[p].wallet,
                )],
                &providers[p].owner,
            ),
            Op::Lock(p, a) => (vec![w.lock_ix(&providers[p], a)], &w.slasher),
            Op::Unlock(p, a, c) => (vec![w.unlock_ix(&providers[p], a, c)], &w.slasher),
            Op::Slash(p, a, r) => (vec![w.slash_ix(&providers[p], a, r)], &w.slasher),
            // Permissionless: the chain's payer alone signs (the signer below is not added).
            Op::Sweep => (vec![w.sweep_ix()], &w.slasher),
            Op::Warp(s) => {
                w.chain.warp_seconds(s);
                continue;
            }
            Op::Donate(a) => (
                vec![anchor_spl::token::spl_token::instruction::transfer(
                    &anchor_spl::token::ID,
                    &donor_tokens,
                    &w.vault,
                    &donor.pubkey(),
                    &[],
                    a,
                )
                .expect("transfer")],
                &donor,
            ),
        };
        let signer = Signer::pubkey(signer);
        let kp = [
            &donor,
            &w.slasher,
            &providers[0].owner,
            &providers[1].owner,
            &providers[2].owner,
        ]
        .into_iter()
        .find(|k| k.pubkey() == signer)
        .expect("signer")
        .insecure_clone();
        let signers: &[&solana_sdk::signature::Keypair] = match op {
            Op::Sweep => &[],
            _ => &[&kp],
        };
        let result = w.chain.send(&label, &ixs, signers);
        match (&expect, &result) {
            (Some(next), Ok(_)) => {
                m = Model {
                    ledgers: next.ledgers.clone(),
                    unbond_at: next.unbond_at.clone(),
                    wallets: next.wallets.clone(),
                    ..*next
                }
            }
            (None, Err(_)) => {}
            (Some(_), Err(f)) => panic!(
                "{label}: model accepts, program refused: {:?}\n{:#?}",
                f.err, f.logs
            ),
            (None, Ok(_)) => panic!("{label}: model refuses, program accepted"),
        }
        check(&w, &providers, &m, &label);
        assert_eq!(
            w.chain.token_balance(&donor_tokens),
            m.donor,
            "{label}: donor"
        );
    }
    w.chain
}

#[track_caller]
fn check(w: &StakingWorld, providers: &[TestProvider], m: &Model, label: &str) {
    let mut vault_expected = 0u64;
    for (i, p) in providers.iter().enumerate() {
        let (s, l, u) = w.amounts(p);
        let want = m.ledgers[i];
        assert_eq!(
            (s, l, u),
            (want.staked, want.locked, want.unbonding),
            "{label}: provider {i} amounts"
        );
        assert!(l + u <= s, "{label}: locked + unbonding <= staked");
        assert_eq!(
            w.chain.token_balance(&p.wallet),
            m.wallets[i],
            "{label}: wallet {i}"
        );
        vault_expected += s;
    }
    let vault = w.chain.token_balance(&w.vault);
    let treasury = w.chain.token_balance(&w.treasury);
    assert_eq!(
        vault,
        vault_expected + m.pending + m.surplus,
        "{label}: vault = sum of stake + pending slashed + donated surplus"
    );
    assert_eq!(
        (w.pool_state().total_staked, w.pool_state().pending_slashed),
        (vault_expected, m.pending),
        "{label}: pool totals"
    );
    assert_eq!(treasury, m.treasury, "{label}: treasury");
    let wallets: u64 = providers
        .iter()
        .map(|p| w.chain.token_balance(&p.wallet))
        .sum();
    assert_eq!(
        wallets + vault + treasury + m.donor,
        m.supply,
        "{label}: token conservation"
    );
}
