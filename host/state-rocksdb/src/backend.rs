//! The backend: a RocksDB database in the subtask's working folder, the
//! registry of its states and the bytes they count.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rocksdb::{ColumnFamily, DB, DBRawIterator, ReadOptions, WriteBatch, WriteOptions};
use weir_state::{StateDescriptor, StateId};
use weir_types::KeyGroupRange;

use crate::cache::WriteCache;
use crate::error::{corrupt, storage};
use crate::layout::{self, META_CF, NATIVE_FORMAT, STATE_CF};
use crate::{Result, RocksDbError, RocksDbOptions, options};
use weir_state::Registry;

/// Keyed state in RocksDB: state larger than memory, native incremental
/// checkpoints and rescaling restores. Same semantics as
/// [`HeapBackend`](weir_state::HeapBackend), and byte-identical canonical
/// snapshots.
pub struct RocksDbBackend {
    pub(crate) db: DB,
    pub(crate) dir: PathBuf,
    pub(crate) range: KeyGroupRange,
    pub(crate) registry: Registry,
    /// Quota bytes per owned key group, indexed by `key_group - range.start`.
    pub(crate) group_bytes: Vec<u64>,
    pub(crate) total: u64,
    pub(crate) limit: Option<u64>,
    /// Fresh per open or restore; names the files of native snapshots.
    pub(crate) instance: String,
    pub(crate) write_options: WriteOptions,
    /// Records read and written since the last flush (see [`crate::cache`]).
    /// A `RefCell` because scans and snapshots, which take `&self`, flush
    /// it first.
    pub(crate) cache: RefCell<WriteCache>,
}

impl std::fmt::Debug for RocksDbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbBackend")
            .field("dir", &self.dir)
            .field("range", &self.range)
            .field("instance", &self.instance)
            .field("states", &self.registry.by_name())
            .field("state_bytes", &self.total)
            .field("max_state_bytes", &self.limit)
            .finish_non_exhaustive()
    }
}

impl RocksDbBackend {
    /// A fresh, empty backend owning key groups `range`, in `options.dir`
    /// (wiped first).
    pub fn open(range: KeyGroupRange, options: RocksDbOptions) -> Result<Self> {
        wipe(&options.dir)?;
        let backend = Self::open_dir(range, &options)?;
        backend
            .db
            .put_cf_opt(
                backend.meta(),
                layout::FORMAT_KEY,
                NATIVE_FORMAT,
                &backend.write_options,
            )
            .map_err(RocksDbError::rocks("write", &options.dir))?;
        tracing::debug!(dir = %options.dir.display(), instance = %backend.instance, "opened RocksDB state");
        Ok(backend)
    }

    /// Opens (or creates) the database in `options.dir` as it is, with
    /// nothing registered and no bytes counted.
    pub(crate) fn open_dir(range: KeyGroupRange, options: &RocksDbOptions) -> Result<Self> {
        let dir = options.dir.clone();
        let (db_options, cfs) = options
            .db_options()
            .map_err(RocksDbError::rocks("configure", &dir))?;
        let db = DB::open_cf_descriptors(&db_options, &dir, cfs)
            .map_err(RocksDbError::rocks("open the database", &dir))?;
        Ok(RocksDbBackend {
            db,
            dir,
            group_bytes: vec![0; range.len()],
            range,
            registry: Registry::default(),
            total: 0,
            limit: options.max_state_bytes,
            instance: crate::native::instance_id()?,
            write_options: options::write_options(),
            cache: RefCell::new(WriteCache::new(
                usize::try_from(options.write_cache_bytes).unwrap_or(usize::MAX),
            )),
        })
    }

    /// The working folder holding the database.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The descriptor registered (or restored) for `id`.
    pub fn descriptor(&self, id: StateId) -> Option<&StateDescriptor> {
        self.registry.get(id).ok()
    }

    /// The id of the state named `name`, if registered (or restored).
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.registry.id_of(name)
    }

    /// This instance's id, as native snapshots carry it.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub(crate) fn state(&self) -> &ColumnFamily {
        self.db
            .cf_handle(STATE_CF)
            .expect("opened with the state column family")
    }

    pub(crate) fn meta(&self) -> &ColumnFamily {
        self.db
            .cf_handle(META_CF)
            .expect("opened with the meta column family")
    }

    /// Index into `group_bytes` of `key_group`, if owned.
    #[inline]
    pub(crate) fn group_index(&self, key_group: u32) -> weir_state::Result<usize> {
        weir_state::group_index(&self.range, key_group)
    }

    /// Fails if replacing `removed` bytes by `added` takes the total over
    /// the limit. Writes that do not grow the total always pass.
    #[inline]
    pub(crate) fn admit(&self, removed: u64, added: u64) -> weir_state::Result<()> {
        weir_state::quota::admit(self.limit, self.total, removed, added)
    }

    /// Books a change of key group `gi`'s bytes.
    #[inline]
    pub(crate) fn apply(&mut self, gi: usize, removed: u64, added: u64) {
        self.group_bytes[gi] = self.group_bytes[gi] - removed + added;
        self.total = self.total - removed + added;
    }

    /// Runs `f` on the record of the state column family under `key`,
    /// borrowed from the cache or from the database (and then kept in the
    /// cache), without copying it.
    #[inline]
    pub(crate) fn with_record<R>(
        &self,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> weir_state::Result<R> {
        if let Some(cached) = self.cache.borrow().get(key) {
            return Ok(f(cached));
        }
        let stored = self.db.get_pinned_cf(self.state(), key).map_err(storage)?;
        self.cache.borrow_mut().fill(key, stored.as_deref());
        Ok(f(stored.as_deref()))
    }

    /// Reads a record of the state column family.
    pub(crate) fn get(&self, key: &[u8]) -> weir_state::Result<Option<Vec<u8>>> {
        self.with_record(key, |r| r.map(<[u8]>::to_vec))
    }

    /// The value or map entry under `key`: its write time and value.
    #[inline]
    pub(crate) fn get_item(&self, key: &[u8]) -> weir_state::Result<Option<(i64, Vec<u8>)>> {
        self.with_record(key, |r| {
            r.map(|record| item(record).map(|(at, value)| (at, value.to_vec())))
                .transpose()
        })?
    }

    /// The length of the value or map entry's value under `key`, read
    /// without copying it.
    #[inline]
    pub(crate) fn item_len(&self, key: &[u8]) -> weir_state::Result<Option<usize>> {
        self.with_record(key, |r| {
            r.map(|record| item(record).map(|(_, value)| value.len()))
                .transpose()
        })?
    }

    /// Writes `value` (`None`: deletes) under `key` in the state column
    /// family: into the cache, which reaches the database when flushed.
    pub(crate) fn stage(&self, key: Vec<u8>, value: Option<Vec<u8>>) -> weir_state::Result<()> {
        let full = {
            let mut cache = self.cache.borrow_mut();
            cache.put(key, value);
            cache.is_full()
        };
        if full {
            let (records, bytes) = self.cache.borrow().len();
            tracing::debug!(records, bytes, "write-back cache full: flushed and emptied");
            self.flush_cache()?;
            self.cache.borrow_mut().clear();
        }
        Ok(())
    }

    /// Writes what the cache holds that the database has not seen, in one
    /// batch.
    pub(crate) fn flush_cache(&self) -> weir_state::Result<()> {
        let mut cache = self.cache.borrow_mut();
        if !cache.is_dirty() {
            return Ok(());
        }
        // In key order: the memtable is a skip list that keeps where the last
        // insert went, so sorted keys are inserted next to each other instead
        // of each searched for from the top (a growing-state job's
        // checkpoints, debug log `wrote RocksDB checkpoint`: cache flushes of
        // 143–189 ms in the cache's hash order, 35–79 ms sorted).
        let mut writes: Vec<_> = cache.writes().collect();
        writes.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut batch = WriteBatch::default();
        for (key, value) in writes {
            match value {
                Some(value) => batch.put_cf(self.state(), key, value),
                None => batch.delete_cf(self.state(), key),
            }
        }
        self.write(batch)?;
        cache.flushed();
        Ok(())
    }

    /// Applies `batch` atomically.
    pub(crate) fn write(&self, batch: WriteBatch) -> weir_state::Result<()> {
        self.db
            .write_opt(batch, &self.write_options)
            .map_err(storage)
    }

    /// An iterator over the state column family's keys starting with
    /// `prefix`, positioned at the first. Flushes the cache first, so the
    /// database holds every write.
    pub(crate) fn scan(&self, prefix: &[u8]) -> weir_state::Result<DBRawIterator<'_>> {
        self.flush_cache()?;
        let mut read = ReadOptions::default();
        if let Some(end) = layout::successor(prefix) {
            read.set_iterate_upper_bound(end);
        }
        let mut it = self.db.raw_iterator_cf_opt(self.state(), read);
        it.seek(prefix);
        Ok(it)
    }

    /// Writes the descriptor of every state of `registry` whose id is in
    /// `changed` to `batch`.
    pub(crate) fn put_descriptors(
        &self,
        batch: &mut WriteBatch,
        registry: &Registry,
        changed: impl IntoIterator<Item = StateId>,
    ) {
        for id in changed {
            let d = registry.get(id).expect("changed ids are registered");
            batch.put_cf(
                self.meta(),
                layout::state_meta_key(id),
                layout::encode_descriptor(d),
            );
        }
    }
}

/// Checks an iterator ended because its range did, not on an error.
pub(crate) fn scan_done(it: &DBRawIterator<'_>) -> weir_state::Result<()> {
    it.status().map_err(storage)
}

/// Decodes a value or map entry record.
#[inline]
pub(crate) fn item(record: &[u8]) -> weir_state::Result<(i64, &[u8])> {
    layout::decode_item(record).ok_or_else(|| corrupt("value"))
}

/// Decodes a list record.
pub(crate) fn list(record: &[u8]) -> weir_state::Result<Vec<(i64, &[u8])>> {
    layout::decode_list(record).ok_or_else(|| corrupt("list"))
}

/// Removes `dir` if it exists and creates it empty.
pub(crate) fn wipe(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(RocksDbError::io(dir)(e)),
    }
    std::fs::create_dir_all(dir).map_err(RocksDbError::io(dir))
}
