//! Restoring from native snapshots: the same key groups (open the files as
//! they are) or another range (copy the owned key groups out of each old
//! database, remapping states by name).

use std::fs;
use std::path::{Path, PathBuf};

use rocksdb::{DB, IteratorMode, ReadOptions, WriteBatch};
use weir_state::{StateError, StateId};
use weir_types::KeyGroupRange;

use crate::layout::{self, META_CF, NATIVE_FORMAT, STATE_CF};
use crate::native::{MARKER_FILE, Marker};
use crate::{Result, RocksDbBackend, RocksDbError, RocksDbOptions};
use weir_state::Registry;

/// One earlier subtask's native snapshot, downloaded to a local folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRestore {
    /// The key groups the snapshot's backend owned.
    pub key_groups: KeyGroupRange,
    /// The folder holding the snapshot's files (read, never changed).
    pub dir: PathBuf,
}

/// Write batches of a rescaling copy are flushed at this size.
const COPY_BATCH_BYTES: usize = 8 << 20;

impl RocksDbBackend {
    /// A backend owning `range`, restored from native snapshots of earlier
    /// subtasks (see [`snapshot`](weir_state::KeyedStateBackend::snapshot)).
    ///
    /// Sources whose key groups miss `range` are ignored; the others must
    /// hold every key group of `range` exactly once. One source with exactly
    /// `range` becomes the new database (SST files hard-linked, the rest
    /// copied); otherwise each source is opened read-only and the key groups
    /// in `range` are copied over. Every file is checked against the
    /// snapshot's marker first, and an unknown format fails. Restored states
    /// keep their kinds; the operator's first registration may change a TTL.
    pub fn restore_native(
        range: KeyGroupRange,
        options: RocksDbOptions,
        sources: &[NativeRestore],
    ) -> Result<Self> {
        let overlapping = overlapping(&range, sources)?;
        for source in &overlapping {
            let marker = Marker::verify(&source.dir)?;
            if marker.key_groups != source.key_groups {
                return Err(RocksDbError::Malformed {
                    dir: source.dir.clone(),
                    reason: format!(
                        "it holds key groups {}..{}, not {}..{}",
                        marker.key_groups.start,
                        marker.key_groups.end,
                        source.key_groups.start,
                        source.key_groups.end
                    ),
                });
            }
            if source.dir == options.dir {
                return Err(RocksDbError::Sources {
                    range: range.clone(),
                    reason: "a source is the working folder, which is wiped".into(),
                });
            }
        }
        let backend = match overlapping.as_slice() {
            [one] if one.key_groups == range => Self::reopen(range, &options, one)?,
            _ => Self::rescale(range, &options, &overlapping)?,
        };
        if let Some(limit) = backend.limit
            && backend.total > limit
        {
            return Err(StateError::QuotaExceeded {
                limit,
                would_be: backend.total,
            }
            .into());
        }
        tracing::info!(
            dir = %options.dir.display(),
            sources = overlapping.len(),
            state_bytes = backend.total,
            instance = %backend.instance,
            "restored RocksDB state from native snapshots"
        );
        Ok(backend)
    }

    /// Opens a copy of `source`'s database as it is.
    fn reopen(
        range: KeyGroupRange,
        options: &RocksDbOptions,
        source: &NativeRestore,
    ) -> Result<Self> {
        crate::backend::wipe(&options.dir)?;
        for entry in fs::read_dir(&source.dir).map_err(RocksDbError::io(&source.dir))? {
            let entry = entry.map_err(RocksDbError::io(&source.dir))?;
            let name = entry.file_name();
            if name == MARKER_FILE || !entry.path().is_file() {
                continue;
            }
            let (from, to) = (entry.path(), options.dir.join(&name));
            // SST files are immutable: a link is enough. RocksDB rewrites
            // the others (a new MANIFEST on open), so those are copied.
            let linked =
                name.to_string_lossy().ends_with(".sst") && fs::hard_link(&from, &to).is_ok();
            if !linked {
                fs::copy(&from, &to).map_err(RocksDbError::io(&from))?;
            }
        }
        let mut backend = Self::open_dir(range, options)?;
        let dir = options.dir.clone();
        check_format(&backend.db, &dir)?;
        backend.registry = read_registry(&backend.db, &dir)?.0;
        for key_group in backend.range.clone() {
            let bytes = read_bytes(&backend.db, &dir, key_group)?;
            let gi = (key_group - backend.range.start) as usize;
            backend.apply(gi, 0, bytes);
        }
        Ok(backend)
    }

    /// A fresh database filled with the key groups of `range` from each
    /// source.
    fn rescale(
        range: KeyGroupRange,
        options: &RocksDbOptions,
        sources: &[&NativeRestore],
    ) -> Result<Self> {
        let mut backend = Self::open(range.clone(), options.clone())?;
        let logs = options.dir.join("restore-logs");
        let mut registry = Registry::default();
        for source in sources {
            let (mut db_options, cfs) = options
                .db_options()
                .map_err(RocksDbError::rocks("configure", &source.dir))?;
            // Keep RocksDB's info log out of the source folder.
            db_options.set_db_log_dir(&logs);
            let src = DB::open_cf_descriptors_read_only(&db_options, &source.dir, cfs, false)
                .map_err(RocksDbError::rocks("open the snapshot", &source.dir))?;
            check_format(&src, &source.dir)?;
            let (states, ids) = read_registry(&src, &source.dir)?;
            let mut map = Vec::with_capacity(ids.len());
            for (_, descriptor) in states.by_name() {
                map.push((
                    states.id_of(&descriptor.name).expect("listed"),
                    registry.adopt(descriptor)?.id(),
                ));
            }
            map.sort();
            let part =
                range.start.max(source.key_groups.start)..range.end.min(source.key_groups.end);
            for key_group in part.clone() {
                let bytes = read_bytes(&src, &source.dir, key_group)?;
                backend.apply((key_group - range.start) as usize, 0, bytes);
            }
            copy(&backend, &src, &source.dir, part, &map)?;
        }
        let mut batch = WriteBatch::default();
        let all: Vec<StateId> = registry.by_name().into_iter().map(|(id, _)| id).collect();
        backend.put_descriptors(&mut batch, &registry, all);
        backend
            .db
            .write_opt(batch, &backend.write_options)
            .map_err(RocksDbError::rocks("write", &options.dir))?;
        backend.registry = registry;
        let _ = fs::remove_dir_all(&logs);
        Ok(backend)
    }
}

/// The sources holding key groups of `range`, checked to cover it exactly
/// once.
fn overlapping<'s>(
    range: &KeyGroupRange,
    sources: &'s [NativeRestore],
) -> Result<Vec<&'s NativeRestore>> {
    let mut hits: Vec<_> = sources
        .iter()
        .filter(|s| s.key_groups.start < range.end && range.start < s.key_groups.end)
        .collect();
    hits.sort_by_key(|s| s.key_groups.start);
    let mut next = range.start;
    for s in &hits {
        let start = s.key_groups.start.max(range.start);
        if start > next {
            return Err(sources_error(
                range,
                format!("no source holds key group {next}"),
            ));
        }
        if start < next {
            return Err(sources_error(
                range,
                format!("two sources hold key group {start}"),
            ));
        }
        next = s.key_groups.end.min(range.end);
    }
    if next < range.end {
        return Err(sources_error(
            range,
            format!("no source holds key group {next}"),
        ));
    }
    Ok(hits)
}

fn sources_error(range: &KeyGroupRange, reason: String) -> RocksDbError {
    RocksDbError::Sources {
        range: range.clone(),
        reason,
    }
}

/// Copies key groups `part` of `src` into `backend`, rewriting state ids
/// through `map` (sorted `(source id, new id)` pairs).
fn copy(
    backend: &RocksDbBackend,
    src: &DB,
    dir: &Path,
    part: KeyGroupRange,
    map: &[(StateId, StateId)],
) -> Result<()> {
    let cf = src
        .cf_handle(STATE_CF)
        .ok_or_else(|| malformed(dir, "no state column family"))?;
    let mut read = ReadOptions::default();
    read.set_iterate_upper_bound(layout::group_start(part.end));
    let mut it = src.raw_iterator_cf_opt(cf, read);
    it.seek(layout::group_start(part.start));
    let mut batch = WriteBatch::default();
    let mut copied = 0u64;
    while let Some((key, value)) = it.item() {
        let old = StateId(u32::from_be_bytes(
            key.get(4..layout::PREFIX)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| malformed(dir, "short key"))?,
        ));
        let new = match map.binary_search_by_key(&old, |&(o, _)| o) {
            Ok(i) => map[i].1,
            Err(_) => return Err(malformed(dir, &format!("state id {old} has no descriptor"))),
        };
        let mut key = key.to_vec();
        key[4..layout::PREFIX].copy_from_slice(&new.0.to_be_bytes());
        batch.put_cf(backend.state(), key, value);
        copied += 1;
        if batch.size_in_bytes() >= COPY_BATCH_BYTES {
            write_copy(backend, std::mem::take(&mut batch))?;
        }
        it.next();
    }
    it.status()
        .map_err(RocksDbError::rocks("read the snapshot", dir))?;
    write_copy(backend, batch)?;
    tracing::debug!(dir = %dir.display(), key_groups = ?part, records = copied, "copied key groups");
    Ok(())
}

fn write_copy(backend: &RocksDbBackend, batch: WriteBatch) -> Result<()> {
    backend
        .db
        .write_opt(batch, &backend.write_options)
        .map_err(RocksDbError::rocks("write", &backend.dir))
}

/// Fails unless `db` says it is in [`NATIVE_FORMAT`].
fn check_format(db: &DB, dir: &Path) -> Result<()> {
    let meta = db
        .cf_handle(META_CF)
        .ok_or_else(|| malformed(dir, "no meta column family"))?;
    let found = db
        .get_cf(meta, layout::FORMAT_KEY)
        .map_err(RocksDbError::rocks("read", dir))?
        .ok_or_else(|| malformed(dir, "no format record"))?;
    if found != NATIVE_FORMAT.as_bytes() {
        return Err(RocksDbError::UnknownFormat {
            dir: dir.to_owned(),
            found: String::from_utf8_lossy(&found).into_owned(),
        });
    }
    Ok(())
}

/// The descriptors stored in `db`, all unclaimed, with their ids (dense).
fn read_registry(db: &DB, dir: &Path) -> Result<(Registry, Vec<StateId>)> {
    let meta = db
        .cf_handle(META_CF)
        .ok_or_else(|| malformed(dir, "no meta column family"))?;
    let mut registry = Registry::default();
    let mut ids = Vec::new();
    let it = db.iterator_cf(
        meta,
        IteratorMode::From(layout::STATE_KEY, rocksdb::Direction::Forward),
    );
    for entry in it {
        let (key, value) = entry.map_err(RocksDbError::rocks("read", dir))?;
        let Some(id) = key.strip_prefix(layout::STATE_KEY) else {
            break;
        };
        let id = StateId(u32::from_be_bytes(
            id.try_into().map_err(|_| malformed(dir, "bad state key"))?,
        ));
        let descriptor = layout::decode_descriptor(&value)
            .ok_or_else(|| malformed(dir, "bad state descriptor"))?;
        let got = registry.adopt(&descriptor)?.id();
        if got != id {
            return Err(malformed(dir, &format!("state ids are not dense at {id}")));
        }
        ids.push(id);
    }
    Ok((registry, ids))
}

/// Key group `key_group`'s quota bytes as of the checkpoint.
fn read_bytes(db: &DB, dir: &Path, key_group: u32) -> Result<u64> {
    let meta = db
        .cf_handle(META_CF)
        .ok_or_else(|| malformed(dir, "no meta column family"))?;
    match db
        .get_cf(meta, layout::bytes_meta_key(key_group))
        .map_err(RocksDbError::rocks("read", dir))?
    {
        None => Ok(0),
        Some(v) => Ok(u64::from_le_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| malformed(dir, "bad bytes record"))?,
        )),
    }
}

fn malformed(dir: &Path, reason: &str) -> RocksDbError {
    RocksDbError::Malformed {
        dir: dir.to_owned(),
        reason: reason.to_owned(),
    }
}
