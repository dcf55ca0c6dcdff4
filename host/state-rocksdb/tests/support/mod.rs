//! Shared helpers of the RocksDB backend's integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use weir_state::{
    BackendSnapshot, KeyScope, KeyedStateBackend, NativeSnapshot, SnapshotKind, StateDescriptor,
    StateId, StateKind,
};
use weir_state_rocksdb::{NativeRestore, RocksDbBackend, RocksDbOptions};

pub const MAX_PARALLELISM: u32 = 16;

/// A small deterministic PRNG (xorshift64*), so failures replay by seed.
#[derive(Debug, Clone)]
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Self {
        Prng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Options with a small cache and write buffer in `dir`.
pub fn small(dir: impl Into<PathBuf>) -> RocksDbOptions {
    RocksDbOptions {
        block_cache_bytes: 1 << 20,
        write_buffer_bytes: 1 << 20,
        ..RocksDbOptions::new(dir)
    }
}

pub fn open(dir: &Path, range: std::ops::Range<u32>) -> RocksDbBackend {
    RocksDbBackend::open(range, small(dir)).expect("open")
}

pub fn value(name: &str) -> StateDescriptor {
    StateDescriptor::new(name, StateKind::Value)
}

pub fn register(b: &mut dyn KeyedStateBackend, d: StateDescriptor) -> StateId {
    b.register(&d).expect("register")
}

/// The scope of `key` with its real key group.
pub fn scope(key: &[u8]) -> KeyScope<'_> {
    KeyScope::new(weir_types::key_group_for(key, MAX_PARALLELISM), key)
}

/// A canonical snapshot of every key group of `b`.
pub fn canonical(b: &dyn KeyedStateBackend) -> Vec<(u32, Vec<u8>)> {
    b.key_groups()
        .map(|kg| {
            let mut out = Vec::new();
            b.snapshot_key_group(kg, &mut out).expect("snapshot");
            (kg, out)
        })
        .collect()
}

/// Takes a native checkpoint of `b` into a new folder under `work`.
pub fn checkpoint(b: &mut RocksDbBackend, work: &Path, name: &str) -> NativeSnapshot {
    let scratch = work.join(name);
    std::fs::create_dir_all(&scratch).expect("scratch");
    match b
        .snapshot(SnapshotKind::Checkpoint, &scratch)
        .expect("checkpoint")
    {
        BackendSnapshot::Native(n) => n,
        BackendSnapshot::KeyGroups(_) => panic!("a checkpoint should be native"),
    }
}

/// A restore source for `snapshot`, taken by a backend owning `key_groups`.
pub fn source(snapshot: &NativeSnapshot, key_groups: std::ops::Range<u32>) -> NativeRestore {
    NativeRestore {
        key_groups,
        dir: snapshot.dir.clone(),
    }
}

/// The states `fill` writes, in the order a backend registers them.
pub fn fill_states() -> Vec<StateDescriptor> {
    vec![
        StateDescriptor::new("count", StateKind::Value),
        StateDescriptor::new("seen", StateKind::Map).with_ttl_ms(1_000_000),
        StateDescriptor::new("events", StateKind::List),
    ]
}

/// Registers `fill_states` (in reverse order when `reversed`, so ids differ
/// between backends) and writes keys `keys` that fall in `b`'s key groups:
/// a value, a map of three entries and a list of two per key.
pub fn fill(b: &mut dyn KeyedStateBackend, keys: std::ops::Range<u32>, reversed: bool) {
    let mut states = fill_states();
    if reversed {
        states.reverse();
    }
    for d in &states {
        b.register(d).expect("register");
    }
    let ids: Vec<StateId> = fill_states()
        .iter()
        .map(|d| b.register(d).expect("register"))
        .collect();
    for i in keys {
        let key = format!("key-{i}").into_bytes();
        let s = scope(&key);
        if !b.key_groups().contains(&s.key_group) {
            continue;
        }
        let now = 1_000 + i64::from(i);
        b.value_set(ids[0], s, i.to_le_bytes().to_vec(), now)
            .expect("set");
        for m in 0..3u8 {
            b.map_put(ids[1], s, vec![m], vec![m; i as usize % 7], now)
                .expect("put");
        }
        b.list_add(ids[2], s, b"a".to_vec(), now).expect("add");
        b.list_add(ids[2], s, format!("{i}").into_bytes(), now)
            .expect("add");
    }
}

/// A heap backend over all key groups holding what `fill` writes for
/// `keys`.
pub fn reference(keys: std::ops::Range<u32>) -> weir_state::HeapBackend {
    let mut heap =
        weir_state::HeapBackend::new(0..MAX_PARALLELISM, weir_state::HeapOptions::default());
    fill(&mut heap, keys, false);
    heap
}

/// `reference`'s canonical snapshots of the key groups in `range`.
pub fn expected(
    reference: &weir_state::HeapBackend,
    range: std::ops::Range<u32>,
) -> Vec<(u32, Vec<u8>)> {
    canonical(reference)
        .into_iter()
        .filter(|(kg, _)| range.contains(kg))
        .collect()
}
