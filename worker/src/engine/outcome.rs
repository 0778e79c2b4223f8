//! How a job ended for this worker: journalled as text (what `depin-worker` operators read),
//! counted by a fixed label (`depin_worker_jobs_total{outcome}`), never parsed back.

use std::fmt;

/// A job's end, from this worker's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A winner (or a revealer of a job without a quorum): paid this much.
    Paid(u64),
    /// A wrong, missing or withheld result: this much of the bond slashed.
    Slashed(u64),
    /// Released without pay or penalty (an expired job).
    Released,
    /// The job account was closed after this worker's part was done, or before it.
    Closed {
        /// Whether this worker had finished its part (revealed) first.
        finished: bool,
    },
    /// The slot was given back (`abandon_job`) for this reason.
    Abandoned(String),
    /// The slot's deadline passed without a commitment; reclaimed at the no-show rate.
    Late(String),
    /// The slot or its commitment was lost (taken back by a better-ranked claim, a
    /// commitment that could not be reopened).
    Lost(String),
    /// Passed on before holding a slot (not assigned, refused, a claim refused).
    Skipped(String),
}

impl Outcome {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Paid(_) => "paid",
            Outcome::Slashed(_) => "slashed",
            Outcome::Released => "released",
            Outcome::Closed { .. } => "closed",
            Outcome::Abandoned(_) => "abandoned",
            Outcome::Late(_) => "late",
            Outcome::Lost(_) => "lost",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Paid(n) => write!(f, "paid {n}"),
            Outcome::Slashed(n) => write!(f, "slashed {n}"),
            Outcome::Released => f.write_str("released"),
            Outcome::Closed { finished: true } => f.write_str("job closed"),
            Outcome::Closed { finished: false } => {
                f.write_str("job closed before this worker finished")
            }
            Outcome::Abandoned(why) => write!(f, "abandoned: {why}"),
            Outcome::Late(why) => write!(f, "late: {why}; slot reclaimed at the no-show rate"),
            Outcome::Lost(why) => write!(f, "lost: {why}"),
            Outcome::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_labels() {
        assert_eq!(Outcome::Paid(9750).to_string(), "paid 9750");
        assert_eq!(
            Outcome::Abandoned("module: 404".into()).to_string(),
            "abandoned: module: 404"
        );
        assert_eq!(Outcome::Closed { finished: false }.label(), "closed");
        assert_eq!(Outcome::Skipped("x".into()).label(), "skipped");
    }
}
