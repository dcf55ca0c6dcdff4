use super::*;
use crate::snapshot::decode;
use crate::{ENTRY_OVERHEAD as O, KeyScope, KeyedStateBackend, StateKind};

const T0: i64 = 1_000_000;

fn backend(range: KeyGroupRange) -> HeapBackend {
    HeapBackend::new(range, HeapOptions::default())
}

fn limited(max: u64) -> HeapBackend {
    HeapBackend::new(
        0..4,
        HeapOptions {
            max_state_bytes: Some(max),
        },
    )
}

fn reg(b: &mut HeapBackend, name: &str, kind: StateKind, ttl: Option<u64>) -> StateId {
    b.register(&StateDescriptor {
        name: name.into(),
        kind,
        ttl_ms: ttl,
    })
    .unwrap()
}

fn s(key: &[u8]) -> KeyScope<'_> {
    KeyScope::new(1, key)
}

fn v(bytes: &[u8]) -> Vec<u8> {
    bytes.to_vec()
}

#[test]
fn values_set_get_overwrite_clear() {
    let mut b = backend(0..4);
    let id = reg(&mut b, "v", StateKind::Value, None);
    assert_eq!(b.value_get(id, s(b"k"), T0).unwrap(), None);
    b.value_set(id, s(b"k"), v(b"one"), T0).unwrap();
    b.value_set(id, KeyScope::new(2, b"k"), v(b"other"), T0)
        .unwrap();
    assert_eq!(b.value_get(id, s(b"k"), T0).unwrap(), Some(v(b"one")));
    assert_eq!(b.state_bytes(), (1 + 3 + O) + (1 + 5 + O));
    b.value_set(id, s(b"k"), v(b"three"), T0).unwrap();
    assert_eq!(b.value_get(id, s(b"k"), T0).unwrap(), Some(v(b"three")));
    assert_eq!(b.state_bytes(), (1 + 5 + O) * 2);
    b.clear(id, s(b"k")).unwrap();
    assert_eq!(b.value_get(id, s(b"k"), T0).unwrap(), None);
    assert_eq!(
        b.value_get(id, KeyScope::new(2, b"k"), T0).unwrap(),
        Some(v(b"other"))
    );
    assert_eq!(b.state_bytes(), 1 + 5 + O);
    b.clear(id, s(b"absent")).unwrap();
}

#[test]
fn states_are_separate() {
    let mut b = backend(0..4);
    let a = reg(&mut b, "a", StateKind::Value, None);
    let c = reg(&mut b, "c", StateKind::Value, None);
    assert_ne!(a, c);
    b.value_set(a, s(b"k"), v(b"a"), T0).unwrap();
    assert_eq!(b.value_get(c, s(b"k"), T0).unwrap(), None);
    assert_eq!(b.state_id("c"), Some(c));
    assert_eq!(b.descriptor(a).unwrap().name, "a");
}

#[test]
fn registration_is_idempotent_and_checked() {
    let mut b = backend(0..4);
    let id = reg(&mut b, "m", StateKind::Map, Some(10));
    assert_eq!(reg(&mut b, "m", StateKind::Map, Some(10)), id);
    let kind = b
        .register(&StateDescriptor::new("m", StateKind::List).with_ttl_ms(10))
        .unwrap_err();
    let ttl = b
        .register(&StateDescriptor::new("m", StateKind::Map))
        .unwrap_err();
    for err in [kind, ttl] {
        let StateError::Conflict {
            existing,
            requested,
        } = err
        else {
            panic!("{err}")
        };
        assert_eq!(existing.kind, StateKind::Map);
        assert_eq!(existing.ttl_ms, Some(10));
        assert_ne!(existing, requested);
    }
}

#[test]
fn unknown_ids_and_wrong_kinds_fail() {
    let mut b = backend(0..4);
    let value = reg(&mut b, "v", StateKind::Value, None);
    let map = reg(&mut b, "m", StateKind::Map, None);
    let list = reg(&mut b, "l", StateKind::List, None);
    let bad = StateId(3);
    assert_eq!(
        b.value_get(bad, s(b"k"), T0),
        Err(StateError::UnknownState(bad))
    );
    assert_eq!(b.clear(bad, s(b"k")), Err(StateError::UnknownState(bad)));
    let mismatch = |name: &str, registered, used_as| StateError::KindMismatch {
        name: name.into(),
        registered,
        used_as,
    };
    assert_eq!(
        b.map_get(value, s(b"k"), b"x", T0),
        Err(mismatch("v", StateKind::Value, StateKind::Map))
    );
    assert_eq!(
        b.list_add(map, s(b"k"), v(b"x"), T0),
        Err(mismatch("m", StateKind::Map, StateKind::List))
    );
    assert_eq!(
        b.value_set(list, s(b"k"), v(b"x"), T0),
        Err(mismatch("l", StateKind::List, StateKind::Value))
    );
    assert_eq!(
        b.map_entries(list, s(b"k"), T0),
        Err(mismatch("l", StateKind::List, StateKind::Map))
    );
    assert_eq!(b.state_bytes(), 0);
}

#[test]
fn foreign_key_groups_are_refused() {
    let mut b = backend(4..8);
    let id = reg(&mut b, "v", StateKind::Value, None);
    let not_owned = |key_group| StateError::KeyGroupNotOwned {
        key_group,
        range: 4..8,
    };
    for kg in [3, 8, 100] {
        let scope = KeyScope::new(kg, b"k");
        assert_eq!(b.value_set(id, scope, v(b"x"), T0), Err(not_owned(kg)));
        assert_eq!(b.value_get(id, scope, T0), Err(not_owned(kg)));
        assert_eq!(b.clear(id, scope), Err(not_owned(kg)));
        assert_eq!(
            b.snapshot_key_group(kg, &mut Vec::new()),
            Err(not_owned(kg))
        );
    }
    let mut snap = Vec::new();
    b.snapshot_key_group(4, &mut snap).unwrap();
    assert!(matches!(
        b.restore_key_group(8, &snap),
        Err(StateError::KeyGroupNotOwned { key_group: 8, .. })
    ));
    b.value_set(id, KeyScope::new(7, b"k"), v(b"x"), T0)
        .unwrap();
    assert_eq!(
        StateError::KeyGroupNotOwned {
            key_group: 9,
            range: 4..8
        }
        .to_string(),
        "key group 9 is not owned here (owned: 4..8)"
    );
}

#[test]
fn maps_are_ordered_and_drop_empty_keys() {
    let mut b = backend(0..4);
    let id = reg(&mut b, "m", StateKind::Map, None);
    for mk in [&b"b"[..], b"a", b"c", b"aa"] {
        b.map_put(id, s(b"k"), mk.to_vec(), mk.to_vec(), T0)
            .unwrap();
    }
    b.map_put(id, s(b"k"), v(b"b"), v(b"bee"), T0).unwrap();
    assert_eq!(
        b.map_entries(id, s(b"k"), T0).unwrap(),
        vec![
            (v(b"a"), v(b"a")),
            (v(b"aa"), v(b"aa")),
            (v(b"b"), v(b"bee")),
            (v(b"c"), v(b"c")),
        ]
    );
    assert_eq!(b.map_get(id, s(b"k"), b"b", T0).unwrap(), Some(v(b"bee")));
    assert_eq!(b.map_get(id, s(b"k"), b"z", T0).unwrap(), None);
    assert_eq!(b.map_get(id, s(b"other"), b"a", T0).unwrap(), None);
    // Each entry counts the key `k` too.
    assert_eq!(b.state_bytes(), 4 + (2 + O) + (4 + O) + (4 + O) + (2 + O));
    for mk in [&b"a"[..], b"aa", b"b", b"zz"] {
        b.map_remove(id, s(b"k"), mk).unwrap();
    }
    assert_eq!(
        b.map_entries(id, s(b"k"), T0).unwrap(),
        vec![(v(b"c"), v(b"c"))]
    );
    b.map_remove(id, s(b"k"), b"c").unwrap();
    assert_eq!(b.state_bytes(), 0);
    assert!(b.map_entries(id, s(b"k"), T0).unwrap().is_empty());
    b.map_put(id, s(b"k"), v(b"x"), v(b"y"), T0).unwrap();
    b.clear(id, s(b"k")).unwrap();
    assert_eq!(b.state_bytes(), 0);
}

#[test]
fn lists_add_update_and_clear() {
    let mut b = backend(0..4);
    let id = reg(&mut b, "l", StateKind::List, None);
    assert!(b.list_get(id, s(b"k"), T0).unwrap().is_empty());
    b.list_add(id, s(b"k"), v(b"1"), T0).unwrap();
    b.list_add(id, s(b"k"), v(b"22"), T0).unwrap();
    b.list_add(id, s(b"k"), v(b"1"), T0).unwrap();
    assert_eq!(
        b.list_get(id, s(b"k"), T0).unwrap(),
        vec![v(b"1"), v(b"22"), v(b"1")]
    );
    assert_eq!(b.state_bytes(), 1 + 4 + 3 * O);
    b.list_update(id, s(b"k"), vec![v(b"x")], T0).unwrap();
    assert_eq!(b.list_get(id, s(b"k"), T0).unwrap(), vec![v(b"x")]);
    assert_eq!(b.state_bytes(), 1 + 1 + O);
    b.list_update(id, s(b"k"), Vec::new(), T0).unwrap();
    assert!(b.list_get(id, s(b"k"), T0).unwrap().is_empty());
    assert_eq!(b.state_bytes(), 0);
    b.list_update(id, s(b"new"), vec![v(b"a"), v(b"b")], T0)
        .unwrap();
    b.clear(id, s(b"new")).unwrap();
    assert_eq!(b.state_bytes(), 0);
}

#[test]
fn values_expire_ttl_after_last_write() {
    let mut b = backend(0..4);
    let id = reg(&mut b, "v", StateKind::Value, Some(100));
    b.value_set(id, s(b"k"), v(b"x"), T0).unwrap();
    assert_eq!(b.value_get(id, s(b"k"), T0 + 99).unwrap(), Some(v(b"x")));
    // A write restarts the clock; a read does not.
    b.value_set(id, s(b"k"), v(b"y"), T0 + 50).unwrap();
    assert_eq!(b.value_get(id, s(b"k"), T0 + 149).unwrap(), Some(v(b"y")));
    assert_eq!(b.state_bytes(), 1 + 1 + O);
    assert_eq!(b.value_get(id, s(b"k"), T0 + 150).unwrap(), None);
    // Dropped, not just hidden: the bytes are gone and an earlier clock
    // does not bring it back.
    assert_eq!(b.state_bytes(), 0);
    assert_eq!(b.value_get(id, s(b"k"), T0).unwrap(), None);
}

#[test]
fn map_entries_and_list_elements_expire_one_by_one() {
    let mut b = backend(0..4);
    let map = reg(&mut b, "m", StateKind::Map, Some(10));
    let list = reg(&mut b, "l", StateKind::List, Some(10));
    b.map_put(map, s(b"k"), v(b"old"), v(b"1"), T0).unwrap();
    b.map_put(map, s(b"k"), v(b"new"), v(b"2"), T0 + 5).unwrap();
    b.map_put(map, s(b"k"), v(b"gone"), v(b"3"), T0).unwrap();
    b.list_add(list, s(b"k"), v(b"old"), T0).unwrap();
    b.list_add(list, s(b"k"), v(b"new"), T0 + 5).unwrap();

    assert_eq!(b.map_get(map, s(b"k"), b"gone", T0 + 10).unwrap(), None);
    assert_eq!(
        b.map_entries(map, s(b"k"), T0 + 10).unwrap(),
        vec![(v(b"new"), v(b"2"))]
    );
    assert_eq!(b.list_get(list, s(b"k"), T0 + 10).unwrap(), vec![v(b"new")]);
    assert_eq!(b.state_bytes(), (1 + 3 + 1 + O) + (1 + 3 + O));

    assert!(b.map_entries(map, s(b"k"), T0 + 15).unwrap().is_empty());
    assert!(b.list_get(list, s(b"k"), T0 + 15).unwrap().is_empty());
    assert_eq!(b.state_bytes(), 0);

    b.map_put(map, s(b"j"), v(b"a"), v(b"1"), T0).unwrap();
    assert_eq!(b.map_get(map, s(b"j"), b"a", T0 + 10).unwrap(), None);
    assert_eq!(b.state_bytes(), 0, "the emptied map's key is dropped too");
}

#[test]
fn purge_sweeps_unread_expired_entries() {
    let mut b = backend(0..4);
    let ttl = reg(&mut b, "ttl", StateKind::Value, Some(10));
    let forever = reg(&mut b, "forever", StateKind::List, None);
    let map = reg(&mut b, "m", StateKind::Map, Some(10));
    for i in 0..4u32 {
        let key = i.to_be_bytes();
        let scope = KeyScope::new(i, &key);
        b.value_set(ttl, scope, v(b"x"), T0 + i as i64).unwrap();
        b.list_add(forever, scope, v(b"x"), T0).unwrap();
        b.map_put(map, scope, v(b"a"), v(b"x"), T0).unwrap();
        b.map_put(map, scope, v(b"b"), v(b"x"), T0 + 20).unwrap();
    }
    let before = b.state_bytes();
    let freed = b.purge_expired(T0 + 12);
    // Values of keys 0..=2 and the map entries `a` (with their 4-byte keys)
    // go; lists stay.
    assert_eq!(freed, 3 * (4 + 1 + O) + 4 * (4 + 1 + 1 + O));
    assert_eq!(b.state_bytes(), before - freed);
    let key = 3u32.to_be_bytes();
    assert_eq!(
        b.value_get(ttl, KeyScope::new(3, &key), T0 + 12).unwrap(),
        Some(v(b"x"))
    );
    assert_eq!(b.purge_expired(T0 + 100), (4 + 1 + O) + 4 * (4 + 1 + 1 + O));
    assert_eq!(b.state_bytes(), 4 * (4 + 1 + O));
}

#[test]
fn quota_refuses_growth_and_changes_nothing() {
    let mut b = limited(2 * (1 + 4 + O));
    let id = reg(&mut b, "v", StateKind::Value, None);
    b.value_set(id, s(b"a"), v(b"1234"), T0).unwrap();
    b.value_set(id, s(b"b"), v(b"1234"), T0).unwrap();
    assert_eq!(
        b.value_set(id, s(b"c"), Vec::new(), T0),
        Err(StateError::QuotaExceeded {
            limit: 26,
            would_be: 26 + 1 + O
        })
    );
    assert_eq!(
        b.value_set(id, s(b"a"), v(b"12345"), T0),
        Err(StateError::QuotaExceeded {
            limit: 26,
            would_be: 27
        })
    );
    assert_eq!(b.value_get(id, s(b"a"), T0).unwrap(), Some(v(b"1234")));
    assert_eq!(b.value_get(id, s(b"c"), T0).unwrap(), None);
    assert_eq!(b.state_bytes(), 26);
    // Same-size and shrinking writes pass at the limit.
    b.value_set(id, s(b"a"), v(b"abcd"), T0).unwrap();
    b.value_set(id, s(b"a"), v(b"ab"), T0).unwrap();
    assert_eq!(b.state_bytes(), 24);
}

#[test]
fn quota_covers_maps_and_lists() {
    let mut b = limited(40);
    let map = reg(&mut b, "m", StateKind::Map, None);
    let list = reg(&mut b, "l", StateKind::List, None);
    b.map_put(map, s(b"k"), v(b"mk"), v(b"value"), T0).unwrap(); // 1 + 2 + 5 + 8
    assert!(matches!(
        b.map_put(map, s(b"k"), v(b"mk2"), v(b"12345678901234"), T0),
        Err(StateError::QuotaExceeded { .. })
    ));
    assert_eq!(b.map_entries(map, s(b"k"), T0).unwrap().len(), 1);
    b.list_add(list, s(b"k"), v(b"x"), T0).unwrap(); // 1 + 1 + 8
    assert!(matches!(
        b.list_add(list, s(b"k"), v(b"abcdefg"), T0),
        Err(StateError::QuotaExceeded { .. })
    ));
    assert!(matches!(
        b.list_update(list, s(b"k"), vec![v(b"a"), v(b"b"), v(b"c")], T0),
        Err(StateError::QuotaExceeded { .. })
    ));
    assert_eq!(b.list_get(list, s(b"k"), T0).unwrap(), vec![v(b"x")]);
    assert_eq!(b.state_bytes(), 26);
    b.list_update(list, s(b"k"), vec![v(b"abcd")], T0).unwrap();
    assert_eq!(b.state_bytes(), 29);
}

/// Registers one state of each kind and fills key groups 0..4.
fn filled(range: KeyGroupRange) -> (HeapBackend, [StateId; 3]) {
    let mut b = backend(range);
    let value = reg(&mut b, "value", StateKind::Value, None);
    let map = reg(&mut b, "map", StateKind::Map, Some(1_000));
    let list = reg(&mut b, "list", StateKind::List, None);
    for kg in 0..4u32 {
        for k in 0..5u8 {
            let key = [b'k', k];
            let scope = KeyScope::new(kg, &key);
            b.value_set(value, scope, vec![k; k as usize], T0).unwrap();
            b.map_put(map, scope, vec![k], v(b"m"), T0 + k as i64)
                .unwrap();
            b.map_put(map, scope, v(b"z"), Vec::new(), T0).unwrap();
            for i in 0..k {
                b.list_add(list, scope, vec![i], T0).unwrap();
            }
        }
    }
    (b, [value, map, list])
}

fn snapshot(b: &HeapBackend, kg: u32) -> Vec<u8> {
    let mut out = Vec::new();
    b.snapshot_key_group(kg, &mut out).unwrap();
    out
}

#[test]
fn snapshot_round_trips_into_a_covering_range_with_other_ids() {
    let (source, _) = filled(0..4);
    let mut target = backend(0..16);
    // A state the source never had shifts every id in the target.
    let extra = reg(&mut target, "extra", StateKind::Value, None);
    target
        .value_set(extra, KeyScope::new(9, b"k"), v(b"untouched"), T0)
        .unwrap();
    for kg in 0..4 {
        target
            .restore_key_group(kg, &snapshot(&source, kg))
            .unwrap();
    }
    let value = reg(&mut target, "value", StateKind::Value, None);
    let map = reg(&mut target, "map", StateKind::Map, Some(1_000));
    let list = reg(&mut target, "list", StateKind::List, None);
    // Restored states are adopted in name order after the target's own.
    assert_eq!((list, map, value), (StateId(1), StateId(2), StateId(3)));
    for kg in 0..4u32 {
        for k in 0..5u8 {
            let key = [b'k', k];
            let scope = KeyScope::new(kg, &key);
            assert_eq!(
                target.value_get(value, scope, T0).unwrap(),
                Some(vec![k; k as usize])
            );
            assert_eq!(
                target.map_entries(map, scope, T0).unwrap(),
                vec![(vec![k], v(b"m")), (v(b"z"), Vec::new())]
            );
            assert_eq!(
                target.list_get(list, scope, T0).unwrap(),
                (0..k).map(|i| vec![i]).collect::<Vec<_>>()
            );
        }
        // Canonical: the restored group snapshots to the same bytes, apart
        // from the extra (empty here) state the target has.
        assert_eq!(
            decode(kg, &snapshot(&target, kg)).unwrap().len(),
            4,
            "extra state is listed too"
        );
    }
    assert_eq!(target.state_bytes(), source.state_bytes() + 1 + 9 + O);
    assert_eq!(
        target.value_get(extra, KeyScope::new(9, b"k"), T0).unwrap(),
        Some(v(b"untouched"))
    );
}

#[test]
fn snapshots_are_canonical() {
    let (a, _) = filled(0..4);
    let (b, _) = filled(0..8);
    let mut c = backend(2..3);
    c.restore_key_group(2, &snapshot(&a, 2)).unwrap();
    for kg in 0..4 {
        assert_eq!(snapshot(&a, kg), snapshot(&b, kg));
    }
    assert_eq!(snapshot(&c, 2), snapshot(&a, 2));
}

#[test]
fn restored_entries_keep_their_write_times() {
    let (source, _) = filled(0..4);
    let mut target = backend(0..4);
    target.restore_key_group(1, &snapshot(&source, 1)).unwrap();
    let restored = target.state_id("map").unwrap();
    let scope = KeyScope::new(1, b"k\x03");
    assert_eq!(
        target.map_entries(restored, scope, T0 + 1_000).unwrap(),
        vec![(vec![3], v(b"m"))],
        "`z` was written at T0 and has expired, [3] at T0 + 3"
    );
}

#[test]
fn first_registration_after_restore_may_change_the_ttl() {
    let (source, _) = filled(0..4);
    let mut target = backend(0..4);
    target.restore_key_group(0, &snapshot(&source, 0)).unwrap();
    let map = reg(&mut target, "map", StateKind::Map, Some(5));
    let scope = KeyScope::new(0, b"k\x04");
    assert_eq!(
        target.map_entries(map, scope, T0 + 6).unwrap(),
        vec![(vec![4], v(b"m"))]
    );
    assert!(
        target
            .register(&StateDescriptor::new("map", StateKind::Map).with_ttl_ms(1_000))
            .is_err()
    );
    assert!(
        target
            .register(&StateDescriptor::new("list", StateKind::Value))
            .is_err(),
        "the kind stays"
    );
}

#[test]
fn restore_replaces_the_group_and_nothing_else() {
    let (source, _) = filled(0..4);
    let (mut target, [value, map, _]) = filled(0..4);
    let scope = KeyScope::new(2, b"only-in-target");
    target.value_set(value, scope, v(b"x"), T0).unwrap();
    target
        .map_put(map, KeyScope::new(3, b"k3"), v(b"a"), v(b"b"), T0)
        .unwrap();
    let before = target.state_bytes();
    target.restore_key_group(2, &snapshot(&source, 2)).unwrap();
    assert_eq!(target.value_get(value, scope, T0).unwrap(), None);
    assert_eq!(
        target
            .map_get(map, KeyScope::new(3, b"k3"), b"a", T0)
            .unwrap(),
        Some(v(b"b"))
    );
    assert_eq!(target.state_bytes(), before - (14 + 1 + O));
}

#[test]
fn bad_snapshots_change_nothing() {
    let (source, _) = filled(0..4);
    let good = snapshot(&source, 1);
    let (mut target, [value, ..]) = filled(0..4);
    let scope = KeyScope::new(1, b"k\x02");
    target.value_set(value, scope, v(b"mine"), T0).unwrap();
    let bytes = target.state_bytes();

    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let mut bad_version = good.clone();
    bad_version[4] = 2;
    let mut trailing = good.clone();
    trailing.push(0);
    let cases: Vec<(Vec<u8>, u32)> = vec![
        (bad_magic, 1),
        (bad_version, 1),
        (good.clone(), 2),
        (trailing, 1),
        (good[..good.len() - 1].to_vec(), 1),
        (good[..7].to_vec(), 1),
        (Vec::new(), 1),
    ];
    for (bytes_in, kg) in cases {
        let err = target.restore_key_group(kg, &bytes_in).unwrap_err();
        assert!(
            matches!(
                err,
                StateError::InvalidSnapshot(_)
                    | StateError::UnsupportedSnapshotVersion {
                        found: 2,
                        supported: 1
                    }
                    | StateError::SnapshotKeyGroupMismatch {
                        expected: 2,
                        found: 1
                    }
            ),
            "{err}"
        );
    }
    assert_eq!(
        target.value_get(value, scope, T0).unwrap(),
        Some(v(b"mine"))
    );
    assert_eq!(target.state_bytes(), bytes);
}

#[test]
fn restore_refuses_kind_conflicts_before_changing_anything() {
    let mut source = backend(0..4);
    let fresh = reg(&mut source, "fresh", StateKind::Value, None);
    let clash = reg(&mut source, "clash", StateKind::List, None);
    source.value_set(fresh, s(b"k"), v(b"x"), T0).unwrap();
    source.list_add(clash, s(b"k"), v(b"x"), T0).unwrap();
    let mut target = backend(0..4);
    let mine = reg(&mut target, "clash", StateKind::Value, None);
    target.value_set(mine, s(b"k"), v(b"kept"), T0).unwrap();
    let err = target
        .restore_key_group(1, &snapshot(&source, 1))
        .unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    assert_eq!(target.state_id("fresh"), None);
    assert_eq!(
        target.value_get(mine, s(b"k"), T0).unwrap(),
        Some(v(b"kept"))
    );
}

#[test]
fn restore_respects_the_quota() {
    let (source, _) = filled(0..4);
    let snap = snapshot(&source, 0);
    let group_bytes = source.groups[0].bytes;
    let mut target = limited(group_bytes - 1);
    assert_eq!(
        target.restore_key_group(0, &snap),
        Err(StateError::QuotaExceeded {
            limit: group_bytes - 1,
            would_be: group_bytes
        })
    );
    assert_eq!(target.state_id("value"), None);
    let mut target = limited(group_bytes);
    target.restore_key_group(0, &snap).unwrap();
    // Restoring the same group again replaces it, so it still fits.
    target.restore_key_group(0, &snap).unwrap();
    assert_eq!(target.state_bytes(), group_bytes);
}

#[test]
fn snapshot_with_duplicate_keys_is_rejected() {
    let mut out = Vec::new();
    crate::snapshot::put_start(&mut out, 0, 1);
    crate::snapshot::put_state(&mut out, &StateDescriptor::new("v", StateKind::Value), 2);
    let item = crate::entry::Stamped::new(v(b"x"), T0);
    crate::snapshot::put_value(&mut out, b"k", &item);
    crate::snapshot::put_value(&mut out, b"k", &item);
    let mut b = backend(0..1);
    assert!(matches!(
        b.restore_key_group(0, &out),
        Err(StateError::InvalidSnapshot(_))
    ));
}

/// A small deterministic generator, so the test needs no dependency.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn byte_accounting_matches_contents_after_random_operations() {
    let mut b = backend(0..4);
    let value = reg(&mut b, "v", StateKind::Value, Some(50));
    let map = reg(&mut b, "m", StateKind::Map, Some(50));
    let list = reg(&mut b, "l", StateKind::List, Some(50));
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for step in 0..20_000i64 {
        let now = T0 + step / 10;
        let key = [rng.below(8) as u8; 3];
        let key = &key[..rng.below(4) as usize];
        let scope = KeyScope::new(rng.below(4) as u32, key);
        let data = vec![7; rng.below(6) as usize];
        let mk = vec![rng.below(4) as u8];
        match rng.below(12) {
            0 => b.value_set(value, scope, data, now).unwrap(),
            1 => drop(b.value_get(value, scope, now).unwrap()),
            2 => b.map_put(map, scope, mk, data, now).unwrap(),
            3 => drop(b.map_get(map, scope, &mk, now).unwrap()),
            4 => b.map_remove(map, scope, &mk).unwrap(),
            5 => drop(b.map_entries(map, scope, now).unwrap()),
            6 => b.list_add(list, scope, data, now).unwrap(),
            7 => drop(b.list_get(list, scope, now).unwrap()),
            8 => b
                .list_update(list, scope, vec![data; rng.below(3) as usize], now)
                .unwrap(),
            9 => b
                .clear([value, map, list][rng.below(3) as usize], scope)
                .unwrap(),
            10 if step % 100 == 0 => drop(b.purge_expired(now)),
            _ => {}
        }
    }
    let mut total = 0;
    for kg in 0..4 {
        let counted: u64 = decode(kg, &snapshot(&b, kg))
            .unwrap()
            .iter()
            .map(|s| s.bytes)
            .sum();
        assert_eq!(counted, b.groups[kg as usize].bytes, "key group {kg}");
        total += counted;
    }
    assert_eq!(total, b.state_bytes());
    assert!(total > 0);
}

#[test]
fn backends_are_usable_as_trait_objects() {
    let mut boxed: Box<dyn KeyedStateBackend> = Box::new(backend(0..2));
    let id = boxed
        .register(&StateDescriptor::new("v", StateKind::Value))
        .unwrap();
    boxed
        .value_set(id, KeyScope::new(0, b"k"), v(b"x"), T0)
        .unwrap();
    assert_eq!(boxed.key_groups(), 0..2);
    assert_eq!(boxed.state_bytes(), 1 + 1 + O);
}
