//! The README's "Using it" section, run literally: every line of its code block, in order,
//! through the built binaries only (`depin`, `depin-worker`), with `<MARKET>` and `<JOB>`
//! filled in from what earlier lines printed. No cheat codes, no SDK calls, no other tools: a
//! new user with the README and the binaries gets a chain, keys, tokens, a provider with a
//! worker, a job posted, waited, read, and read again after its account is closed, then the
//! stake back.
//!
//! The lines run in a fresh folder (with `examples/` and `target/` linked from the repository)
//! and a fresh `$HOME`, so the default keypair and the config file are the test's own. The
//! local chain takes the README's fixed ports (8899, 8900) and the worker its default 9400:
//! this test runs in the `local-chain` group, one at a time.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The commands of the "Using it" code block: (command, comment).
fn readme_lines() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let section = readme
        .split("## Using it")
        .nth(1)
        .expect("a `## Using it` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```sh block in `Using it`");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once(" # ") {
            Some((cmd, comment)) => (cmd.trim().to_string(), comment.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

/// Background processes, killed when the test ends however it ends.
struct Background(Vec<(String, Child)>);

impl Drop for Background {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Walk {
    dir: PathBuf,
    home: PathBuf,
    bin: PathBuf,
    vars: HashMap<&'static str, String>,
    background: Background,
}

impl Walk {
    fn command(&self, line: &str) -> Command {
        let mut line = line.to_string();
        for (k, v) in &self.vars {
            line = line.replace(k, v);
        }
        assert!(
            !line.contains('<'),
            "`{line}`: a placeholder no earlier line filled"
        );
        let mut words = line.split_whitespace();
        let program = words.next().expect("a command");
        let mut cmd = Command::new(self.bin.join(program));
        cmd.args(words)
            .current_dir(&self.dir)
            .env("HOME", &self.home)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()));
        // Nothing from the environment running the test leaks into the walk.
        for (k, _) in std::env::vars() {
            if k.starts_with("DEPIN_") {
                cmd.env_remove(k);
            }
        }
        cmd
    }

    /// Run a foreground line; its stdout (stderr on failure in the panic).
    fn run(&self, line: &str) -> String {
        let out = self.command(line).output().expect("start the command");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            out.status.success(),
            "README line `{line}` failed:\n{stdout}\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        stdout + &stderr
    }

    /// Start a `&` line; for `depin localnet`, wait until it says it serves.
    fn spawn(&mut self, line: &str) {
        let mut cmd = self.command(line);
        let localnet = line.starts_with("depin localnet");
        cmd.stdout(if localnet {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start the background command");
        if localnet {
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send(l);
                }
            });
            self.background.0.push((line.to_string(), child));
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut seen = Vec::new();
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(l) if l.contains("Ctrl-C stops it") => break,
                    Ok(l) => {
                        if let Some(m) = l.strip_prefix("market ") {
                            self.vars.insert("<MARKET>", m.trim().to_string());
                        }
                        seen.push(l);
                    }
                    Err(_) => panic!("`{line}` did not come up:\n{}", seen.join("\n")),
                }
            }
            assert!(
                seen.iter().any(|l| l.contains("export DEPIN_URL=")),
                "no export lines printed:\n{}",
                seen.join("\n")
            );
        } else {
            self.background.0.push((line.to_string(), child));
        }
    }

    /// Wait until `job status` says the job's account is gone (the worker closed it).
    fn wait_closed(&self, job: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let out = self.run(&format!("depin job status {job}"));
            if out.contains("from the transaction history") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} was never closed:\n{out}"
            );
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

fn link(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).expect("symlink");
}

#[test]
fn the_readme_using_it_section_works_as_written() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_depin"))
        .parent()
        .unwrap()
        .to_path_buf();
    assert!(
        bin.join("depin-worker").exists(),
        "depin-worker is not built next to depin ({}): build the workspace",
        bin.display()
    );
    let dir = std::env::temp_dir().join(format!("depin-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    link(&repo().join("examples"), &dir.join("examples"));
    link(&repo().join("target"), &dir.join("target"));
    let mut walk = Walk {
        dir: dir.clone(),
        home,
        bin,
        vars: HashMap::new(),
        background: Background(Vec::new()),
    };

    let lines = readme_lines();
    let has = |prefix: &str| lines.iter().any(|(l, _)| l.starts_with(prefix));
    for needed in [
        "depin localnet",
        "depin keygen",
        "depin airdrop",
        "depin balance",
        "depin -k provider.json provider register",
        "depin-worker",
        "depin job post",
        "depin job wait",
        "depin job result",
        "depin job logs",
        "depin job list",
        "depin -k provider.json provider unstake",
        "depin -k provider.json provider withdraw",
    ] {
        assert!(has(needed), "the README no longer shows `{needed}`");
    }

    let mut results = 0;
    let mut statuses_after_close = 0;
    for (line, comment) in &lines {
        if let Some(bg) = line.strip_suffix('&') {
            walk.spawn(bg.trim());
            continue;
        }
        if comment.contains("closed it") {
            walk.wait_closed(&walk.vars["<JOB>"]);
            statuses_after_close += 1;
        }
        if comment.contains("unbonding delay") {
            std::thread::sleep(Duration::from_secs(11));
        }
        let out = walk.run(line);
        if line.starts_with("depin job post") {
            let job = out
                .lines()
                .find_map(|l| l.strip_prefix("posted job "))
                .expect("`job post` prints the job's address")
                .trim()
                .to_string();
            walk.vars.insert("<JOB>", job);
        } else if line == "depin balance" {
            assert!(out.contains("payment tokens  1000"), "{out}");
            assert!(out.contains("stake tokens    1000"), "{out}");
        } else if line.starts_with("depin job result") {
            // heat-diffusion's output, verified against the agreed hash by the CLI.
            assert!(out.contains("mean_temperature"), "{out}");
            assert!(out.contains("match the agreed hash"), "{out}");
            results += 1;
        } else if line.starts_with("depin job logs") {
            assert!(
                out.contains("input bytes") && out.contains("output bytes"),
                "{out}"
            );
            assert!(out.contains("are covered by the agreed hash"), "{out}");
        } else if line.starts_with("depin job status") && comment.contains("closed it") {
            assert!(out.contains("closed (agreed)"), "{out}");
            assert!(
                out.contains("revealed") || out.contains("submitted"),
                "{out}"
            );
        } else if line == "depin job list" {
            let job = &walk.vars["<JOB>"];
            assert!(
                out.lines()
                    .any(|l| l.starts_with(job.as_str()) && l.contains("closed")),
                "the closed job is not listed:\n{out}"
            );
        } else if line == "depin -k provider.json balance" {
            assert!(out.contains("earned          1.95"), "{out}");
        } else if line.starts_with("depin -k provider.json provider withdraw") {
            let shown = walk.run("depin -k provider.json balance");
            assert!(shown.contains("staked          0 "), "{shown}");
            assert!(shown.contains("stake tokens    1000"), "{shown}");
        }
    }
    assert_eq!((results, statuses_after_close), (1, 1));
    // The worker is still alive at the end: nothing it did made it exit.
    for (line, child) in &mut walk.background.0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "`{line}` exited before the end"
        );
    }
    drop(walk);
    let _ = std::fs::remove_dir_all(&dir);
}
