//! Native checkpoints: a RocksDB checkpoint of the whole database plus a
//! marker file that names the format and lists every file with its size.
//!
//! SST files never change once written, so they are `shared`: a later
//! checkpoint of the same instance that still holds `000012.sst` refers to
//! the same bytes, and the uploader can skip it. Everything else (MANIFEST,
//! CURRENT, OPTIONS, the empty WAL, the marker) is rewritten each time.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rocksdb::WriteBatch;
use rocksdb::checkpoint::Checkpoint;
use weir_state::{NativeFile, NativeSnapshot, Result};
use weir_types::KeyGroupRange;

use crate::error::storage;
use crate::layout::{self, NATIVE_FORMAT};
use crate::{RocksDbBackend, RocksDbError};

/// Name of the marker file in a native snapshot's folder.
pub const MARKER_FILE: &str = "WEIR-SNAPSHOT";

/// Folder under `scratch` that a checkpoint is written to.
const CHECKPOINT_DIR: &str = "rocksdb";

/// Writes a checkpoint of `backend` to `scratch/rocksdb`.
pub(crate) fn checkpoint(backend: &RocksDbBackend, scratch: &Path) -> Result<NativeSnapshot> {
    let started = Instant::now();
    // The write-back cache's records first, so the database holds them all.
    backend.flush_cache()?;
    let cache_flushed = started.elapsed();
    // Quota bytes go into the database so a restore knows them without a
    // scan; they are only read back from checkpoints.
    let mut batch = WriteBatch::default();
    for (i, bytes) in backend.group_bytes.iter().enumerate() {
        let key_group = backend.range.start + i as u32;
        batch.put_cf(
            backend.meta(),
            layout::bytes_meta_key(key_group),
            bytes.to_le_bytes(),
        );
    }
    backend.write(batch)?;
    // No WAL: the memtables must reach SST files first.
    backend.db.flush_cf(backend.state()).map_err(storage)?;
    backend.db.flush_cf(backend.meta()).map_err(storage)?;
    let memtables_flushed = started.elapsed();

    let dir = scratch.join(CHECKPOINT_DIR);
    Checkpoint::new(&backend.db)
        .and_then(|c| c.create_checkpoint(&dir))
        .map_err(storage)?;
    let linked = started.elapsed();
    let mut files = Vec::new();
    for entry in fs::read_dir(&dir).map_err(storage)? {
        let entry = entry.map_err(storage)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let size = entry.metadata().map_err(storage)?.len();
        files.push(NativeFile {
            shared: name.ends_with(".sst"),
            name,
            size,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let marker = Marker {
        format: NATIVE_FORMAT.to_owned(),
        key_groups: backend.range.clone(),
        files: files.iter().map(|f| (f.name.clone(), f.size)).collect(),
    };
    let text = marker.to_text();
    fs::write(dir.join(MARKER_FILE), &text).map_err(storage)?;
    files.push(NativeFile {
        name: MARKER_FILE.to_owned(),
        size: text.len() as u64,
        shared: false,
    });
    tracing::debug!(
        dir = %dir.display(),
        files = files.len(),
        instance = %backend.instance,
        cache_flushed_ms = cache_flushed.as_millis() as u64,
        memtables_flushed_ms = memtables_flushed.as_millis() as u64,
        checkpoint_ms = linked.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "wrote RocksDB checkpoint"
    );
    Ok(NativeSnapshot {
        format: NATIVE_FORMAT.to_owned(),
        instance: backend.instance.clone(),
        dir,
        files,
    })
}

/// The marker file: format, key groups, and every other file with its size.
///
/// ```text
/// format rocksdb-1
/// key-groups 0 64
/// file 000009.sst 1234
/// ```
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Marker {
    pub(crate) format: String,
    pub(crate) key_groups: KeyGroupRange,
    pub(crate) files: Vec<(String, u64)>,
}

impl Marker {
    fn to_text(&self) -> String {
        let mut s = format!(
            "format {}\nkey-groups {} {}\n",
            self.format, self.key_groups.start, self.key_groups.end
        );
        for (name, size) in &self.files {
            s.push_str(&format!("file {name} {size}\n"));
        }
        s
    }

    /// Reads the marker in `dir` and checks its format and that every file
    /// it lists is there with its size.
    pub(crate) fn verify(dir: &Path) -> crate::Result<Marker> {
        let path = dir.join(MARKER_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RocksDbError::MissingFile { path });
            }
            Err(e) => return Err(RocksDbError::io(path)(e)),
        };
        let marker = Self::parse(&text).map_err(|reason| RocksDbError::Malformed {
            dir: dir.to_owned(),
            reason: format!("{MARKER_FILE}: {reason}"),
        })?;
        if marker.format != NATIVE_FORMAT {
            return Err(RocksDbError::UnknownFormat {
                dir: dir.to_owned(),
                found: marker.format,
            });
        }
        for (name, expected) in &marker.files {
            let path = dir.join(name);
            match fs::metadata(&path) {
                Ok(m) if m.len() == *expected => {}
                Ok(m) => {
                    return Err(RocksDbError::CorruptFile {
                        path,
                        expected: *expected,
                        found: m.len(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(RocksDbError::MissingFile { path });
                }
                Err(e) => return Err(RocksDbError::io(path)(e)),
            }
        }
        Ok(marker)
    }

    fn parse(text: &str) -> std::result::Result<Marker, String> {
        let mut lines = text.lines();
        let format = lines
            .next()
            .and_then(|l| l.strip_prefix("format "))
            .ok_or("no format line")?
            .to_owned();
        let range = lines
            .next()
            .and_then(|l| l.strip_prefix("key-groups "))
            .and_then(|l| l.split_once(' '))
            .and_then(|(a, b)| Some(a.parse().ok()?..b.parse().ok()?))
            .ok_or("no key-groups line")?;
        let mut files = Vec::new();
        for line in lines {
            let (name, size) = line
                .strip_prefix("file ")
                .and_then(|l| l.rsplit_once(' '))
                .and_then(|(n, s)| Some((n, s.parse().ok()?)))
                .ok_or_else(|| format!("bad line `{line}`"))?;
            if name.is_empty() || name.contains('/') || name == ".." {
                return Err(format!("bad file name `{name}`"));
            }
            files.push((name.to_owned(), size));
        }
        Ok(Marker {
            format,
            key_groups: range,
            files,
        })
    }
}

/// A fresh random instance id: 128 bits from the OS, in hex.
pub(crate) fn instance_id() -> crate::Result<String> {
    let path = PathBuf::from("/dev/urandom");
    let mut bytes = [0u8; 16];
    fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(RocksDbError::io(path))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_and_rejects_paths() {
        let m = Marker {
            format: NATIVE_FORMAT.into(),
            key_groups: 3..9,
            files: vec![("000009.sst".into(), 12), ("CURRENT".into(), 16)],
        };
        assert_eq!(Marker::parse(&m.to_text()).unwrap(), m);
        assert!(Marker::parse("format x\nkey-groups 0 1\nfile ../a 3\n").is_err());
        assert!(Marker::parse("format x\n").is_err());
        let a = instance_id().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, instance_id().unwrap());
    }
}
