//! The timers of one time domain: a queue of timestamp buckets in firing
//! order plus a per-key-group index for dedup, deletion and snapshots.
//!
//! Timers gather on few timestamps (every key's window ends on the same
//! millisecond), so the queue keeps one bucket per timestamp: registering a
//! timer is a hash lookup in the index and a push onto its bucket, and a
//! bucket is sorted by key only when it fires. Deleting a timer only marks
//! its bucket entry stale (the index no longer has it); a bucket whose
//! timers are all deleted is dropped, and one with more stale entries than
//! live ones is compacted, so stale entries never outnumber live timers by
//! much.

use std::collections::BTreeMap;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::hash::{KeyMap, key_map};

use super::{FiredTimer, TimeDomain};

/// A key's timestamps, unordered; most keys have one or two.
type Stamps = SmallVec<[i64; 2]>;

/// One domain's timers over a range of key groups.
///
/// Each key's bytes are stored once while it has timers (an `Arc` shared by
/// the index and the buckets), and lookups by borrowed key bytes do not
/// allocate.
#[derive(Debug)]
pub(super) struct DomainTimers {
    domain: TimeDomain,
    /// First owned key group; `groups[kg - start]`.
    start: u32,
    /// The timers by timestamp. An entry is live while its key group's
    /// index has `(key, timestamp)`; a bucket is kept only while it has a
    /// live timer.
    queue: BTreeMap<i64, Bucket>,
    groups: Vec<GroupTimers>,
    len: usize,
}

/// The timers registered at one timestamp.
#[derive(Debug, Default)]
struct Bucket {
    /// `(key, key group)` in registration order; may hold stale entries and
    /// duplicates of a timer deleted and registered again.
    entries: Vec<(Arc<[u8]>, u32)>,
    /// How many of them are live timers.
    live: usize,
}

/// The timers of one key group.
#[derive(Debug)]
pub(super) struct GroupTimers {
    /// Each key with timers and their timestamps.
    keys: KeyMap<Arc<[u8]>, Stamps>,
    len: usize,
}

impl GroupTimers {
    pub(super) fn new() -> Self {
        GroupTimers {
            keys: key_map(),
            len: 0,
        }
    }

    /// Number of timers.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Adds a timer and returns the key's shared bytes; `None` if the timer
    /// was there already.
    pub(super) fn insert(&mut self, key: &[u8], timestamp: i64) -> Option<Arc<[u8]>> {
        let shared = match self.keys.get_mut(key) {
            Some(stamps) => {
                if stamps.contains(&timestamp) {
                    return None;
                }
                stamps.push(timestamp);
                let (shared, _) = self.keys.get_key_value(key).expect("found above");
                shared.clone()
            }
            None => {
                let shared: Arc<[u8]> = Arc::from(key);
                let mut stamps = Stamps::new();
                stamps.push(timestamp);
                self.keys.insert(shared.clone(), stamps);
                shared
            }
        };
        self.len += 1;
        Some(shared)
    }

    /// Removes a timer; false if there was none.
    fn remove(&mut self, key: &[u8], timestamp: i64) -> bool {
        let Some(stamps) = self.keys.get_mut(key) else {
            return false;
        };
        let Some(i) = stamps.iter().position(|t| *t == timestamp) else {
            return false;
        };
        stamps.swap_remove(i);
        if stamps.is_empty() {
            self.keys.remove(key);
        }
        self.len -= 1;
        true
    }

    fn contains(&self, key: &[u8], timestamp: i64) -> bool {
        self.keys
            .get(key)
            .is_some_and(|stamps| stamps.contains(&timestamp))
    }

    /// Each key with its timestamps, in key then time order.
    pub(super) fn by_key(&self) -> Vec<(&[u8], Vec<i64>)> {
        let mut keys: Vec<(&[u8], Vec<i64>)> = self
            .keys
            .iter()
            .map(|(key, stamps)| {
                let mut stamps = stamps.to_vec();
                stamps.sort_unstable();
                (&**key, stamps)
            })
            .collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        keys
    }

    /// Every timer as `(shared key, timestamp)`, in no particular order.
    fn timers(&self) -> impl Iterator<Item = (&Arc<[u8]>, i64)> + '_ {
        self.keys
            .iter()
            .flat_map(|(key, stamps)| stamps.iter().map(move |ts| (key, *ts)))
    }
}

impl DomainTimers {
    pub(super) fn new(domain: TimeDomain, start: u32, n_groups: usize) -> Self {
        DomainTimers {
            domain,
            start,
            queue: BTreeMap::new(),
            groups: (0..n_groups).map(|_| GroupTimers::new()).collect(),
            len: 0,
        }
    }

    /// Number of timers.
    pub(super) fn len(&self) -> usize {
        self.len
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
        let Some(key) = group.insert(key, timestamp) else {
            return false;
        };
        let bucket = self.queue.entry(timestamp).or_default();
        bucket.entries.push((key, key_group));
        bucket.live += 1;
        self.len += 1;
        true
    }

    /// Removes a timer; false if there was none.
    pub(super) fn remove(&mut self, key_group: u32, key: &[u8], timestamp: i64) -> bool {
        let group = &mut self.groups[(key_group - self.start) as usize];
        if !group.remove(key, timestamp) {
            return false;
        }
        self.len -= 1;
        self.forget(timestamp, 1);
        true
    }

    /// `n` live timers at `timestamp` are gone from the index: drops the
    /// bucket when none is left, compacts it when mostly stale.
    fn forget(&mut self, timestamp: i64, n: usize) {
        let Some(bucket) = self.queue.get_mut(&timestamp) else {
            return;
        };
        bucket.live -= n;
        if bucket.live == 0 {
            self.queue.remove(&timestamp);
        } else if bucket.entries.len() > 2 * bucket.live + 8 {
            let groups = &self.groups;
            let start = self.start;
            bucket
                .entries
                .sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            bucket.entries.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
            bucket
                .entries
                .retain(|(key, kg)| groups[(kg - start) as usize].contains(key, timestamp));
        }
    }

    /// The earliest timestamp of any timer.
    pub(super) fn next(&self) -> Option<i64> {
        self.queue.first_key_value().map(|(ts, _)| *ts)
    }

    /// Removes and returns every timer at or before `until`, in firing
    /// order (timestamp, then key bytes).
    pub(super) fn drain(&mut self, until: i64) -> Vec<FiredTimer> {
        let mut fired = Vec::new();
        while let Some(entry) = self.queue.first_entry() {
            if *entry.key() > until {
                break;
            }
            let (timestamp, mut bucket) = entry.remove_entry();
            bucket
                .entries
                .sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            for (key, key_group) in bucket.entries {
                // Stale entries (deleted timers) are no longer indexed, and a
                // duplicate finds its timer removed by the first copy.
                let group = &mut self.groups[(key_group - self.start) as usize];
                if group.remove(&key, timestamp) {
                    self.len -= 1;
                    fired.push(FiredTimer {
                        key_group,
                        key: key.to_vec(),
                        timestamp,
                        domain: self.domain,
                    });
                }
            }
        }
        fired
    }

    /// Swaps key group `key_group`'s timers for `group`.
    pub(super) fn replace_group(&mut self, key_group: u32, group: GroupTimers) {
        let gi = (key_group - self.start) as usize;
        let old = std::mem::replace(&mut self.groups[gi], group);
        self.len -= old.len();
        let mut gone: BTreeMap<i64, usize> = BTreeMap::new();
        for (_, ts) in old.timers() {
            *gone.entry(ts).or_default() += 1;
        }
        for (ts, n) in gone {
            self.forget(ts, n);
        }
        let added: Vec<(Arc<[u8]>, i64)> = self.groups[gi]
            .timers()
            .map(|(key, ts)| (key.clone(), ts))
            .collect();
        self.len += added.len();
        for (key, ts) in added {
            let bucket = self.queue.entry(ts).or_default();
            bucket.entries.push((key, key_group));
            bucket.live += 1;
        }
    }
}
