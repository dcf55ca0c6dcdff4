//! The write-back cache in front of the state column family.
//!
//! Every record the backend reads is kept here, and every write lands here
//! first: the database sees a write only when the cache is flushed — before
//! a scan, a snapshot or a restore, and when the cache outgrows its budget.
//! A record written and deleted between two flushes (a window's accumulator
//! that fires within a checkpoint interval, the common case) never reaches
//! RocksDB at all, and a read of a record the cache holds costs a hash
//! lookup instead of a memtable and SST probe. Kafka Streams puts the same
//! kind of record cache in front of its RocksDB stores.
//!
//! Nothing here is durable: like the memtables (the database runs without
//! its write-ahead log), the cache is made durable by the checkpoint, which
//! flushes it first. A failure restores from the last checkpoint, so what a
//! lost cache held is redone from the sources.
//!
//! When the cache's records take more than its budget, it is flushed and
//! emptied as a whole (rather than evicting one record at a time): simple,
//! one write batch, and with a budget of tens of MiB rare.

use weir_state::hash::{KeyMap, key_map};

/// Bytes a cached record costs on top of its key and value: the map's slot,
/// the two vectors' headers, the allocator's rounding.
const SLOT_OVERHEAD: usize = 80;

/// One record as the backend last saw or wrote it.
struct Slot {
    /// The record, or `None` where the database has none (or it was deleted).
    value: Option<Vec<u8>>,
    /// Written since the last flush; then whether the database held the key
    /// before (a delete of a key it never held needs no tombstone: the slot
    /// is dropped).
    dirty: Option<bool>,
}

/// A write-back cache of the state column family's records.
pub(crate) struct WriteCache {
    slots: KeyMap<Vec<u8>, Slot>,
    /// Keys, values and [`SLOT_OVERHEAD`] of every slot.
    bytes: usize,
    budget: usize,
    dirty: usize,
}

/// A record to write when the cache is flushed: key and value (`None`:
/// delete).
pub(crate) type Write<'a> = (&'a [u8], Option<&'a [u8]>);

impl WriteCache {
    /// An empty cache holding up to about `budget` bytes; 0 turns caching
    /// off (every write is flushed at once, nothing read is kept).
    pub(crate) fn new(budget: usize) -> Self {
        WriteCache {
            slots: key_map(),
            bytes: 0,
            budget,
            dirty: 0,
        }
    }

    /// The record under `key` if the cache knows it: `Some(None)` when the
    /// database has none, `None` when the cache cannot tell.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.slots.get(key).map(|s| s.value.as_deref())
    }

    /// Keeps what the database returned for `key` (a clean record).
    pub(crate) fn fill(&mut self, key: &[u8], value: Option<&[u8]>) {
        if self.budget == 0 || self.slots.contains_key(key) {
            return;
        }
        self.bytes += slot_bytes(key, value);
        self.slots.insert(
            key.to_vec(),
            Slot {
                value: value.map(<[u8]>::to_vec),
                dirty: None,
            },
        );
    }

    /// Writes `value` (`None`: deletes) under `key`. A key the cache does
    /// not know is taken to exist in the database, so its delete is kept.
    pub(crate) fn put(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let added = slot_bytes(&key, value.as_deref());
        match self.slots.get_mut(key.as_slice()) {
            // Created since the last flush and now deleted: the database
            // never had it, so forget it (the next read asks the database,
            // which says none). Windows' accumulators end this way.
            Some(slot) if value.is_none() && slot.dirty == Some(false) => {
                self.bytes -= slot_bytes(&key, slot.value.as_deref());
                self.dirty -= 1;
                self.slots.remove(key.as_slice());
            }
            Some(slot) => {
                self.bytes = self.bytes - slot_bytes(&key, slot.value.as_deref()) + added;
                if slot.dirty.is_none() {
                    slot.dirty = Some(slot.value.is_some());
                    self.dirty += 1;
                }
                slot.value = value;
            }
            None => {
                self.bytes += added;
                self.dirty += 1;
                self.slots.insert(
                    key,
                    Slot {
                        value,
                        dirty: Some(true),
                    },
                );
            }
        }
    }

    /// Whether the cache holds writes the database has not seen.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty > 0
    }

    /// Whether the cache is over its budget and should be flushed and
    /// emptied.
    pub(crate) fn is_full(&self) -> bool {
        self.bytes > self.budget
    }

    /// The writes the database has not seen, in no particular order.
    pub(crate) fn writes(&self) -> impl Iterator<Item = Write<'_>> {
        self.slots
            .iter()
            .filter(|(_, slot)| slot.dirty.is_some())
            .map(|(key, slot)| (key.as_slice(), slot.value.as_deref()))
    }

    /// After [`writes`](Self::writes) reached the database: every record is
    /// clean.
    pub(crate) fn flushed(&mut self) {
        if self.dirty == 0 {
            return;
        }
        for slot in self.slots.values_mut() {
            slot.dirty = None;
        }
        self.dirty = 0;
    }

    /// Forgets every record. Only for a cache without unflushed writes, or
    /// whose writes are to be dropped (the database was replaced).
    pub(crate) fn clear(&mut self) {
        // Keeps the table's capacity: refilling it does not fault in fresh
        // pages.
        self.slots.clear();
        self.bytes = 0;
        self.dirty = 0;
    }

    /// Records held and the bytes counted for them.
    pub(crate) fn len(&self) -> (usize, usize) {
        (self.slots.len(), self.bytes)
    }
}

fn slot_bytes(key: &[u8], value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + SLOT_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(cache: &WriteCache) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let mut w: Vec<_> = cache
            .writes()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect();
        w.sort();
        w
    }

    #[test]
    fn a_record_created_and_deleted_between_flushes_is_never_written() {
        let mut cache = WriteCache::new(1 << 20);
        cache.fill(b"a", None);
        cache.put(b"a".to_vec(), Some(b"1".to_vec()));
        assert_eq!(writes(&cache), vec![(b"a".to_vec(), Some(b"1".to_vec()))]);
        cache.put(b"a".to_vec(), None);
        assert!(!cache.is_dirty());
        assert_eq!(writes(&cache), vec![]);
        // Forgotten: a read goes to the database, which never had it.
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.len(), (0, 0));
    }

    #[test]
    fn deleting_a_stored_record_writes_a_delete() {
        let mut cache = WriteCache::new(1 << 20);
        cache.fill(b"a", Some(b"old"));
        cache.put(b"a".to_vec(), Some(b"new".to_vec()));
        cache.put(b"a".to_vec(), None);
        assert_eq!(writes(&cache), vec![(b"a".to_vec(), None)]);
        // A key never read is assumed stored.
        cache.put(b"b".to_vec(), None);
        assert_eq!(
            writes(&cache),
            vec![(b"a".to_vec(), None), (b"b".to_vec(), None)]
        );
    }

    #[test]
    fn flushed_records_are_clean_and_still_read() {
        let mut cache = WriteCache::new(1 << 20);
        cache.put(b"a".to_vec(), Some(b"1".to_vec()));
        cache.flushed();
        assert!(!cache.is_dirty());
        assert_eq!(writes(&cache), vec![]);
        assert_eq!(cache.get(b"a"), Some(Some(&b"1"[..])));
        // Now stored: deleting it must write a delete.
        cache.put(b"a".to_vec(), None);
        assert_eq!(writes(&cache), vec![(b"a".to_vec(), None)]);
    }

    #[test]
    fn bytes_follow_the_records_and_the_budget_says_when_full() {
        let mut cache = WriteCache::new(2 * SLOT_OVERHEAD + 10);
        cache.fill(b"k1", Some(b"abc"));
        assert_eq!(cache.len(), (1, SLOT_OVERHEAD + 5));
        cache.put(b"k1".to_vec(), Some(b"a".to_vec()));
        assert_eq!(cache.len(), (1, SLOT_OVERHEAD + 3));
        cache.put(b"k2".to_vec(), Some(b"0123".to_vec()));
        assert!(!cache.is_full());
        cache.put(b"k3".to_vec(), None);
        assert!(cache.is_full());
        cache.clear();
        assert_eq!(cache.len(), (0, 0));
        assert!(!cache.is_dirty());
    }

    #[test]
    fn a_zero_budget_keeps_no_reads() {
        let mut cache = WriteCache::new(0);
        cache.fill(b"a", Some(b"1"));
        assert_eq!(cache.get(b"a"), None);
    }
}
