//! One module per instruction.

pub mod abandon_job;
pub mod cancel_job;
pub mod claim_job;
pub mod close_job;
pub mod commit_result;
pub mod expire_job;
pub mod initialize_config;
pub mod initialize_market;
pub mod post_job;
pub mod reclaim_slot;
pub mod release_slot;
pub mod reveal_result;
pub mod set_config_authority;
pub mod settle_job;
pub mod submit_result;
pub mod update_market;
pub mod withdraw_fees;

pub use abandon_job::*;
pub use cancel_job::*;
pub use claim_job::*;
pub use close_job::*;
pub use commit_result::*;
pub use expire_job::*;
pub use initialize_config::*;
pub use initialize_market::*;
pub use post_job::*;
pub use reclaim_slot::*;
pub use release_slot::*;
pub use reveal_result::*;
pub use set_config_authority::*;
pub use settle_job::*;
pub use submit_result::*;
pub use update_market::*;
pub use withdraw_fees::*;
