//! The dashboard's HTML, rendered on the server from a [`Snapshot`]. The page refreshes
//! itself by fetching `/fragment` (the same rendering without the frame) every two seconds;
//! it works without scripts too (then it is a still picture). Every string that came from the
//! chain is escaped: URIs and names are chosen by strangers.

use std::fmt::Write;

use anchor_lang::prelude::Pubkey;
use depin_client::{history::JobEventKind, ops::outcome_name};
use serde::Serialize;

use super::index::JobRow;
use crate::ctx::{amount, iso};

/// A market as shown.
#[derive(Clone, Debug, Serialize)]
pub struct MarketView {
    /// Address.
    pub address: String,
    /// Fee, basis points.
    pub fee_bps: u16,
    /// Least bond.
    pub min_bond: u64,
    /// Claim / execution / reveal windows, seconds.
    pub windows: (u32, u32, u32),
    /// Paused.
    pub paused: bool,
    /// Jobs (open, settled, closed) in the index.
    pub jobs: (usize, usize, usize),
}

/// A provider as shown.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderView {
    /// Authority.
    pub authority: String,
    /// Staked, locked, unbonding (base units).
    pub staked: u64,
    /// Locked in bonds.
    pub locked: u64,
    /// Unbonding.
    pub unbonding: u64,
    /// Jobs completed (program counter).
    pub jobs_completed: u64,
    /// Jobs slashed (program counter).
    pub jobs_slashed: u64,
    /// Stake slashed in all (program counter).
    pub total_slashed: u64,
    /// Payment tokens earned in the indexed jobs.
    pub earned: u64,
    /// Its worker's endpoint.
    pub endpoint: String,
    /// Its published price floor per 10^9 fuel (`None`: no policy published).
    pub floor: Option<u64>,
}

/// A job as shown.
#[derive(Clone, Debug, Serialize)]
pub struct JobView {
    /// Address.
    pub job: String,
    /// Market.
    pub market: String,
    /// Requester.
    pub requester: String,
    /// `open`, `settled`, `closed`.
    pub status: String,
    /// Outcome, once known.
    pub outcome: Option<String>,
    /// Replicas.
    pub replicas: u8,
    /// Reward per replica (base units).
    pub reward: u64,
    /// Posting time (ISO), when known.
    pub posted: Option<String>,
    /// Timeline: (event, slots since posting).
    pub timeline: Vec<(String, u64)>,
}

/// Everything one page shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// Markets watched.
    pub markets: Vec<MarketView>,
    /// Newest jobs first.
    pub jobs: Vec<JobView>,
    /// Providers of the markets' pools, by stake.
    pub providers: Vec<ProviderView>,
    /// Chain slot at the last refresh.
    pub slot: u64,
    /// Chain time (ISO) at the last refresh.
    pub chain_time: String,
    /// Refreshes done.
    pub refreshes: u64,
    /// Transactions read so far.
    pub transactions: u64,
    /// The last refresh's error, if it failed.
    pub error: Option<String>,
    /// Decimals of the payment and stake mints (for amounts).
    pub decimals: (u8, u8),
}

fn event_name(k: &JobEventKind) -> String {
    match k {
        JobEventKind::Posted { .. } => "posted".into(),
        JobEventKind::Claimed { .. } => "claimed".into(),
        JobEventKind::Displaced { .. } => "displaced".into(),
        JobEventKind::Abandoned { .. } => "abandoned".into(),
        JobEventKind::Committed { .. } => "committed".into(),
        JobEventKind::Revealed { .. } => "revealed".into(),
        JobEventKind::Submitted { .. } => "submitted".into(),
        JobEventKind::Reclaimed { .. } => "reclaimed".into(),
        JobEventKind::Settled { outcome, .. } => format!("settled ({})", outcome_name(*outcome)),
        JobEventKind::Expired => "expired".into(),
        JobEventKind::Released { .. } => "released".into(),
        JobEventKind::Cancelled { .. } => "cancelled".into(),
        JobEventKind::Closed { .. } => "closed".into(),
    }
}

/// A job row for the page.
pub fn job_view(row: &JobRow) -> JobView {
    let (status, outcome) = row.status();
    let start = row.steps.first().map_or(0, |s| s.slot);
    JobView {
        job: row.job.to_string(),
        market: row.market.to_string(),
        requester: row.requester.to_string(),
        status: status.into(),
        outcome: outcome.map(str::to_string),
        replicas: row.replicas,
        reward: row.reward,
        posted: row.steps.first().and_then(|s| s.time).map(iso),
        timeline: row
            .steps
            .iter()
            .map(|s| (event_name(&s.kind), s.slot.saturating_sub(start)))
            .collect(),
    }
}

/// `s` safe inside HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn short(addr: &str) -> String {
    if addr.len() > 12 {
        format!("{}…{}", &addr[..6], &addr[addr.len() - 4..])
    } else {
        addr.to_string()
    }
}

/// Group consecutive equal events of a timeline: `claimed ×3 (+4)`.
fn timeline(steps: &[(String, u64)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < steps.len() {
        let (name, at) = &steps[i];
        let mut n = 1;
        while i + n < steps.len() && steps[i + n].0 == *name {
            n += 1;
        }
        let last = steps[i + n - 1].1;
        if !out.is_empty() {
            out.push_str(" → ");
        }
        let _ = write!(out, "<span class=\"ev\">{}", esc(name));
        if n > 1 {
            let _ = write!(out, " ×{n}");
        }
        let _ = write!(
            out,
            " <small>+{}</small></span>",
            if n > 1 { last } else { *at }
        );
        i += n;
    }
    out
}

/// The live part of the page.
pub fn fragment(s: &Snapshot) -> String {
    let (pay_dec, stake_dec) = s.decimals;
    let mut h = String::new();
    let _ = write!(
        h,
        "<p class=\"meta\">slot <b id=\"slot\">{}</b> · chain time {} · refreshes <span id=\"refreshes\">{}</span> · {} transactions read</p>",
        s.slot,
        esc(&s.chain_time),
        s.refreshes,
        s.transactions
    );
    if let Some(e) = &s.error {
        let _ = write!(
            h,
            "<p class=\"error\" id=\"error\">last refresh failed: {}</p>",
            esc(e)
        );
    }
    h.push_str("<h2>Markets</h2><table id=\"markets\"><tr><th>market</th><th>fee</th><th>min bond</th><th>claim / execution / reveal</th><th>open</th><th>settled</th><th>closed</th><th></th></tr>");
    for m in &s.markets {
        let _ = write!(
            h,
            "<tr data-market=\"{a}\"><td title=\"{a}\">{}</td><td>{:.2} %</td><td>{}</td><td>{} / {} / {} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&short(&m.address)),
            f64::from(m.fee_bps) / 100.0,
            amount(m.min_bond, stake_dec),
            m.windows.0,
            m.windows.1,
            m.windows.2,
            m.jobs.0,
            m.jobs.1,
            m.jobs.2,
            if m.paused { "<span class=\"bad\">paused</span>" } else { "" },
            a = esc(&m.address),
        );
    }
    h.push_str("</table><h2>Jobs</h2><table id=\"jobs\"><tr><th>job</th><th>posted</th><th>replicas</th><th>reward</th><th>state</th><th>timeline (slots since posting)</th></tr>");
    if s.jobs.is_empty() {
        h.push_str("<tr><td colspan=\"6\">no jobs yet</td></tr>");
    }
    for j in &s.jobs {
        let state = match &j.outcome {
            Some(o) => format!("{} ({o})", j.status),
            None => j.status.clone(),
        };
        let class = match j.outcome.as_deref() {
            Some("agreed") => "good",
            Some(_) => "bad",
            None => "",
        };
        let _ = write!(
            h,
            "<tr data-job=\"{a}\" data-status=\"{st}\"><td title=\"{a}\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            esc(&short(&j.job)),
            esc(j.posted.as_deref().unwrap_or("-")),
            j.replicas,
            amount(j.reward, pay_dec),
            esc(&state),
            timeline(&j.timeline),
            a = esc(&j.job),
            st = esc(&j.status),
        );
    }
    h.push_str("</table><h2>Providers</h2><table id=\"providers\"><tr><th>provider</th><th>staked</th><th>locked</th><th>unbonding</th><th>earned</th><th>jobs completed</th><th>slashed (jobs / stake)</th><th>price floor / 10⁹ fuel</th><th>endpoint</th></tr>");
    for p in &s.providers {
        let _ = write!(
            h,
            "<tr data-provider=\"{a}\"><td title=\"{a}\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td></tr>",
            esc(&short(&p.authority)),
            amount(p.staked, stake_dec),
            amount(p.locked, stake_dec),
            amount(p.unbonding, stake_dec),
            amount(p.earned, pay_dec),
            p.jobs_completed,
            p.jobs_slashed,
            amount(p.total_slashed, stake_dec),
            match p.floor {
                None => "no policy".to_string(),
                Some(0) => "any".to_string(),
                Some(f) => amount(f, pay_dec),
            },
            esc(&p.endpoint),
            a = esc(&p.authority),
        );
    }
    h.push_str("</table>");
    h
}

const STYLE: &str =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafbfc}\
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}\
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}\
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top}\
th{background:#f3f4f6;font-weight:600}code{font-size:13px}.meta{color:#57606a}\
.good{color:#116329;font-weight:600}.bad{color:#b42318;font-weight:600}.error{color:#b42318}\
.ev{white-space:nowrap}small{color:#6e7781}";

/// Fetches the fragment and swaps it in; counts refreshes so a reader sees it is live.
const SCRIPT: &str = "async function refresh(){try{const r=await fetch('/fragment',{cache:'no-store'});\
if(r.ok){document.getElementById('live').innerHTML=await r.text();document.body.dataset.live='1';}}catch(e){}}\
setInterval(refresh,2000);refresh();";

/// The whole page.
pub fn page(s: &Snapshot, title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body><h1>{t}</h1><div id=\"live\">{}</div><script>{SCRIPT}</script></body></html>",
        fragment(s),
        t = esc(title),
    )
}

/// Short form of an address for titles.
pub fn title_for(markets: &[Pubkey]) -> String {
    match markets {
        [one] => format!("depin-compute · market {}", short(&one.to_string())),
        _ => format!("depin-compute · {} markets", markets.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_from_the_chain_are_escaped() {
        let s = Snapshot {
            providers: vec![ProviderView {
                authority: "A".into(),
                staked: 0,
                locked: 0,
                unbonding: 0,
                jobs_completed: 0,
                jobs_slashed: 0,
                total_slashed: 0,
                earned: 0,
                endpoint: "http://x/<script>alert(1)</script>\"'".into(),
                floor: None,
            }],
            ..Snapshot::default()
        };
        let html = page(&s, "t");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"));
    }

    #[test]
    fn timelines_group_repeated_events() {
        let steps = vec![
            ("posted".to_string(), 0),
            ("claimed".to_string(), 3),
            ("claimed".to_string(), 4),
            ("claimed".to_string(), 5),
            ("settled (agreed)".to_string(), 19),
        ];
        let t = timeline(&steps);
        assert!(t.contains("claimed ×3 <small>+5</small>"), "{t}");
        assert!(t.contains("settled (agreed) <small>+19</small>"), "{t}");
    }
}
