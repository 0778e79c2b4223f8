//! Compute-unit report: every scenario on the SBF build (LiteSVM); per-instruction min / max
//! compute units, `--transactions` for every transaction, `--json` for both as JSON.
//! Run `scripts/build-sbf.sh` first.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let report = depin_tests::report::run();
    if args.iter().any(|a| a == "--json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.json()).expect("json")
        );
    } else {
        print!(
            "{}",
            report.markdown(args.iter().any(|a| a == "--transactions"))
        );
    }
}
