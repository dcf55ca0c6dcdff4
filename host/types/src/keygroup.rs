//! Key groups: the unit in which keyed state is partitioned and moved.
//!
//! As in Flink, a key is hashed to one of `max_parallelism` key groups and a
//! key group is assigned to a subtask by contiguous ranges, so changing the
//! parallelism moves whole key groups. The hash is our own fixed function
//! (MurmurHash3's 32-bit finalizer over an FNV-1a digest of the key bytes): it
//! must never change, since checkpoints store state by key group.

use std::ops::Range;

/// The key groups one subtask owns.
pub type KeyGroupRange = Range<u32>;

/// The key group of `key` among `max_parallelism` key groups.
///
/// ```
/// let kg = weir_types::key_group_for(b"account-7", 128);
/// assert!(kg < 128);
/// assert_eq!(kg, weir_types::key_group_for(b"account-7", 128));
/// ```
pub fn key_group_for(key: &[u8], max_parallelism: u32) -> u32 {
    debug_assert!(max_parallelism > 0);
    stable_hash(key) % max_parallelism
}

/// The subtask (of `parallelism`) that owns `key_group`.
pub fn assign_to_subtask(key_group: u32, max_parallelism: u32, parallelism: u32) -> u32 {
    ((key_group as u64 * parallelism as u64) / max_parallelism as u64) as u32
}

/// The key groups subtask `index` of `parallelism` owns.
///
/// ```
/// let all: Vec<_> = (0..3).map(|i| weir_types::key_group_range(128, 3, i)).collect();
/// assert_eq!(all[0].start, 0);
/// assert_eq!(all[2].end, 128);
/// assert_eq!(all[0].end, all[1].start);
/// ```
pub fn key_group_range(max_parallelism: u32, parallelism: u32, index: u32) -> KeyGroupRange {
    let m = max_parallelism as u64;
    let p = parallelism as u64;
    let i = index as u64;
    let start = (i * m).div_ceil(p);
    let end = ((i + 1) * m).div_ceil(p);
    start as u32..end as u32
}

fn stable_hash(key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    // MurmurHash3 fmix32 spreads the low bits FNV leaves clustered.
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_assignment_agree() {
        for p in 1..=16 {
            for kg in 0..128 {
                let owner = assign_to_subtask(kg, 128, p);
                assert!(
                    key_group_range(128, p, owner).contains(&kg),
                    "p={p} kg={kg} owner={owner}"
                );
            }
        }
    }

    #[test]
    fn hash_is_stable() {
        // These values are part of the checkpoint format: never change them.
        assert_eq!(stable_hash(b""), 0xab3e_7c0b);
        assert_eq!(stable_hash(b"a"), 0x1a80_b1b3);
        assert_eq!(stable_hash(b"hello world"), 0xb904_56ec);
        assert_eq!(key_group_for(b"account-7", 128), 62);
    }

    #[test]
    fn keys_spread_over_groups() {
        let mut counts = [0u32; 128];
        for i in 0..100_000u32 {
            counts[key_group_for(i.to_string().as_bytes(), 128) as usize] += 1;
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*min > 600 && *max < 1000, "min {min} max {max}");
    }
}
