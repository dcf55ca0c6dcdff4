//! The timers of one time domain: a global queue in firing order plus a
//! per-key-group index for dedup, deletion and snapshots.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::hash::{KeyMap, key_map};

use super::{FiredTimer, TimeDomain};

/// One domain's timers over a range of key groups.
///
/// Each key's bytes are stored once (an `Arc` shared by the queue and the
/// index), and lookups by borrowed key bytes do not allocate.
#[derive(Debug)]
pub(super) struct DomainTimers {
    domain: TimeDomain,
    /// First owned key group; `groups[kg - start]`.
    start: u32,
    /// Every timer as `(timestamp, key, key group)`: firing order.
    queue: BTreeSet<(i64, Arc<[u8]>, u32)>,
    groups: Vec<GroupTimers>,
}

/// The timers of one key group.
#[derive(Debug)]
pub(super) struct GroupTimers {
    /// Every timer as `(key, timestamp)`: snapshot order, and dedup.
    by_key: BTreeSet<(Arc<[u8]>, i64)>,
    /// Each key with timers, and how many it has.
    keys: KeyMap<Arc<[u8]>, u32>,
}

impl GroupTimers {
    pub(super) fn new() -> Self {
        GroupTimers {
            by_key: BTreeSet::new(),
            keys: key_map(),
        }
    }

    /// Number of timers.
    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The shared copy of `key`, if it has timers.
    fn interned(&self, key: &[u8]) -> Option<Arc<[u8]>> {
        self.keys.get_key_value(key).map(|(k, _)| k.clone())
    }

    /// Adds a timer and returns the key's shared bytes; `None` if the timer
    /// was there already.
    pub(super) fn insert(&mut self, key: &[u8], timestamp: i64) -> Option<Arc<[u8]>> {
        let key = match self.interned(key) {
            Some(key) if self.by_key.contains(&(key.clone(), timestamp)) => return None,
            Some(key) => key,
            None => Arc::from(key),
        };
        self.by_key.insert((key.clone(), timestamp));
        *self.keys.entry(key.clone()).or_insert(0) += 1;
        Some(key)
    }

    /// Removes a timer; the key's shared bytes if it was there.
    fn remove(&mut self, key: &[u8], timestamp: i64) -> Option<Arc<[u8]>> {
        let key = self.interned(key)?;
        if !self.by_key.remove(&(key.clone(), timestamp)) {
            return None;
        }
        self.release(&key);
        Some(key)
    }

    fn contains(&self, key: &[u8], timestamp: i64) -> bool {
        self.interned(key)
            .is_some_and(|key| self.by_key.contains(&(key, timestamp)))
    }

    /// Forgets one timer of `key` in the per-key counts.
    fn release(&mut self, key: &[u8]) {
        if let Some(count) = self.keys.get_mut(key) {
            *count -= 1;
            if *count == 0 {
                self.keys.remove(key);
            }
        }
    }

    /// Each key with its timestamps, in key then time order.
    pub(super) fn by_key(&self) -> impl Iterator<Item = (&[u8], Vec<i64>)> + '_ {
        let mut iter = self.by_key.iter().peekable();
        std::iter::from_fn(move || {
            let (key, first) = iter.next()?;
            let mut stamps = vec![*first];
            while let Some((_, ts)) = iter.next_if(|(k, _)| k == key) {
                stamps.push(*ts);
            }
            Some((&**key, stamps))
        })
    }
}

impl DomainTimers {
    pub(super) fn new(domain: TimeDomain, start: u32, n_groups: usize) -> Self {
        DomainTimers {
            domain,
            start,
            queue: BTreeSet::new(),
            groups: (0..n_groups).map(|_| GroupTimers::new()).collect(),
        }
    }

    /// Number of timers.
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn group(&self, key_group: u32) -> &GroupTimers {
        &self.groups[(key_group - self.start) as usize]
    }

    pub(super) fn contains(&self, key_group: u32, key: &[u8], timestamp: i64) -> bool {
        self.group(key_group).contains(key, timestamp)
    }

    /// Adds a timer; false if it was there already.
    pub(super) fn insert(&mut self, key_group: u32, key: &[u8], timestamp: i64) -> bool {
        let group = &mut self.groups[(key_group - self.start) as usize];
        match group.insert(key, timestamp) {
            Some(key) => self.queue.insert((timestamp, key, key_group)),
            None => false,
        }
    }

    /// Removes a timer; false if there was none.
    pub(super) fn remove(&mut self, key_group: u32, key: &[u8], timestamp: i64) -> bool {
        let group = &mut self.groups[(key_group - self.start) as usize];
        match group.remove(key, timestamp) {
            Some(key) => self.queue.remove(&(timestamp, key, key_group)),
            None => false,
        }
    }

    /// The earliest timestamp of any timer.
    pub(super) fn next(&self) -> Option<i64> {
        self.queue.first().map(|t| t.0)
    }

    /// Removes and returns every timer at or before `until`, in firing
    /// order (timestamp, then key bytes).
    pub(super) fn drain(&mut self, until: i64) -> Vec<FiredTimer> {
        let mut fired = Vec::new();
        while self.queue.first().is_some_and(|t| t.0 <= until) {
            let (timestamp, key, key_group) = self.queue.pop_first().expect("checked non-empty");
            let group = &mut self.groups[(key_group - self.start) as usize];
            group.by_key.remove(&(key.clone(), timestamp));
            group.release(&key);
            fired.push(FiredTimer {
                key_group,
                key: key.to_vec(),
                timestamp,
                domain: self.domain,
            });
        }
        fired
    }

    /// Swaps key group `key_group`'s timers for `group`.
    pub(super) fn replace_group(&mut self, key_group: u32, group: GroupTimers) {
        let slot = &mut self.groups[(key_group - self.start) as usize];
        for (key, ts) in &slot.by_key {
            self.queue.remove(&(*ts, key.clone(), key_group));
        }
        for (key, ts) in &group.by_key {
            self.queue.insert((*ts, key.clone(), key_group));
        }
        *slot = group;
    }
}
