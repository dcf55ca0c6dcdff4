//! The same random operation sequences against `HeapBackend` and
//! `RocksDbBackend`: equal results, equal `state_bytes` after every call,
//! byte-identical canonical snapshots.

mod support;

use weir_state::{
    HeapBackend, HeapOptions, KeyScope, KeyedStateBackend, StateDescriptor, StateError, StateId,
    StateKind,
};
use weir_state_rocksdb::{RocksDbBackend, RocksDbOptions};

use support::{Prng, canonical, small};

const RANGE: std::ops::Range<u32> = 2..6;

fn states() -> Vec<StateDescriptor> {
    vec![
        StateDescriptor::new("v", StateKind::Value),
        StateDescriptor::new("vt", StateKind::Value).with_ttl_ms(40),
        StateDescriptor::new("m", StateKind::Map),
        StateDescriptor::new("mt", StateKind::Map).with_ttl_ms(40),
        StateDescriptor::new("l", StateKind::List),
        StateDescriptor::new("lt", StateKind::List).with_ttl_ms(40),
    ]
}

/// How often each outcome came up, to check the sequences cover them.
#[derive(Debug, Default)]
struct Seen {
    ok: usize,
    non_empty: usize,
    errors: std::collections::BTreeMap<&'static str, usize>,
}

/// Asserts both backends gave the same result, and tallies it.
fn same<T: PartialEq + std::fmt::Debug>(
    seen: &mut Seen,
    heap: weir_state::Result<T>,
    rocks: weir_state::Result<T>,
    what: &str,
) {
    assert_eq!(heap, rocks, "{what}");
    match heap {
        Ok(v) => {
            seen.ok += 1;
            let shown = format!("{v:?}");
            if shown != "()" && shown != "None" && shown != "[]" {
                seen.non_empty += 1;
            }
        }
        Err(e) => {
            let kind = match e {
                StateError::UnknownState(_) => "unknown",
                StateError::KindMismatch { .. } => "kind",
                StateError::Conflict { .. } => "conflict",
                StateError::KeyGroupNotOwned { .. } => "not owned",
                StateError::QuotaExceeded { .. } => "quota",
                _ => "other",
            };
            *seen.errors.entry(kind).or_default() += 1;
        }
    }
}

/// Write-back cache budgets the random sequences run with: writing through,
/// so small that it flushes and empties every few calls, and the default.
const CACHES: [u64; 3] = [0, 2 << 10, RocksDbOptions::DEFAULT_WRITE_CACHE_BYTES];

/// Runs `ops` random operations on both backends and compares everything.
fn differential(
    seed: u64,
    ops: usize,
    max_state_bytes: Option<u64>,
    write_cache_bytes: u64,
) -> Seen {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = HeapBackend::new(RANGE, HeapOptions { max_state_bytes });
    let mut rocks = RocksDbBackend::open(
        RANGE,
        RocksDbOptions {
            max_state_bytes,
            write_cache_bytes,
            ..small(dir.path().join("db"))
        },
    )
    .unwrap();
    let descriptors = states();
    let mut ids = Vec::new();
    for d in &descriptors {
        let h = heap.register(d).unwrap();
        assert_eq!(rocks.register(d).unwrap(), h);
        ids.push(h);
    }
    let mut seen = Seen::default();
    let mut rng = Prng::new(seed);
    let mut now = 1_000;
    // A few keys, with nul bytes and prefixes of each other, in owned key
    // groups plus one foreign key group.
    let keys: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"a\0".to_vec(),
        b"ab".to_vec(),
        b"\0\x01".to_vec(),
        b"zz".to_vec(),
    ];
    for i in 0..ops {
        now += rng.below(12) as i64;
        let key = &keys[rng.below(keys.len() as u64) as usize];
        let kg = if rng.below(40) == 0 {
            7
        } else {
            RANGE.start + rng.below(RANGE.len() as u64) as u32
        };
        let scope = KeyScope::new(kg, key);
        let op = rng.below(13);
        // Mostly a state of the op's kind (`states()` lists two per kind),
        // sometimes any state or an unknown id.
        let si = match (op, rng.below(12)) {
            (_, 0) => rng.below(ids.len() as u64) as usize,
            (0..=2, _) => rng.below(2) as usize,
            (3..=7, _) => 2 + rng.below(2) as usize,
            (8..=10, _) => 4 + rng.below(2) as usize,
            _ => rng.below(ids.len() as u64) as usize,
        };
        let id = match rng.below(40) {
            0 => StateId(99),
            _ => ids[si],
        };
        let small_map_key = [rng.below(4) as u8];
        let value = rng.bytes(24);
        let what = format!("seed {seed} op {i} ({op}) on {id} {scope:?} at {now}");
        let seen = &mut seen;
        match op {
            0 | 1 => same(
                seen,
                heap.value_set(id, scope, value.clone(), now),
                rocks.value_set(id, scope, value, now),
                &what,
            ),
            2 => same(
                seen,
                heap.value_get(id, scope, now),
                rocks.value_get(id, scope, now),
                &what,
            ),
            3 | 4 => same(
                seen,
                heap.map_put(id, scope, small_map_key.to_vec(), value.clone(), now),
                rocks.map_put(id, scope, small_map_key.to_vec(), value, now),
                &what,
            ),
            5 => same(
                seen,
                heap.map_get(id, scope, &small_map_key, now),
                rocks.map_get(id, scope, &small_map_key, now),
                &what,
            ),
            6 => same(
                seen,
                heap.map_remove(id, scope, &small_map_key),
                rocks.map_remove(id, scope, &small_map_key),
                &what,
            ),
            7 => same(
                seen,
                heap.map_entries(id, scope, now),
                rocks.map_entries(id, scope, now),
                &what,
            ),
            8 => same(
                seen,
                heap.list_add(id, scope, value.clone(), now),
                rocks.list_add(id, scope, value, now),
                &what,
            ),
            9 => same(
                seen,
                heap.list_get(id, scope, now),
                rocks.list_get(id, scope, now),
                &what,
            ),
            10 => {
                let values: Vec<_> = (0..rng.below(3)).map(|_| rng.bytes(6)).collect();
                same(
                    seen,
                    heap.list_update(id, scope, values.clone(), now),
                    rocks.list_update(id, scope, values, now),
                    &what,
                )
            }
            11 => same(seen, heap.clear(id, scope), rocks.clear(id, scope), &what),
            _ => {
                // Registration: the same, another kind, or another TTL.
                let mut d = descriptors[si].clone();
                match rng.below(3) {
                    0 => d.kind = StateKind::List,
                    1 => d.ttl_ms = Some(7),
                    _ => {}
                }
                same(seen, heap.register(&d), rocks.register(&d), &what);
            }
        }
        assert_eq!(heap.state_bytes(), rocks.state_bytes(), "{what}");
        if i % 500 == 499 {
            assert_eq!(canonical(&heap), canonical(&rocks), "{what}");
        }
    }
    let snapshots = canonical(&heap);
    assert_eq!(snapshots, canonical(&rocks), "seed {seed}: final snapshots");

    // Canonical restores go both ways and keep the bytes.
    let mut heap2 = HeapBackend::new(RANGE, HeapOptions::default());
    let mut rocks2 = RocksDbBackend::open(RANGE, small(dir.path().join("db2"))).unwrap();
    for (kg, bytes) in &snapshots {
        heap2.restore_key_group(*kg, bytes).unwrap();
        rocks2.restore_key_group(*kg, bytes).unwrap();
    }
    assert_eq!(canonical(&rocks2), snapshots);
    assert_eq!(canonical(&heap2), snapshots);
    assert_eq!(rocks2.state_bytes(), heap.state_bytes());
    assert_eq!(heap2.state_bytes(), heap.state_bytes());
    seen
}

#[test]
fn random_sequences_match_the_heap_backend() {
    for (seed, cache) in (1..=6).zip(CACHES.iter().cycle()) {
        let seen = differential(seed, 3_000, None, *cache);
        assert!(seen.ok > 1_000 && seen.non_empty > 300, "{seen:?}");
        for kind in ["unknown", "kind", "conflict", "not owned"] {
            assert!(seen.errors.get(kind) > Some(&5), "{kind}: {seen:?}");
        }
        assert_eq!(seen.errors.get("quota"), None);
    }
}

#[test]
fn random_sequences_under_a_quota_match_the_heap_backend() {
    for (seed, cache) in (10..=12).zip(CACHES) {
        let seen = differential(seed, 2_000, Some(1_500), cache);
        assert!(seen.errors.get("quota") > Some(&20), "{seen:?}");
        assert!(seen.non_empty > 100, "{seen:?}");
    }
}

#[test]
fn restores_adopt_unknown_states_and_refuse_conflicts_like_the_heap() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = HeapBackend::new(RANGE, HeapOptions::default());
    let mut rocks = RocksDbBackend::open(RANGE, small(dir.path().join("db"))).unwrap();

    // A snapshot from elsewhere naming a state neither backend knows.
    let mut other = HeapBackend::new(0..16, HeapOptions::default());
    let extra = other
        .register(&StateDescriptor::new("extra", StateKind::Map).with_ttl_ms(9))
        .unwrap();
    other
        .map_put(
            extra,
            KeyScope::new(3, b"k"),
            b"mk".to_vec(),
            b"x".to_vec(),
            5,
        )
        .unwrap();
    let mut bytes = Vec::new();
    other.snapshot_key_group(3, &mut bytes).unwrap();

    let v = StateDescriptor::new("v", StateKind::Value);
    assert_eq!(heap.register(&v), rocks.register(&v));
    assert_eq!(
        heap.restore_key_group(3, &bytes),
        rocks.restore_key_group(3, &bytes)
    );
    assert_eq!(canonical(&heap), canonical(&rocks));
    assert_eq!(heap.state_bytes(), rocks.state_bytes());
    // The adopted state takes the first registration's TTL, once.
    let d = StateDescriptor::new("extra", StateKind::Map).with_ttl_ms(20);
    assert_eq!(heap.register(&d), rocks.register(&d));
    assert_eq!(
        heap.register(&d.clone().with_ttl_ms(9)),
        rocks.register(&d.with_ttl_ms(9))
    );
    let scope = KeyScope::new(3, b"k".as_slice());
    let id = rocks.state_id("extra").unwrap();
    assert_eq!(
        heap.map_get(id, scope, b"mk", 20),
        rocks.map_get(id, scope, b"mk", 20)
    );
    assert_eq!(rocks.map_get(id, scope, b"mk", 25), Ok(None));
    assert_eq!(heap.map_get(id, scope, b"mk", 25), Ok(None));
    assert_eq!(heap.state_bytes(), rocks.state_bytes());

    // A snapshot whose state has another kind is refused, changing nothing.
    let mut conflicting = HeapBackend::new(0..16, HeapOptions::default());
    conflicting
        .register(&StateDescriptor::new("v", StateKind::List))
        .unwrap();
    let mut bad = Vec::new();
    conflicting.snapshot_key_group(4, &mut bad).unwrap();
    let before = canonical(&rocks);
    assert_eq!(
        heap.restore_key_group(4, &bad),
        rocks.restore_key_group(4, &bad)
    );
    assert!(rocks.restore_key_group(4, &bad).is_err());
    assert_eq!(canonical(&rocks), before);
    // Garbage and foreign key groups fail the same way.
    assert_eq!(
        heap.restore_key_group(4, b"nope"),
        rocks.restore_key_group(4, b"nope")
    );
    assert_eq!(
        heap.restore_key_group(9, &bytes),
        rocks.restore_key_group(9, &bytes)
    );
}
