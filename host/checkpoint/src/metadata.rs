//! The `_metadata` file: what a completed checkpoint or savepoint holds and
//! where its files are. Format version 1 is described in the crate README.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The value of [`CheckpointMetadata::format`].
pub const FORMAT: &str = "weir-checkpoint";

/// The metadata format version this build writes and the newest it reads.
pub const VERSION: u32 = 1;

/// Whether a snapshot is a periodic checkpoint or a savepoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotKind {
    /// Taken periodically, owned by the job, removed by retention; may share
    /// files with other checkpoints of the same storage.
    Checkpoint,
    /// Taken on request, owned by the user, self-contained.
    Savepoint,
}

impl SnapshotKind {
    /// `checkpoint` or `savepoint`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotKind::Checkpoint => "checkpoint",
            SnapshotKind::Savepoint => "savepoint",
        }
    }
}

impl std::fmt::Display for SnapshotKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<weir_state::SnapshotKind> for SnapshotKind {
    fn from(kind: weir_state::SnapshotKind) -> Self {
        match kind {
            weir_state::SnapshotKind::Checkpoint => SnapshotKind::Checkpoint,
            weir_state::SnapshotKind::Savepoint => SnapshotKind::Savepoint,
        }
    }
}

impl From<SnapshotKind> for weir_state::SnapshotKind {
    fn from(kind: SnapshotKind) -> Self {
        match kind {
            SnapshotKind::Checkpoint => weir_state::SnapshotKind::Checkpoint,
            SnapshotKind::Savepoint => weir_state::SnapshotKind::Savepoint,
        }
    }
}

/// The content of a `_metadata` file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMetadata {
    /// Always [`FORMAT`] (`weir-checkpoint`).
    pub format: String,
    /// The format version, [`VERSION`] when written by this build.
    pub version: u32,
    /// Checkpoint or savepoint.
    pub kind: SnapshotKind,
    /// The checkpoint id (savepoints take ids from the same sequence).
    pub id: u64,
    /// The job's name.
    pub job: String,
    /// Wall-clock time the snapshot completed, in milliseconds since the
    /// Unix epoch.
    pub created_ms: i64,
    /// The job had ended when this was taken: restoring it only commits
    /// what the sinks had pending.
    pub finished: bool,
    /// The number of key groups keyed state is split into.
    pub max_parallelism: u32,
    /// Every source, operator and sink, by node id.
    pub nodes: BTreeMap<String, NodeSnapshot>,
}

/// The snapshot of one node of the job graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSnapshot {
    /// The node's parallelism when the snapshot was taken.
    pub parallelism: u32,
    /// The Wasm module that ran the node, for Wasm operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleInfo>,
    /// The keyed state backend (`heap` or `rocksdb`), for keyed nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_backend: Option<String>,
    /// One entry per subtask, indexed by subtask.
    pub subtasks: Vec<SubtaskSnapshot>,
}

/// Which Wasm module a node ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// Hex SHA-256 of the component's bytes.
    pub sha256: String,
    /// The world it exports: `operator` or `udf`.
    pub world: String,
    /// The WIT package it was built against, e.g. `weir:operator@0.1.0`.
    pub wit: String,
}

/// The snapshot of one subtask.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubtaskSnapshot {
    /// The key groups the subtask owned, `[start, end)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_groups: Option<(u32, u32)>,
    /// Its keyed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyed_state: Option<KeyedStateHandle>,
    /// Its timers, one blob per key group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timers: Option<KeyGroupsHandle>,
    /// A source's position (connector-specific JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_position: Option<serde_json::Value>,
    /// A sink's pending commit (connector-specific JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<serde_json::Value>,
    /// The bulk bytes of a sink's pending commit (records written ahead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink_data: Option<FileRef>,
}

/// Where a subtask's keyed state is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KeyedStateHandle {
    /// Canonical per-key-group blobs, restorable by any backend at any
    /// parallelism.
    KeyGroups(KeyGroupsHandle),
    /// A backend's own files (see `weir_state::NativeSnapshot`).
    Native(NativeHandle),
}

/// A native keyed-state snapshot: the files of one backend instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeHandle {
    /// The file format with its version, e.g. `rocksdb-1`.
    pub format: String,
    /// The backend instance that wrote the files.
    pub instance: String,
    /// Every file of the snapshot folder.
    pub files: Vec<NativeFileRef>,
}

/// One file of a [`NativeHandle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeFileRef {
    /// Its name in the local snapshot folder.
    pub name: String,
    /// Where it is stored.
    pub file: FileRef,
}

/// Many key groups' blobs concatenated in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupsHandle {
    /// The file.
    pub file: FileRef,
    /// Where each key group's blob is in it, in key-group order.
    pub groups: Vec<KeyGroupSpan>,
}

/// One key group's blob inside a [`KeyGroupsHandle`]'s file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupSpan {
    /// The key group.
    pub key_group: u32,
    /// Byte offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// CRC-32C of the blob, checked when it is read back (absent in
    /// metadata written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<u32>,
}

/// A stored file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileRef {
    /// Path relative to the storage root (for a savepoint: to the savepoint
    /// folder), `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

impl FileRef {
    /// Whether this is a shared file (`shared/<instance>/<name>`), which
    /// checkpoints of one storage may reference in common.
    pub fn is_shared(&self) -> bool {
        self.path.starts_with(crate::layout::SHARED_DIR_PREFIX)
    }
}

impl CheckpointMetadata {
    /// Metadata of format version 1 with no nodes yet.
    pub fn new(
        kind: SnapshotKind,
        id: u64,
        job: impl Into<String>,
        created_ms: i64,
        max_parallelism: u32,
    ) -> Self {
        CheckpointMetadata {
            format: FORMAT.to_owned(),
            version: VERSION,
            kind,
            id,
            job: job.into(),
            created_ms,
            finished: false,
            max_parallelism,
            nodes: BTreeMap::new(),
        }
    }

    /// Every file the snapshot references, each once, in path order.
    pub fn files(&self) -> Vec<&FileRef> {
        let mut files: Vec<&FileRef> = self
            .nodes
            .values()
            .flat_map(|node| &node.subtasks)
            .flat_map(SubtaskSnapshot::files)
            .collect();
        files.sort();
        files.dedup_by(|a, b| a.path == b.path);
        files
    }

    /// The total size of every file the snapshot references: what restoring
    /// it reads. For an incremental checkpoint this includes shared files
    /// that earlier checkpoints uploaded; compare
    /// [`CompletedCheckpoint::uploaded_bytes`](crate::CompletedCheckpoint::uploaded_bytes).
    pub fn checkpointed_bytes(&self) -> u64 {
        self.files().iter().map(|file| file.size).sum()
    }

    /// Serializes to the bytes of a `_metadata` file (pretty JSON).
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes =
            serde_json::to_vec_pretty(self).expect("checkpoint metadata always serializes");
        bytes.push(b'\n');
        bytes
    }

    /// Parses the bytes of a `_metadata` file found at `url`, refusing other
    /// formats and newer versions with a message that says so.
    pub fn from_json(bytes: &[u8], url: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let corrupt = |source| Error::MetadataCorrupt {
            url: url.to_owned(),
            source,
        };
        let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
        if header.format != FORMAT || header.version > VERSION {
            return Err(Error::UnsupportedFormat {
                url: url.to_owned(),
                format: header.format,
                version: header.version,
                supported: VERSION,
            });
        }
        serde_json::from_slice(bytes).map_err(corrupt)
    }
}

impl SubtaskSnapshot {
    /// The files this subtask's snapshot references.
    pub fn files(&self) -> impl Iterator<Item = &FileRef> {
        let keyed: Vec<&FileRef> = match &self.keyed_state {
            None => Vec::new(),
            Some(KeyedStateHandle::KeyGroups(handle)) => vec![&handle.file],
            Some(KeyedStateHandle::Native(native)) => {
                native.files.iter().map(|file| &file.file).collect()
            }
        };
        keyed
            .into_iter()
            .chain(self.timers.iter().map(|timers| &timers.file))
            .chain(self.sink_data.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> FileRef {
        FileRef {
            path: path.to_owned(),
            size,
        }
    }

    fn sample() -> CheckpointMetadata {
        let mut metadata = CheckpointMetadata::new(SnapshotKind::Checkpoint, 7, "job", 1_000, 128);
        metadata.nodes.insert(
            "count".to_owned(),
            NodeSnapshot {
                parallelism: 2,
                module: Some(ModuleInfo {
                    sha256: "ab".repeat(32),
                    world: "operator".to_owned(),
                    wit: "weir:operator@0.1.0".to_owned(),
                }),
                state_backend: Some("rocksdb".to_owned()),
                subtasks: vec![
                    SubtaskSnapshot {
                        key_groups: Some((0, 64)),
                        keyed_state: Some(KeyedStateHandle::Native(NativeHandle {
                            format: "rocksdb-1".to_owned(),
                            instance: "i1".to_owned(),
                            files: vec![
                                NativeFileRef {
                                    name: "1.sst".to_owned(),
                                    file: file("shared/i1/1.sst", 100),
                                },
                                NativeFileRef {
                                    name: "MANIFEST".to_owned(),
                                    file: file("chk-7/native/i1/MANIFEST", 10),
                                },
                            ],
                        })),
                        timers: Some(KeyGroupsHandle {
                            file: file("chk-7/count-0-timers", 5),
                            groups: vec![KeyGroupSpan {
                                key_group: 3,
                                offset: 0,
                                len: 5,
                                crc32c: Some(0x1234_5678),
                            }],
                        }),
                        ..SubtaskSnapshot::default()
                    },
                    SubtaskSnapshot {
                        key_groups: Some((64, 128)),
                        source_position: Some(serde_json::json!({"offset": 12})),
                        ..SubtaskSnapshot::default()
                    },
                ],
            },
        );
        metadata
    }

    #[test]
    fn round_trips_through_json() {
        let metadata = sample();
        let parsed = CheckpointMetadata::from_json(&metadata.to_json(), "mem://x").unwrap();
        assert_eq!(parsed, metadata);
    }

    #[test]
    fn json_uses_documented_names() {
        let json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        assert_eq!(json["format"], "weir-checkpoint");
        assert_eq!(json["kind"], "checkpoint");
        let subtask = &json["nodes"]["count"]["subtasks"][0];
        assert_eq!(subtask["keyed_state"]["type"], "native");
        assert_eq!(subtask["key_groups"], serde_json::json!([0, 64]));
        assert!(
            json["nodes"]["count"]["subtasks"][1]
                .get("timers")
                .is_none()
        );
    }

    #[test]
    fn counts_each_referenced_file_once() {
        let mut metadata = sample();
        let first = metadata.nodes["count"].subtasks[0].clone();
        metadata.nodes.get_mut("count").unwrap().subtasks[1] = first;
        assert_eq!(metadata.files().len(), 3);
        assert_eq!(metadata.checkpointed_bytes(), 115);
    }

    #[test]
    fn refuses_other_formats_and_newer_versions() {
        let mut json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        json["version"] = 2.into();
        let err = CheckpointMetadata::from_json(json.to_string().as_bytes(), "file:///c/_metadata")
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("version 2"), "{message}");
        assert!(message.contains("file:///c/_metadata"), "{message}");

        json["version"] = 1.into();
        json["format"] = "flink".into();
        let err = CheckpointMetadata::from_json(json.to_string().as_bytes(), "x").unwrap_err();
        assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err}");
    }

    #[test]
    fn garbage_is_corrupt() {
        let err = CheckpointMetadata::from_json(b"{\"format\": ", "x").unwrap_err();
        assert!(matches!(err, Error::MetadataCorrupt { .. }), "{err}");
    }
}
