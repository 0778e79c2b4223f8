//! One module per instruction.

pub mod abandon_job;
pub mod cancel_job;
pub mod claim_job;
pub mod commit_result;
pub mod initialize_market;
pub mod post_job;
pub mod reveal_result;
pub mod update_market;

pub use abandon_job::*;
pub use cancel_job::*;
pub use claim_job::*;
pub use commit_result::*;
pub use initialize_market::*;
pub use post_job::*;
pub use reveal_result::*;
pub use update_market::*;
