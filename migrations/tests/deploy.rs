//! Deploying the SBF programs with our own loader-v3 client to a local chain (surfpool-core)
//! that starts without them: first deploy, an idempotent re-run that sends nothing, an
//! upgrade that needs the ProgramData extended, a refused upgrade by the wrong authority, and
//! the deployed code actually executing.
//!
//! Needs the SBF build (`DEPIN_DEPLOY_DIR`, default `<repo>/target/deploy`).

use std::{path::PathBuf, time::Instant};

use anchor_lang::prelude::Pubkey;
use depin_client::{rpc::DepinRpc, JOBS_PROGRAM_ID, STAKING_PROGRAM_ID};
use depin_localnet::{Localnet, LocalnetConfig};
use depin_migrations::deploy::{
    deploy_all, deploy_program, DeployError, DeployOptions, DeployOutcome, DeployPhase,
    ProgramFiles,
};
use solana_commitment_config::CommitmentConfig;
use solana_loader_v3_interface::{get_program_data_address, state::UpgradeableLoaderState};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
};

const SOL: u64 = 1_000_000_000;
/// Anchor's `InstructionFallbackNotFound`: the program ran and found no such instruction.
const FALLBACK_NOT_FOUND: u32 = 101;
/// Anchor's `DeclaredProgramIdMismatch`: the program ran at an address other than its
/// `declare_id!`.
const DECLARED_ID_MISMATCH: u32 = 4100;

/// The SBF build (`DEPIN_DEPLOY_DIR` overrides `<repo>/target/deploy`).
fn deploy_dir() -> PathBuf {
    std::env::var_os("DEPIN_DEPLOY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"))
}

async fn chain(admin: &Keypair, preload: bool) -> (Localnet, DepinRpc) {
    let mut config = if preload {
        LocalnetConfig {
            upgrade_authority: Some(admin.pubkey()),
            ..LocalnetConfig::with_programs_from(deploy_dir())
        }
    } else {
        LocalnetConfig::without_programs()
    };
    config.airdrop = vec![admin.pubkey()];
    config.airdrop_lamports = 100 * SOL;
    let net = Localnet::start(config).await.expect("local chain");
    let rpc = DepinRpc::new(net.rpc_url(), CommitmentConfig::confirmed());
    (net, rpc)
}

/// Upgrade authority and program bytes (after the metadata) of `program`.
async fn program_data(rpc: &DepinRpc, program: &Pubkey) -> (Option<Pubkey>, Vec<u8>) {
    let data = rpc
        .rpc()
        .get_account(&get_program_data_address(program))
        .await
        .expect("program data account")
        .data;
    match bincode::deserialize(&data).expect("loader state") {
        UpgradeableLoaderState::ProgramData {
            upgrade_authority_address,
            ..
        } => (
            upgrade_authority_address,
            data[UpgradeableLoaderState::size_of_programdata_metadata()..].to_vec(),
        ),
        other => panic!("{program}: {other:?}"),
    }
}

/// Send an instruction of garbage data to `program` and return how it failed.
async fn call_garbage(rpc: &DepinRpc, payer: &Keypair, program: Pubkey) -> TransactionError {
    let ix = Instruction {
        program_id: program,
        accounts: vec![],
        data: vec![0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03],
    };
    let blockhash = rpc.rpc().get_latest_blockhash().await.expect("blockhash");
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[payer], blockhash);
    let err = rpc
        .rpc()
        .send_transaction(&tx)
        .await
        .expect_err("garbage instruction data must fail");
    err.get_transaction_error()
        .unwrap_or_else(|| panic!("not a transaction error: {err}"))
}

fn custom(code: u32) -> TransactionError {
    TransactionError::InstructionError(0, InstructionError::Custom(code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_rerun_upgrade_and_refusal() {
    let dir = deploy_dir();
    let admin = Keypair::new();
    let (net, rpc) = chain(&admin, false).await;
    assert!(!net.has_program(&STAKING_PROGRAM_ID));
    assert!(!net.has_program(&JOBS_PROGRAM_ID));
    let before = call_garbage(&rpc, &admin, STAKING_PROGRAM_ID).await;
    assert_ne!(
        before,
        custom(FALLBACK_NOT_FOUND),
        "no program yet: {before:?}"
    );

    // First deploy: buffer, chunked writes, DeployWithMaxDataLen.
    let options = DeployOptions::default();
    let phases = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let reports = deploy_all(&rpc, &admin, &dir, &options, &|files, p| {
        assert!(p.written <= p.total, "{}: {p:?}", files.name);
        phases.lock().unwrap().push((files.name, p.phase));
    })
    .await
    .expect("first deploy");
    let first = started.elapsed();
    for r in &reports {
        eprintln!(
            "deployed {} ({} bytes): {} write transactions in {:.1} s",
            r.program_id,
            r.elf_len,
            r.write_transactions,
            r.elapsed.as_secs_f64()
        );
    }
    eprintln!(
        "first deploy of both programs: {} write transactions, {:.1} s",
        reports.iter().map(|r| r.write_transactions).sum::<usize>(),
        first.as_secs_f64()
    );
    let outcomes: Vec<_> = reports.iter().map(|r| (r.program_id, r.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (STAKING_PROGRAM_ID, DeployOutcome::Deployed),
            (JOBS_PROGRAM_ID, DeployOutcome::Deployed)
        ]
    );
    let phases = phases.into_inner().unwrap();
    for name in ["depin_staking", "depin_jobs"] {
        let seen: Vec<_> = phases
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(seen.first(), Some(&DeployPhase::Checking), "{name}");
        assert_eq!(
            seen.last(),
            Some(&DeployPhase::Done(DeployOutcome::Deployed)),
            "{name}"
        );
        assert!(seen.contains(&DeployPhase::Writing), "{name}");
    }
    for files in ProgramFiles::in_dir(&dir) {
        let account = rpc.rpc().get_account(&files.program_id).await.unwrap();
        assert!(account.executable, "{}", files.name);
        assert!(net.has_program(&files.program_id), "{}", files.name);
        let (authority, code) = program_data(&rpc, &files.program_id).await;
        assert_eq!(authority, Some(admin.pubkey()), "{}", files.name);
        assert_eq!(code, std::fs::read(&files.elf).unwrap(), "{}", files.name);
        // The ELF was loaded: the program runs and refuses the unknown instruction itself.
        let err = call_garbage(&rpc, &admin, files.program_id).await;
        assert_eq!(err, custom(FALLBACK_NOT_FOUND), "{}", files.name);
    }

    // Again: nothing to do, nothing sent.
    let balance = rpc.rpc().get_balance(&admin.pubkey()).await.unwrap();
    let again = deploy_all(&rpc, &admin, &dir, &options, &|_, _| {})
        .await
        .expect("second run");
    for r in &again {
        assert_eq!(r.outcome, DeployOutcome::Unchanged);
        assert_eq!((r.write_transactions, r.buffer), (0, None));
    }
    assert_eq!(
        rpc.rpc().get_balance(&admin.pubkey()).await.unwrap(),
        balance
    );

    // Upgrade the staking program to a larger ELF (the jobs build): the ProgramData grows.
    let [staking, jobs] = ProgramFiles::in_dir(&dir);
    let (staking_key, staking_elf) = staking.load().unwrap();
    let (_, jobs_elf) = jobs.load().unwrap();
    assert!(jobs_elf.len() > staking_elf.len());
    let upgraded = deploy_program(
        &rpc,
        &admin,
        &admin,
        &staking_key,
        &jobs_elf,
        &options,
        &|_| {},
    )
    .await
    .expect("upgrade");
    assert_eq!(upgraded.outcome, DeployOutcome::Upgraded);
    assert!(upgraded.extended_by as usize >= jobs_elf.len() - staking_elf.len());
    let (authority, code) = program_data(&rpc, &STAKING_PROGRAM_ID).await;
    assert_eq!(authority, Some(admin.pubkey()));
    assert_eq!(&code[..jobs_elf.len()], &jobs_elf[..]);
    assert!(code[jobs_elf.len()..].iter().all(|&b| b == 0));
    // The new code runs: the jobs program refuses to run at another address than its own.
    let err = call_garbage(&rpc, &admin, STAKING_PROGRAM_ID).await;
    assert_eq!(err, custom(DECLARED_ID_MISMATCH));

    // Another authority may not upgrade it, and is told whose program it is.
    let intruder = Keypair::new();
    let refused = deploy_program(
        &rpc,
        &admin,
        &intruder,
        &staking_key,
        &staking_elf,
        &options,
        &|_| {},
    )
    .await
    .expect_err("wrong authority");
    match &refused {
        DeployError::WrongAuthority { on_chain, ours, .. } => {
            assert_eq!((*on_chain, *ours), (admin.pubkey(), intruder.pubkey()))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        refused.to_string().contains(&admin.pubkey().to_string()),
        "{refused}"
    );
    // What is already there is reported unchanged whoever asks.
    let same = deploy_program(
        &rpc,
        &admin,
        &intruder,
        &staking_key,
        &jobs_elf,
        &options,
        &|_| {},
    )
    .await
    .expect("unchanged");
    assert_eq!(same.outcome, DeployOutcome::Unchanged);

    // Back to the real staking build: a smaller ELF in the larger ProgramData (zero-padded).
    let back = deploy_all(&rpc, &admin, &dir, &options, &|_, _| {})
        .await
        .expect("downgrade");
    let outcomes: Vec<_> = back.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [DeployOutcome::Upgraded, DeployOutcome::Unchanged]
    );
    assert_eq!(back[0].extended_by, 0);
    let err = call_garbage(&rpc, &admin, STAKING_PROGRAM_ID).await;
    assert_eq!(err, custom(FALLBACK_NOT_FOUND));
    let rerun = deploy_all(&rpc, &admin, &dir, &options, &|_, _| {})
        .await
        .expect("rerun after downgrade");
    assert!(rerun.iter().all(|r| r.outcome == DeployOutcome::Unchanged));

    // Then initialise on the freshly deployed programs. A stranger cannot create the configs
    // first (only the upgrade authority can), so nobody can choose who creates pools/markets.
    let stranger = Keypair::new();
    let fund = anchor_lang::solana_program::system_instruction::transfer(
        &admin.pubkey(),
        &stranger.pubkey(),
        SOL,
    );
    rpc.send(&admin, &[fund], &[]).await.unwrap();
    let s = stranger.pubkey();
    for ix in [
        depin_client::ix::staking::initialize_config(&s, &s),
        depin_client::ix::jobs::initialize_config(&s, &s),
    ] {
        match rpc.send(&stranger, &[ix], &[]).await {
            Err(depin_client::ClientError::Program { name, .. }) => {
                assert_eq!(name, "NotUpgradeAuthority")
            }
            other => panic!("a stranger created a config: {other:?}"),
        }
    }
    let plan = depin_migrations::Plan::localnet();
    let (deployment, steps) = depin_migrations::migrate(&rpc, &admin, &plan)
        .await
        .expect("initialise");
    for what in ["staking config", "jobs config", "staking pool", "market"] {
        assert!(
            steps
                .iter()
                .any(|s| s.what == what && s.status == "created"),
            "{what}: {steps:?}"
        );
    }
    let (again, steps) = depin_migrations::migrate(&rpc, &admin, &plan)
        .await
        .expect("second initialise");
    assert_eq!(again, deployment);
    assert!(steps.iter().all(|s| s.status != "created"), "{steps:?}");
    // A market that exists with other terms than the plan's is refused, naming the fields.
    let mut other = plan.clone();
    other.market.fee_bps = 300;
    other.market.claim_window_secs = 45;
    let refused = depin_migrations::migrate(&rpc, &admin, &other)
        .await
        .expect_err("a differing market must be refused");
    let msg = format!("{refused:#}");
    assert!(
        msg.contains("fee_bps is 250, the plan says 300") && msg.contains("claim_window_secs"),
        "{msg}"
    );
    net.stop().unwrap();
}

/// Run `depin-migrate` with `args`; returns (success, stdout, stderr).
async fn depin_migrate(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_depin-migrate"))
        .args(args)
        .output()
        .await
        .expect("running depin-migrate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preloaded_programs_with_an_upgrade_authority_are_unchanged() {
    let admin = Keypair::new();
    let (net, rpc) = chain(&admin, true).await;
    assert!(net.has_program(&STAKING_PROGRAM_ID));
    assert!(net.has_program(&JOBS_PROGRAM_ID));
    for id in [STAKING_PROGRAM_ID, JOBS_PROGRAM_ID] {
        assert_eq!(program_data(&rpc, &id).await.0, Some(admin.pubkey()));
    }
    let reports = deploy_all(
        &rpc,
        &admin,
        &deploy_dir(),
        &DeployOptions::default(),
        &|_, _| {},
    )
    .await
    .expect("deploy over preloaded programs");
    assert!(reports
        .iter()
        .all(|r| r.outcome == DeployOutcome::Unchanged));

    // The binary: `--deploy` reports both programs unchanged (`--deploy-only`: the set-up steps
    // are `migrate`'s, tested with the market).
    let tmp = std::env::temp_dir().join(format!("depin-migrate-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let admin_file = tmp.join("admin.json");
    solana_sdk::signature::write_keypair_file(&admin, &admin_file).unwrap();
    let dir = deploy_dir();
    let base = [
        "-u",
        net.rpc_url(),
        "-k",
        admin_file.to_str().unwrap(),
        "--deploy",
        "--deploy-only",
        "--program-dir",
    ];
    let (ok, stdout, stderr) = depin_migrate(&[&base[..], &[dir.to_str().unwrap()]].concat()).await;
    assert!(ok, "{stdout}\n{stderr}");
    for (name, id) in [
        ("depin_staking", STAKING_PROGRAM_ID),
        ("depin_jobs", JOBS_PROGRAM_ID),
    ] {
        let line = format!("program {name} unchanged {id}");
        assert!(
            stdout.lines().any(|l| l == line),
            "no `{line}` in\n{stdout}"
        );
    }
    assert_eq!(stdout.lines().count(), 2, "{stdout}");

    // A program keypair that is not the program id is refused, naming both keys.
    let wrong_dir = tmp.join("deploy");
    std::fs::create_dir_all(&wrong_dir).unwrap();
    for file in [
        "depin_staking.so",
        "depin_jobs.so",
        "depin_jobs-keypair.json",
    ] {
        std::fs::copy(dir.join(file), wrong_dir.join(file)).unwrap();
    }
    let stranger = Keypair::new();
    solana_sdk::signature::write_keypair_file(
        &stranger,
        wrong_dir.join("depin_staking-keypair.json"),
    )
    .unwrap();
    let (ok, _, stderr) =
        depin_migrate(&[&base[..], &[wrong_dir.to_str().unwrap()]].concat()).await;
    assert!(!ok);
    assert!(stderr.contains(&stranger.pubkey().to_string()), "{stderr}");
    assert!(stderr.contains(&STAKING_PROGRAM_ID.to_string()), "{stderr}");
    std::fs::remove_dir_all(&tmp).unwrap();
    net.stop().unwrap();
}
