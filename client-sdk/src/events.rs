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

use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::Engine;

const PREFIX: &str = "Program data: ";

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
