//! Decoding of program events from transaction logs.
//!
//! Anchor's `emit!` logs `Program data: <base64(discriminator ‖ borsh(event))>`. These helpers
//! find every such line whose discriminator matches the requested event type.
//!
//! ```
//! use depin_client::events::decode;
//! use depin_client::staking_program::events::Locked;
//! use anchor_lang::{prelude::Pubkey, Event};
//! use base64::Engine;
//!
//! let e = Locked { pool: Pubkey::new_unique(), provider: Pubkey::new_unique(), amount: 5, locked_before: 0, locked_after: 5 };
//! let line = format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(e.data()));
//! let found: Vec<Locked> = decode(&[line]);
//! assert_eq!(found[0].amount, 5);
//! ```

use anchor_lang::{prelude::Pubkey, AnchorDeserialize, Discriminator, Event};
use base64::Engine;

const PREFIX: &str = "Program data: ";

/// The `Program data:` lines that `program` itself logged, in order: those written while it was
/// the executing program, per the runtime's `Program <id> invoke [n]` / `Program <id> success`
/// / `Program <id> failed` lines. Any program can log any bytes, so data another program logs
/// (a forger's, in a transaction that also names a job) is left out; so is everything after
/// `Log truncated`, where the record stops being complete.
pub fn attributed<'a, S: AsRef<str>>(program: &Pubkey, logs: &'a [S]) -> Vec<&'a str> {
    let id = program.to_string();
    let mut stack: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in logs.iter().map(AsRef::as_ref) {
        if line.starts_with("Log truncated") {
            break;
        }
        if line.starts_with(PREFIX) {
            if stack.last() == Some(&id.as_str()) {
                out.push(line);
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        let Some((who, what)) = rest.split_once(' ') else {
            continue;
        };
        if what.starts_with("invoke [") {
            stack.push(who);
        } else if (what == "success" || what.starts_with("failed")) && stack.last() == Some(&who) {
            stack.pop();
        }
    }
    out
}

/// Every event of type `E` that `program` itself logged (see [`attributed`]), in order.
pub fn decode_from<E: Event + Discriminator + AnchorDeserialize>(
    program: &Pubkey,
    logs: &[impl AsRef<str>],
) -> Vec<E> {
    decode(&attributed(program, logs))
}

/// Every event of type `E` in `logs`, in order. Lines that are not events of type `E`
/// (other events, other programs' data, malformed base64) are skipped.
pub fn decode<E: Event + Discriminator + AnchorDeserialize>(logs: &[impl AsRef<str>]) -> Vec<E> {
    logs.iter()
        .filter_map(|line| line.as_ref().strip_prefix(PREFIX))
        .filter_map(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .filter_map(|bytes| {
            let body = bytes.strip_prefix(E::DISCRIMINATOR)?;
            E::deserialize(&mut &body[..]).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staking_program::events::Locked;

    fn data(amount: u64) -> String {
        let e = Locked {
            pool: Pubkey::default(),
            provider: Pubkey::default(),
            amount,
            locked_before: 0,
            locked_after: amount,
        };
        format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(e.data())
        )
    }

    #[test]
    fn only_the_named_programs_own_data_counts() {
        let (ours, forger) = (Pubkey::new_unique(), Pubkey::new_unique());
        let logs = vec![
            format!("Program {forger} invoke [1]"),
            data(1), // the forger's, at top level
            format!("Program {ours} invoke [2]"),
            data(2), // ours, called by the forger
            format!("Program {forger} invoke [3]"),
            data(3), // the forger again, called by us
            format!("Program {forger} success"),
            data(4), // ours again
            format!("Program {ours} success"),
            data(5),
            format!("Program {forger} success"),
            format!("Program {ours} invoke [1]"),
            data(6),
            "Log truncated".to_string(),
            data(7),
        ];
        let amounts: Vec<u64> = decode_from::<Locked>(&ours, &logs)
            .iter()
            .map(|e| e.amount)
            .collect();
        assert_eq!(amounts, vec![2, 4, 6]);
        assert!(
            decode_from::<Locked>(&ours, &[data(9)]).is_empty(),
            "no invoke line: nobody's"
        );
    }
}
