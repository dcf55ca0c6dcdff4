//! Little-endian and LEB128 primitives shared by the snapshot formats.

use crate::{Result, StateError};

/// Appends `v` as unsigned LEB128 (at most 10 bytes).
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a varint length and then `bytes`.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends `v` as 8 little-endian bytes.
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Writes the common header: magic, version and key group.
pub(crate) fn put_header(out: &mut Vec<u8>, magic: &[u8; 4], version: u8, key_group: u32) {
    out.extend_from_slice(magic);
    out.push(version);
    out.extend_from_slice(&key_group.to_le_bytes());
}

/// Reads snapshot bytes front to back; every read checks bounds.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Checks magic, version and that the header names `expected_kg`.
    pub(crate) fn header(&mut self, magic: &[u8; 4], version: u8, expected_kg: u32) -> Result<()> {
        if self.take(4)? != magic {
            return Err(invalid(format!(
                "bad magic (expected {:?})",
                String::from_utf8_lossy(magic)
            )));
        }
        let found = self.u8()?;
        if found != version {
            return Err(StateError::UnsupportedSnapshotVersion {
                found,
                supported: version,
            });
        }
        let found = u32::from_le_bytes(self.array()?);
        if found != expected_kg {
            return Err(StateError::SnapshotKeyGroupMismatch {
                expected: expected_kg,
                found,
            });
        }
        Ok(())
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(invalid("varint overflows 64 bits".into()));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid("varint longer than 10 bytes".into()))
    }

    /// A count of items that each take at least `min_item_len` bytes: it
    /// cannot exceed what is left, so it is safe to preallocate for.
    pub(crate) fn count(&mut self, min_item_len: usize) -> Result<usize> {
        let n = self.varint()?;
        let fits = self.buf.len() / min_item_len.max(1);
        if n > fits as u64 {
            return Err(invalid(format!(
                "count {n} exceeds the {} bytes left",
                self.buf.len()
            )));
        }
        Ok(n as usize)
    }

    /// A varint length and that many bytes.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.varint()?;
        if len > self.buf.len() as u64 {
            return Err(invalid(format!(
                "length {len} exceeds the {} bytes left",
                self.buf.len()
            )));
        }
        self.take(len as usize)
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(invalid(format!("{} trailing bytes", self.buf.len())))
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().expect("take returns exactly N bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(invalid("unexpected end of snapshot".into()));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
}

pub(crate) fn invalid(reason: String) -> StateError {
    StateError::InvalidSnapshot(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.varint().unwrap(), v);
            r.finish().unwrap();
        }
    }

    #[test]
    fn overlong_varint_is_rejected() {
        let mut r = Reader::new(&[0xff; 11]);
        assert!(matches!(r.varint(), Err(StateError::InvalidSnapshot(_))));
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
        assert!(matches!(r.varint(), Err(StateError::InvalidSnapshot(_))));
    }

    #[test]
    fn lengths_beyond_the_buffer_are_rejected() {
        let mut out = Vec::new();
        put_varint(&mut out, 5);
        out.extend_from_slice(b"abc");
        assert!(Reader::new(&out).bytes().is_err());
        let mut r = Reader::new(&out);
        assert!(r.count(1).is_err());
    }

    #[test]
    fn header_checks_magic_version_and_key_group() {
        let mut out = Vec::new();
        put_header(&mut out, b"TEST", 1, 9);
        Reader::new(&out).header(b"TEST", 1, 9).unwrap();
        assert!(matches!(
            Reader::new(&out).header(b"NOPE", 1, 9),
            Err(StateError::InvalidSnapshot(_))
        ));
        assert_eq!(
            Reader::new(&out).header(b"TEST", 2, 9),
            Err(StateError::UnsupportedSnapshotVersion {
                found: 1,
                supported: 2
            })
        );
        assert_eq!(
            Reader::new(&out).header(b"TEST", 1, 3),
            Err(StateError::SnapshotKeyGroupMismatch {
                expected: 3,
                found: 9
            })
        );
    }
}
