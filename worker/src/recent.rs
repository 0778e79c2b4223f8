//! A set that remembers the last `cap` keys inserted: what a long-running worker keeps about
//! jobs it passed on (not assigned to it, refused by its policy), so it neither re-drives them
//! on every account update nor grows without bound over months of jobs.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// The last `cap` distinct keys inserted.
#[derive(Debug)]
pub struct RecentSet<K> {
    set: HashSet<K>,
    order: VecDeque<K>,
    cap: usize,
}

impl<K: Copy + Eq + Hash> RecentSet<K> {
    /// An empty set keeping at most `cap` keys (at least one).
    pub fn new(cap: usize) -> Self {
        RecentSet {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Remember `key`, forgetting the oldest key when full.
    pub fn insert(&mut self, key: K) {
        if !self.set.insert(key) {
            return;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    /// Whether `key` is remembered.
    pub fn contains(&self, key: &K) -> bool {
        self.set.contains(key)
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_beyond_its_cap() {
        let mut s = RecentSet::new(3);
        for k in [1, 2, 3, 2, 4] {
            s.insert(k);
        }
        assert_eq!(s.len(), 3);
        assert!(!s.contains(&1), "oldest forgotten");
        assert!(s.contains(&2) && s.contains(&3) && s.contains(&4));
        assert!(RecentSet::<u8>::new(0).is_empty());
    }
}
