//! Many key groups' blobs in one file: writing them through a
//! [`PendingCheckpoint`] and reading one or a range back.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::metadata::{FileRef, KeyGroupSpan, KeyGroupsHandle};
use crate::pending::PendingCheckpoint;
use crate::storage::CheckpointStorage;

/// Concatenates `(key group, blob)` pairs into one file's bytes and the
/// spans that find each blob again. Pure: writing the bytes is the
/// caller's (see [`KeyGroupsHandle::write`]).
pub fn concat_key_groups<B: AsRef<[u8]>>(
    blobs: impl IntoIterator<Item = (u32, B)>,
) -> (Bytes, Vec<KeyGroupSpan>) {
    let mut bytes = BytesMut::new();
    let mut groups = Vec::new();
    for (key_group, blob) in blobs {
        let blob = blob.as_ref();
        groups.push(KeyGroupSpan {
            key_group,
            offset: bytes.len() as u64,
            len: blob.len() as u64,
            crc32c: Some(crc32c::crc32c(blob)),
        });
        bytes.extend_from_slice(blob);
    }
    groups.sort_by_key(|span| span.key_group);
    (bytes.freeze(), groups)
}

impl KeyGroupsHandle {
    /// Uploads `(key group, blob)` pairs as one exclusive file `name` of
    /// `pending`. Each key group may appear once.
    pub fn write<B: AsRef<[u8]>>(
        pending: &PendingCheckpoint,
        name: &str,
        blobs: impl IntoIterator<Item = (u32, B)>,
    ) -> Result<Self> {
        let (bytes, groups) = concat_key_groups(blobs);
        if let Some(pair) = groups.windows(2).find(|w| w[0].key_group == w[1].key_group) {
            return Err(Error::KeyGroup {
                key_group: pair[0].key_group,
                path: name.to_owned(),
                reason: "given twice".into(),
            });
        }
        let file = pending.put(name, bytes)?;
        Ok(KeyGroupsHandle { file, groups })
    }

    /// Where `key_group`'s blob is, if the file holds it.
    pub fn span(&self, key_group: u32) -> Option<&KeyGroupSpan> {
        self.groups
            .binary_search_by_key(&key_group, |span| span.key_group)
            .ok()
            .map(|i| &self.groups[i])
    }

    /// Reads one key group's blob (a ranged read); `None` if the file does
    /// not hold that key group.
    pub fn read_group(&self, storage: &CheckpointStorage, key_group: u32) -> Result<Option<Bytes>> {
        let Some(span) = self.span(key_group) else {
            return Ok(None);
        };
        let range = checked_range(&self.file, span)?;
        if range.is_empty() {
            return Ok(Some(Bytes::new()));
        }
        let blob = storage.read_range(&self.file, range)?;
        verify(&self.file, span, &blob)?;
        Ok(Some(blob))
    }

    /// Reads the blobs of every key group in `key_groups` that the file
    /// holds, in key-group order, with one read of the whole file (for a
    /// subtask restoring a range of key groups).
    pub fn read_groups(
        &self,
        storage: &CheckpointStorage,
        key_groups: Range<u32>,
    ) -> Result<Vec<(u32, Bytes)>> {
        let wanted: Vec<&KeyGroupSpan> = self
            .groups
            .iter()
            .filter(|span| key_groups.contains(&span.key_group))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = storage.read(&self.file)?;
        wanted
            .into_iter()
            .map(|span| {
                let range = checked_range(&self.file, span)?;
                if range.end > bytes.len() as u64 {
                    return Err(out_of_file(&self.file, span, bytes.len() as u64));
                }
                let blob = bytes.slice(range.start as usize..range.end as usize);
                verify(&self.file, span, &blob)?;
                Ok((span.key_group, blob))
            })
            .collect()
    }
}

/// Checks a blob read back against its span's CRC-32C, when it has one.
fn verify(file: &FileRef, span: &KeyGroupSpan, blob: &[u8]) -> Result<()> {
    match span.crc32c {
        Some(want) if crc32c::crc32c(blob) != want => Err(Error::KeyGroup {
            key_group: span.key_group,
            path: file.path.clone(),
            reason: "its bytes do not match their checksum: the file is damaged".into(),
        }),
        _ => Ok(()),
    }
}

fn checked_range(file: &FileRef, span: &KeyGroupSpan) -> Result<Range<u64>> {
    match span.offset.checked_add(span.len) {
        Some(end) if end <= file.size => Ok(span.offset..end),
        _ => Err(out_of_file(file, span, file.size)),
    }
}

fn out_of_file(file: &FileRef, span: &KeyGroupSpan, size: u64) -> Error {
    Error::KeyGroup {
        key_group: span.key_group,
        path: file.path.clone(),
        reason: format!(
            "span {}+{} lies outside the file's {size} bytes",
            span.offset, span.len
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenates_and_finds_each_group() {
        let (bytes, groups) = concat_key_groups([(5, &b"five"[..]), (2, b"2"), (9, b"")]);
        assert_eq!(&bytes[..], b"five2");
        let handle = KeyGroupsHandle {
            file: FileRef {
                path: "f".into(),
                size: bytes.len() as u64,
            },
            groups,
        };
        let span = handle.span(2).unwrap();
        assert_eq!((span.offset, span.len), (4, 1));
        assert_eq!(handle.span(9).unwrap().len, 0);
        assert!(handle.span(3).is_none());
    }

    #[test]
    fn a_blob_that_changed_is_refused() {
        let (bytes, groups) = concat_key_groups([(1, &b"one"[..]), (2, b"two")]);
        let file = FileRef {
            path: "f".into(),
            size: bytes.len() as u64,
        };
        let span = groups[1];
        assert_eq!(span.crc32c, Some(crc32c::crc32c(b"two")));
        verify(&file, &span, b"two").unwrap();
        let err = verify(&file, &span, b"twO").unwrap_err();
        assert_eq!(
            err.to_string(),
            "key group 2 in `f`: its bytes do not match their checksum: the file is damaged"
        );
        // Spans from before checksums are taken as they are.
        let old = KeyGroupSpan {
            crc32c: None,
            ..span
        };
        verify(&file, &old, b"twO").unwrap();
    }

    #[test]
    fn spans_outside_the_file_are_errors() {
        let file = FileRef {
            path: "f".into(),
            size: 4,
        };
        let span = KeyGroupSpan {
            key_group: 1,
            offset: 3,
            len: 2,
            crc32c: None,
        };
        let err = checked_range(&file, &span).unwrap_err();
        assert!(err.to_string().contains("key group 1 in `f`"), "{err}");
    }
}
