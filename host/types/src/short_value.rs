//! The inline form of a short state value: how `state-batch.apply` of WIT
//! `weir:operator@0.2.0` returns a read's value of at most 16 bytes
//! (`found.short`), so that it costs the guest no call into its allocator.
//!
//! ```
//! use weir_types::short_value::{self, ShortValue};
//!
//! let (len, low, high) = short_value::encode(b"hello").unwrap();
//! assert_eq!(len, 5);
//! let value = ShortValue::decode(len, low, high).unwrap();
//! assert_eq!(&*value, b"hello");
//! assert!(short_value::encode(&[0; 17]).is_none());
//! assert!(ShortValue::decode(17, 0, 0).is_none());
//! ```

use std::ops::Deref;

/// The longest value with an inline form.
pub const MAX: usize = 16;

/// `bytes` inline: its length, then its bytes as two little-endian words,
/// bytes 0–7 then 8–15, zero past the length. `None` if it is longer than
/// [`MAX`].
pub fn encode(bytes: &[u8]) -> Option<(u8, u64, u64)> {
    if bytes.len() > MAX {
        return None;
    }
    let mut all = [0u8; MAX];
    all[..bytes.len()].copy_from_slice(bytes);
    let (low, high) = all.split_at(8);
    Some((
        bytes.len() as u8,
        u64::from_le_bytes(low.try_into().expect("8 bytes")),
        u64::from_le_bytes(high.try_into().expect("8 bytes")),
    ))
}

/// A value decoded from its inline form, held without an allocation; it
/// derefs to its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortValue {
    bytes: [u8; MAX],
    len: u8,
}

impl ShortValue {
    /// The value whose inline form is `(len, low, high)`; `None` if `len` is
    /// over [`MAX`].
    pub fn decode(len: u8, low: u64, high: u64) -> Option<Self> {
        if usize::from(len) > MAX {
            return None;
        }
        let mut bytes = [0u8; MAX];
        bytes[..8].copy_from_slice(&low.to_le_bytes());
        bytes[8..].copy_from_slice(&high.to_le_bytes());
        Some(ShortValue { bytes, len })
    }
}

impl Deref for ShortValue {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_up_to_the_max_round_trips() {
        let source: Vec<u8> = (1..=MAX as u8).collect();
        for n in 0..=MAX {
            let (len, low, high) = encode(&source[..n]).unwrap();
            assert_eq!(usize::from(len), n);
            assert_eq!(&*ShortValue::decode(len, low, high).unwrap(), &source[..n]);
        }
        let (_, low, high) = encode(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
        assert_eq!((low, high), (0x0807_0605_0403_0201, 9), "little-endian");
    }
}
