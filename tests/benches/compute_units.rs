//! `cargo bench -p depin-tests --bench compute_units`: compute units of every instruction of
//! both programs, measured on the SBF build (run `scripts/build-sbf.sh` first), printed as a
//! markdown table with the machine it ran on. Compute units are deterministic, so one run of
//! every scenario is the measurement.

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: both just run.
    let report = depin_tests::report::run();
    println!(
        "compute units on the SBF build ({} {}, {} cores)\n",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    print!("{}", report.markdown(false));
}
