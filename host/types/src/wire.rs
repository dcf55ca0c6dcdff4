//! The primitives of the packed layouts ([`crate::packed`],
//! [`crate::state_ops`]): little-endian integers and `u32`-length-prefixed
//! bytes.

/// Appends `bytes` with its length as a little-endian `u32` first.
///
/// # Panics
/// If `bytes` is longer than `u32::MAX`.
pub(crate) fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a key or value longer than 4 GiB");
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// A position in a packed buffer. Each read returns `None`, and leaves the
/// position where it is, when the buffer ends too soon.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, at: 0 }
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.buf.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let bytes = self.buf.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub(crate) fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A `u32` length and that many bytes.
    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()?;
        self.take(len as usize)
    }
}
