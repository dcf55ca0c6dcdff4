//! Tuning of a [`RocksDbBackend`](crate::RocksDbBackend) and the RocksDB
//! options made from it.

use std::path::PathBuf;

use rocksdb::{
    BlockBasedIndexType, BlockBasedOptions, Cache, ColumnFamilyDescriptor, DBCompressionType,
    LogLevel, Options, WriteOptions,
};

use crate::layout::{META_CF, STATE_CF};

/// Where a [`RocksDbBackend`](crate::RocksDbBackend) keeps its database and
/// how much memory it may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocksDbOptions {
    /// This subtask's working folder. It is wiped when the backend is
    /// opened or restored.
    pub dir: PathBuf,
    /// Size of the LRU cache for data, index and filter blocks.
    pub block_cache_bytes: u64,
    /// Size of one memtable of the state column family (at most two exist).
    pub write_buffer_bytes: u64,
    /// Budget of the write-back cache in front of the database (see
    /// [`crate::cache`]); 0 writes every change through at once.
    pub write_cache_bytes: u64,
    /// Most bytes of state (as `state_bytes` counts them) the backend may
    /// hold; a write that would go over fails with `QuotaExceeded`.
    pub max_state_bytes: Option<u64>,
}

impl RocksDbOptions {
    /// Default block cache: 64 MiB.
    pub const DEFAULT_BLOCK_CACHE_BYTES: u64 = 64 << 20;
    /// Default write buffer: 32 MiB.
    pub const DEFAULT_WRITE_BUFFER_BYTES: u64 = 32 << 20;
    /// Default write-back cache: 64 MiB.
    pub const DEFAULT_WRITE_CACHE_BYTES: u64 = 64 << 20;

    /// Defaults (64 MiB block cache, 32 MiB write buffer, 64 MiB write-back
    /// cache, no quota) in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RocksDbOptions {
            dir: dir.into(),
            block_cache_bytes: Self::DEFAULT_BLOCK_CACHE_BYTES,
            write_buffer_bytes: Self::DEFAULT_WRITE_BUFFER_BYTES,
            write_cache_bytes: Self::DEFAULT_WRITE_CACHE_BYTES,
            max_state_bytes: None,
        }
    }

    /// Database options and the column families of a backend's database.
    pub(crate) fn db_options(
        &self,
    ) -> Result<(Options, Vec<ColumnFamilyDescriptor>), rocksdb::Error> {
        let cache = Cache::new_lru_cache(clamp(self.block_cache_bytes))?;
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_bloom_filter(10.0, false);
        // Index and filter blocks count against the cache, so memory stays
        // bounded however large the state grows.
        table.set_cache_index_and_filter_blocks(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        // Partitioned: one SST's index and filter are split into small
        // blocks under a pinned top level. Whole, a large SST's filter
        // (10 bits a key: 1 MiB at 0.85 M keys) outgrows the cache's 1 MiB
        // shards, is never kept, and is read and checksummed again on every
        // lookup (the keyed count fell from 75 K to 3.5–10 K rec/s past
        // 1.7 M keys).
        table.set_index_type(BlockBasedIndexType::TwoLevelIndexSearch);
        table.set_partition_filters(true);
        table.set_metadata_block_size(4096);
        table.set_pin_top_level_index_and_filter(true);

        let mut state = Options::default();
        state.set_block_based_table_factory(&table);
        state.set_write_buffer_size(clamp(self.write_buffer_bytes));
        state.set_max_write_buffer_number(2);
        state.set_compression_type(DBCompressionType::Lz4);
        state.set_level_compaction_dynamic_level_bytes(true);
        // A bloom filter over the memtable's keys: most reads that miss the
        // write-back cache are of keys that do not exist yet (a window's
        // first record), and without it each walks the memtable's skip list.
        state.set_memtable_prefix_bloom_ratio(0.05);
        state.set_memtable_whole_key_filtering(true);

        let mut meta = Options::default();
        meta.set_block_based_table_factory(&table);
        meta.set_write_buffer_size(1 << 20);

        let mut db = Options::default();
        db.create_if_missing(true);
        db.create_missing_column_families(true);
        db.set_log_level(LogLevel::Warn);
        db.set_keep_log_file_num(2);
        db.increase_parallelism(2);
        let cfs = vec![
            ColumnFamilyDescriptor::new(STATE_CF, state),
            ColumnFamilyDescriptor::new(META_CF, meta),
        ];
        Ok((db, cfs))
    }
}

/// Write options of every write: no WAL. Durability comes from checkpoints,
/// which flush the memtables first.
pub(crate) fn write_options() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.disable_wal(true);
    w
}

fn clamp(bytes: u64) -> usize {
    usize::try_from(bytes).unwrap_or(usize::MAX)
}
