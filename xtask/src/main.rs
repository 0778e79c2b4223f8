//! `cargo xtask <task>`: project tasks that need no extra tools.
//!
//! * `idl`          regenerate `idl/<program>.json` for both programs from their code, through
//!                  Anchor's `idl-build` feature (what `anchor build` does, without the CLI);
//! * `idl --check`  regenerate into memory and fail if the committed IDL differs.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{bail, Context, Result};

const PROGRAMS: [(&str, &str); 2] = [
    ("depin_staking", "programs/depin-staking"),
    ("depin_jobs", "programs/depin-jobs"),
];

/// The workspace root. From `CARGO_MANIFEST_DIR` at run time (cargo sets it for `cargo run`),
/// not at compile time: with a target dir shared between checkouts (CI caches it outside the
/// clone), `target/debug/xtask` may have been built by another checkout, and would then check
/// that checkout's IDL.
fn root() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    Path::new(&package)
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Build one program's IDL as pretty JSON with a trailing newline.
fn build_idl(program_dir: &Path) -> Result<String> {
    // A target dir of its own: the IDL build uses other features and RUSTFLAGS, which would
    // otherwise invalidate the main build's cache.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("idl");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(program_dir.to_path_buf())
        .resolution(true)
        .skip_lint(false)
        .no_docs(false)
        .cargo_args(vec![
            "--locked".into(),
            "--target-dir".into(),
            target.display().to_string(),
        ])
        .build()
        .with_context(|| format!("building the IDL of {}", program_dir.display()))?;
    Ok(serde_json::to_string_pretty(&idl)? + "\n")
}

fn idl(check: bool) -> Result<()> {
    let root = root();
    let mut stale = Vec::new();
    for (name, dir) in PROGRAMS {
        let fresh = build_idl(&root.join(dir))?;
        let path = root.join("idl").join(format!("{name}.json"));
        let committed = fs::read_to_string(&path).unwrap_or_default();
        if committed == fresh {
            eprintln!("idl/{name}.json is up to date");
        } else if check {
            stale.push(format!("idl/{name}.json"));
        } else {
            fs::create_dir_all(path.parent().unwrap())?;
            fs::write(&path, fresh)?;
            eprintln!("wrote idl/{name}.json");
        }
    }
    if !stale.is_empty() {
        bail!(
            "stale IDL: {} (run `cargo xtask idl` and commit the result)",
            stale.join(", ")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    // anchor-lang-idl 0.1.4 runs `rustup toolchain install $RUSTUP_TOOLCHAIN` when that variable
    // is set (the rustup proxy sets it for `cargo run`), which updates the user's toolchain over
    // the network, and then passes a literal "+{toolchain}" to cargo. Never let it: the nested
    // cargo uses the toolchain that is active here anyway.
    // SAFETY: single-threaded at this point; nothing else reads the environment concurrently.
    unsafe { std::env::remove_var("RUSTUP_TOOLCHAIN") };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["idl"] => idl(false),
        ["idl", "--check"] => idl(true),
        _ => {
            eprintln!("usage: cargo xtask idl [--check]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
