//! One module per instruction.

pub mod cancel_job;
pub mod claim_job;
pub mod initialize_market;
pub mod post_job;
pub mod update_market;

pub use cancel_job::*;
pub use claim_job::*;
pub use initialize_market::*;
pub use post_job::*;
pub use update_market::*;
