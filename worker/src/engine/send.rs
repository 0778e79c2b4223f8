//! Sending transactions: metrics and health per instruction, "already done" refusals as success, and the priority fee as a deadline nears.

use super::*;

impl Worker {
    /// Send `ixs`; a refusal named in `already` means the step was already taken (counts as
    /// success).
    pub(super) async fn send(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
    ) -> Result<(), ClientError> {
        self.send_paying(what, ixs, already, self.cfg.priority_fee(None))
            .await
    }

    /// [`Self::send`] of a transaction that must land by `deadline` (chain time, `now` now):
    /// its priority fee rises as the deadline nears (`WorkerConfig::priority_fee`).
    pub(super) async fn send_before(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
        (deadline, now): (i64, i64),
    ) -> Result<(), ClientError> {
        let fee = self.cfg.priority_fee(Some(deadline.saturating_sub(now)));
        self.send_paying(what, ixs, already, fee).await
    }

    pub(super) async fn send_paying(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
        fee: u64,
    ) -> Result<(), ClientError> {
        match self.chain.send(&self.me, ixs, fee).await {
            Ok(sig) => {
                self.metrics.inc(
                    crate::metrics::TRANSACTIONS_TOTAL,
                    &format!("instruction=\"{what}\""),
                );
                tracing::debug!(%sig, what, "confirmed");
                self.health.landed(what);
                Ok(())
            }
            Err(e) if program_error_name(&e).is_some_and(|n| already.contains(&n)) => {
                tracing::info!(what, error = %e, "already done");
                Ok(())
            }
            Err(e) => {
                self.metrics.inc(
                    crate::metrics::TRANSACTION_ERRORS_TOTAL,
                    &format!("instruction=\"{what}\""),
                );
                Err(e)
            }
        }
    }
}
