//! `depin dashboard` in a real browser: the local chain with three workers runs a 3-replica
//! job, the dashboard binary serves the market, and Debian's Chromium (headless, installed by
//! scripts/setup.sh) loads the page. The test asserts on the DOM Chromium rendered after the
//! page's own script refreshed it, and on a screenshot. It also holds 200 idle sockets open
//! against the server and checks that the page still answers.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use depin_client::{blob::FileStore, manifest::DraftManifest, ops::JobTerms};
use depin_migrations::{local::LocalMarket, Plan};
use depin_worker::{Worker, WorkerConfig};
use solana_sdk::signature::{Keypair, Signer};

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.1 GET; (status, body).
fn get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

fn chromium(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", dir.display()))
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dashboard_renders_a_live_market_in_a_real_browser() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium"
    );
    let requester = Keypair::new();
    let workers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let wallets: Vec<_> = std::iter::once(&requester)
        .chain(&workers)
        .map(|k| k.pubkey())
        .collect();
    let local = LocalMarket::start(&repo().join("target/deploy"), &Plan::localnet(), &wallets)
        .await
        .expect("local market");
    local
        .fund_requester(&requester.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("depin-dashboard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, w) in workers.iter().enumerate() {
        local.provider(w, 10_000_000, 5_000_000).await.unwrap();
        let cfg = WorkerConfig::beside(
            &local.market,
            local.rpc_url(),
            local.ws_url(),
            dir.join(format!("worker-{i}")),
        );
        let worker = Worker::new(cfg, w.insecure_clone()).await.unwrap();
        tokio::spawn(async move { worker.run().await });
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let draft = DraftManifest::load(&repo().join("examples/monte-carlo-pi/job.json")).unwrap();
    let manifest = draft.upload(&store).await.unwrap();
    let posted = local
        .rpc
        .post_manifest(
            &requester,
            &local.market,
            &manifest,
            &store,
            JobTerms::majority(2_000_000, 3),
        )
        .await
        .unwrap();
    local
        .rpc
        .wait_job(&posted.job, Duration::from_secs(90))
        .await
        .unwrap();
    let job = posted.job.to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_depin"))
        .args(["-u", local.rpc_url(), "--ws-url", local.ws_url()])
        .args(["dashboard", "--listen", "127.0.0.1:0", "--market"])
        .arg(local.market.to_string())
        .env("DEPIN_CONFIG", dir.join("no-config.json"))
        .env_remove("DEPIN_DEPLOYMENT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start depin dashboard");
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{first}`"))
        .to_string();
    let addr = url.trim_start_matches("http://").to_string();

    // Wait until the refresher has read the job's transactions.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(&addr, "/api/state").unwrap();
        if status == 200 && body.contains(&job) && get(&addr, "/health").unwrap().0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the job never showed: {body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // 200 idle sockets (no request sent) do not take the page down.
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    assert!(idle.len() >= 150, "only {} sockets opened", idle.len());
    let started = Instant::now();
    let (status, _) = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || get(&addr, "/health")
    })
    .await
    .unwrap()
    .expect("the server still answers with idle sockets held open");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    drop(idle);

    // The DOM after Chromium ran the page's script (which refreshes it from /fragment).
    let profile = dir.join("chromium");
    let dom = tokio::task::spawn_blocking({
        let (profile, url) = (profile.clone(), url.clone());
        move || {
            chromium(
                &profile,
                &["--virtual-time-budget=5000", "--dump-dom", &url],
            )
        }
    })
    .await
    .unwrap();
    assert!(
        dom.contains("data-live=\"1\""),
        "the page's refresh did not run:\n{dom}"
    );
    let row = dom
        .split("<tr")
        .find(|r| r.contains(&format!("data-job=\"{job}\"")))
        .unwrap_or_else(|| panic!("no row for {job}:\n{dom}"));
    assert!(row.contains("agreed"), "{row}");
    // The timeline groups consecutive events of a kind ("claimed ×2 → committed → claimed"
    // when a claim lands after another holder's commitment): count them all.
    let count = |kind: &str| -> usize {
        row.split("<span class=\"ev\">")
            .skip(1)
            .filter_map(|ev| ev.strip_prefix(kind))
            .filter(|rest| rest.starts_with(' ') || rest.starts_with('<'))
            .map(|rest| {
                rest.trim_start()
                    .strip_prefix('×')
                    .and_then(|n| n.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1)
            })
            .sum()
    };
    assert_eq!(count("claimed"), 3, "{row}");
    assert_eq!(count("revealed"), 3, "{row}");
    let providers = dom.matches("data-provider=").count();
    assert_eq!(providers, 3, "{dom}");
    assert!(
        dom.contains("1.95"),
        "earnings of 1.95 tokens per provider:\n{dom}"
    );

    // A screenshot of the page: a real PNG of the asked size with something drawn on it.
    let png = dir.join("dashboard.png");
    tokio::task::spawn_blocking({
        let (profile, url, png) = (profile.clone(), url.clone(), png.clone());
        move || {
            chromium(
                &profile,
                &[
                    "--virtual-time-budget=3000",
                    "--window-size=1280,900",
                    &format!("--screenshot={}", png.display()),
                    &url,
                ],
            )
        }
    })
    .await
    .unwrap();
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 900));
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
    if let Some(keep) = std::env::var_os("DEPIN_DASHBOARD_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
