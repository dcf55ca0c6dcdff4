//! An order-independent fingerprint of a job's output, so the Wasm job and
//! the native loop can be compared whatever order their subtasks wrote in.
//!
//! Every bench output record is a fixed number of little-endian `u64` words
//! (see [`Scenario::words`](super::scenario::Scenario::words)); a record
//! hashes its words, and the checksum is the count and the wrapping sum of
//! the hashes.

use anyhow::{bail, ensure};

/// Count and summed hash of a multiset of output records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Checksum {
    /// Records seen.
    pub(crate) records: u64,
    /// Wrapping sum of each record's hash.
    pub(crate) hash: u64,
}

impl Checksum {
    /// Adds one record made of `words`.
    #[inline]
    pub(crate) fn add(&mut self, words: &[u64]) {
        let mut h = 0x9e37_79b9_7f4a_7c15u64;
        for &w in words {
            h = mix(h ^ w);
        }
        self.hash = self.hash.wrapping_add(h);
        self.records += 1;
    }

    /// Adds everything `other` saw.
    pub(crate) fn merge(&mut self, other: Checksum) {
        self.records += other.records;
        self.hash = self.hash.wrapping_add(other.hash);
    }

    /// Adds the records of a file sink's output in `value` format: each
    /// record is `words` little-endian `u64`s and a newline.
    pub(crate) fn add_value_lines(&mut self, bytes: &[u8], words: usize) -> anyhow::Result<()> {
        let width = words * 8 + 1;
        ensure!(
            bytes.len().is_multiple_of(width),
            "output of {} bytes is not a whole number of {width}-byte records",
            bytes.len()
        );
        let mut record = Vec::with_capacity(words);
        for line in bytes.chunks_exact(width) {
            if line[width - 1] != b'\n' {
                bail!("a {width}-byte output record does not end in a newline");
            }
            record.clear();
            record.extend(
                line[..width - 1]
                    .chunks_exact(8)
                    .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))),
            );
            self.add(&record);
        }
        Ok(())
    }
}

/// SplitMix64's finalizer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(records: &[&[u64]]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            for w in *r {
                out.extend(w.to_le_bytes());
            }
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn order_does_not_matter_but_content_does() {
        let (mut a, mut b, mut c) = (
            Checksum::default(),
            Checksum::default(),
            Checksum::default(),
        );
        a.add(&[1, 2]);
        a.add(&[3, 4]);
        b.add(&[3, 4]);
        b.add(&[1, 2]);
        c.add(&[2, 1]);
        c.add(&[3, 4]);
        assert_eq!(a, b);
        assert_eq!(a.records, c.records);
        assert_ne!(a, c, "swapped words in a record change the checksum");
    }

    #[test]
    fn merging_partitions_equals_one_pass() {
        let mut whole = Checksum::default();
        let mut parts = [Checksum::default(), Checksum::default()];
        for i in 0..100u64 {
            whole.add(&[i, i * i]);
            parts[(i % 2) as usize].add(&[i, i * i]);
        }
        let [mut first, second] = parts;
        first.merge(second);
        assert_eq!(first, whole);
    }

    #[test]
    fn value_lines_parse_into_the_same_checksum() {
        let mut direct = Checksum::default();
        direct.add(&[7, 10]);
        direct.add(&[u64::MAX, 0x0a0a]); // newline bytes inside a value are fine
        let mut parsed = Checksum::default();
        parsed
            .add_value_lines(&lines(&[&[7, 10], &[u64::MAX, 0x0a0a]]), 2)
            .unwrap();
        assert_eq!(parsed, direct);
    }

    #[test]
    fn malformed_output_is_an_error() {
        let mut c = Checksum::default();
        assert!(c.add_value_lines(&[0; 10], 1).is_err());
        assert!(c.add_value_lines(&[0; 9], 1).is_err(), "no newline");
        assert_eq!(c.records, 0);
    }
}
