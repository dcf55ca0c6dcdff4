//! Value get + set and map put on warm keys of the RocksDB backend: the
//! per-record hot path, to compare with `weir-state`'s `heap` bench.
//!
//! Each iteration touches one of 10,000 keys (round robin), so criterion's
//! reported time is the cost of one operation. The database lives in a
//! temporary folder with the default options (64 MiB cache, 32 MiB write
//! buffer), so the working set is in memory: this measures RocksDB's CPU
//! cost, not the disk.
//!
//! Run with `cargo bench -p weir-state-rocksdb --bench rocksdb`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use weir_state::{KeyScope, KeyedStateBackend, StateDescriptor, StateId, StateKind};
use weir_state_rocksdb::{RocksDbBackend, RocksDbOptions};
use weir_types::key_group_for;

const KEYS: usize = 10_000;
const MAX_PARALLELISM: u32 = 128;
const NOW: i64 = 1_700_000_000_000;

fn keys() -> Vec<(u32, Vec<u8>)> {
    (0..KEYS)
        .map(|i| {
            let key = format!("user-{i:08}").into_bytes();
            (key_group_for(&key, MAX_PARALLELISM), key)
        })
        .collect()
}

fn warm_backend(
    dir: &std::path::Path,
    keys: &[(u32, Vec<u8>)],
    kind: StateKind,
) -> (RocksDbBackend, StateId) {
    let mut backend =
        RocksDbBackend::open(0..MAX_PARALLELISM, RocksDbOptions::new(dir)).expect("open");
    let id = backend
        .register(&StateDescriptor::new("state", kind))
        .expect("register");
    if kind == StateKind::Value {
        for (kg, key) in keys {
            backend
                .value_set(
                    id,
                    KeyScope::new(*kg, key),
                    0u64.to_le_bytes().to_vec(),
                    NOW,
                )
                .expect("set");
        }
    }
    (backend, id)
}

fn value_state(c: &mut Criterion) {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut backend, id) = warm_backend(&dir.path().join("value"), &keys, StateKind::Value);
    let mut group = c.benchmark_group("rocksdb value, 10k warm keys, per op");
    let mut i = 0;
    group.bench_function("get+set", |b| {
        b.iter(|| {
            let (kg, key) = &keys[i % KEYS];
            i += 1;
            let scope = KeyScope::new(*kg, key);
            let old = backend.value_get(id, scope, NOW).expect("get");
            let n = u64::from_le_bytes(old.expect("warm").try_into().expect("8 bytes"));
            backend
                .value_set(id, scope, (n + 1).to_le_bytes().to_vec(), NOW)
                .expect("set");
        })
    });
    group.bench_function("get", |b| {
        b.iter(|| {
            let (kg, key) = &keys[i % KEYS];
            i += 1;
            black_box(
                backend
                    .value_get(id, KeyScope::new(*kg, key), NOW)
                    .expect("get"),
            )
        })
    });
    group.bench_function("set", |b| {
        b.iter(|| {
            let (kg, key) = &keys[i % KEYS];
            i += 1;
            backend
                .value_set(id, KeyScope::new(*kg, key), vec![1; 8], NOW)
                .expect("set")
        })
    });
    group.finish();
}

fn map_state(c: &mut Criterion) {
    let keys = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut backend, id) = warm_backend(&dir.path().join("map"), &keys, StateKind::Map);
    let mut i = 0u64;
    c.bench_function("rocksdb map put, 10k keys x 16 map keys, per op", |b| {
        b.iter(|| {
            let (kg, key) = &keys[i as usize % KEYS];
            let map_key = (i / KEYS as u64 % 16).to_le_bytes().to_vec();
            i += 1;
            backend
                .map_put(id, KeyScope::new(*kg, key), map_key, vec![1; 8], NOW)
                .expect("put")
        })
    });
}

criterion_group!(benches, value_state, map_state);
criterion_main!(benches);
