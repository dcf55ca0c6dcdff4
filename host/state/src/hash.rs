//! Hash maps keyed by tenant-controlled bytes.
//!
//! Keys come from user data, so a predictable hash would let a tenant craft
//! colliding keys and make every lookup linear (hash flooding). We use
//! foldhash — a few nanoseconds on short keys, where SipHash (std's default)
//! costs several times more on this hot path — but we do not rely on its own
//! global seed, which comes from address-space layout and the clock. Instead
//! the shared seed and each map's per-hasher seed are drawn from std's
//! `RandomState`, which the OS seeds. Attacking that requires recovering a
//! 64-bit secret from timing alone, which is the level of protection ahash
//! also offers, without another dependency (foldhash is already in the tree
//! through hashbrown).

use std::collections::HashMap;
use std::collections::hash_map::RandomState as OsSeeded;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;

/// The hasher builder of every map keyed by user bytes.
pub type Seeded = SeedableRandomState;

/// A hash map from key bytes, looked up by `&[u8]` without allocating.
pub type KeyMap<K, V> = HashMap<K, V, Seeded>;

/// A fresh hasher builder with OS-random seeds.
pub fn seeded() -> Seeded {
    static SHARED: OnceLock<SharedSeed> = OnceLock::new();
    let shared = SHARED.get_or_init(|| SharedSeed::from_u64(os_random()));
    SeedableRandomState::with_seed(os_random(), shared)
}

/// An empty map with fresh seeds.
pub fn key_map<K, V>() -> KeyMap<K, V> {
    HashMap::with_hasher(seeded())
}

/// 64 unpredictable bits: std's `RandomState` keys come from the OS and every
/// new instance differs, so hashing a constant with it yields a fresh secret.
fn os_random() -> u64 {
    OsSeeded::new().hash_one(0x5eed_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_get_distinct_seeds() {
        let (a, b) = (seeded(), seeded());
        assert_ne!(a.hash_one(b"key"), b.hash_one(b"key"));
    }

    #[test]
    fn lookup_by_slice() {
        let mut map: KeyMap<Box<[u8]>, u32> = key_map();
        map.insert(Box::from(&b"k"[..]), 7);
        assert_eq!(map.get(&b"k"[..]), Some(&7));
        assert_eq!(map.get(&b"j"[..]), None);
    }
}
