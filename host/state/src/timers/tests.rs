use super::*;
use TimeDomain::{EventTime, ProcessingTime};

fn service(range: KeyGroupRange) -> TimerService {
    TimerService::new(range, TimerOptions::default())
}

fn fired(kg: u32, key: &[u8], ts: i64, domain: TimeDomain) -> FiredTimer {
    FiredTimer {
        key_group: kg,
        key: key.to_vec(),
        timestamp: ts,
        domain,
    }
}

#[test]
fn drain_is_ordered_by_time_then_key() {
    let mut t = service(0..8);
    for (kg, key, ts) in [
        (3, &b"b"[..], 20),
        (1, b"z", 10),
        (5, b"a", 20),
        (2, b"m", 30),
        (0, b"", 20),
        (1, b"z", 5),
    ] {
        assert!(t.register(EventTime, KeyScope::new(kg, key), ts).unwrap());
    }
    assert_eq!(t.next_event_timer(), Some(5));
    assert_eq!(
        t.drain_event_timers(20),
        vec![
            fired(1, b"z", 5, EventTime),
            fired(1, b"z", 10, EventTime),
            fired(0, b"", 20, EventTime),
            fired(5, b"a", 20, EventTime),
            fired(3, b"b", 20, EventTime),
        ]
    );
    assert_eq!(t.len(), 1);
    assert!(t.drain_event_timers(29).is_empty());
    assert_eq!(
        t.drain_event_timers(i64::MAX),
        vec![fired(2, b"m", 30, EventTime)]
    );
    assert!(t.is_empty());
    assert_eq!(t.next_event_timer(), None);
}

#[test]
fn registering_twice_keeps_one_and_delete_removes_it() {
    let mut t = service(0..4);
    let k = KeyScope::new(1, b"k");
    assert!(t.register(EventTime, k, 10).unwrap());
    assert!(!t.register(EventTime, k, 10).unwrap());
    assert!(t.register(EventTime, k, 11).unwrap());
    assert!(t.register(EventTime, KeyScope::new(1, b"j"), 10).unwrap());
    assert_eq!(t.len(), 3);
    assert!(t.contains(EventTime, k, 10).unwrap());
    assert!(!t.contains(ProcessingTime, k, 10).unwrap());

    assert!(t.delete(EventTime, k, 10).unwrap());
    assert!(!t.delete(EventTime, k, 10).unwrap());
    assert!(
        !t.delete(EventTime, KeyScope::new(1, b"nobody"), 10)
            .unwrap()
    );
    assert!(!t.delete(ProcessingTime, k, 11).unwrap());
    assert!(!t.contains(EventTime, k, 10).unwrap());
    assert_eq!(
        t.drain_event_timers(100),
        vec![fired(1, b"j", 10, EventTime), fired(1, b"k", 11, EventTime)]
    );
    // Everything is gone, including the dedup index: it registers anew.
    assert!(t.register(EventTime, k, 11).unwrap());
    assert_eq!(t.len(), 1);
}

#[test]
fn domains_are_independent() {
    let mut t = service(0..4);
    let k = KeyScope::new(0, b"k");
    t.register(EventTime, k, 100).unwrap();
    t.register(ProcessingTime, k, 100).unwrap();
    t.register(ProcessingTime, k, 50).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.next_processing_timer(), Some(50));
    assert_eq!(
        t.drain_processing_timers(100),
        vec![
            fired(0, b"k", 50, ProcessingTime),
            fired(0, b"k", 100, ProcessingTime)
        ]
    );
    assert_eq!(t.next_processing_timer(), None);
    assert_eq!(
        t.drain_event_timers(100),
        vec![fired(0, b"k", 100, EventTime)]
    );
}

#[test]
fn negative_and_extreme_timestamps_order_correctly() {
    let mut t = service(0..1);
    let k = KeyScope::new(0, b"k");
    for ts in [0, i64::MAX, -5, i64::MIN] {
        t.register(EventTime, k, ts).unwrap();
    }
    let order: Vec<_> = t
        .drain_event_timers(i64::MAX)
        .into_iter()
        .map(|f| f.timestamp)
        .collect();
    assert_eq!(order, vec![i64::MIN, -5, 0, i64::MAX]);
}

#[test]
fn quota_limits_both_domains() {
    let mut t = TimerService::new(
        0..4,
        TimerOptions {
            max_timers: Some(2),
        },
    );
    let k = KeyScope::new(0, b"k");
    t.register(EventTime, k, 1).unwrap();
    t.register(ProcessingTime, k, 1).unwrap();
    assert_eq!(
        t.register(EventTime, k, 2),
        Err(StateError::QuotaExceeded {
            limit: 2,
            would_be: 3
        })
    );
    assert!(!t.contains(EventTime, k, 2).unwrap());
    // Re-registering an existing timer adds nothing, so it passes.
    assert!(!t.register(EventTime, k, 1).unwrap());
    t.drain_event_timers(1);
    assert!(t.register(EventTime, k, 2).unwrap());
}

#[test]
fn foreign_key_groups_are_refused() {
    let mut t = service(4..8);
    let err = |key_group| StateError::KeyGroupNotOwned {
        key_group,
        range: 4..8,
    };
    for kg in [0, 3, 8] {
        let scope = KeyScope::new(kg, b"k");
        assert_eq!(t.register(EventTime, scope, 1), Err(err(kg)));
        assert_eq!(t.delete(EventTime, scope, 1), Err(err(kg)));
        assert_eq!(t.contains(EventTime, scope, 1), Err(err(kg)));
        assert_eq!(t.snapshot_key_group(kg, &mut Vec::new()), Err(err(kg)));
        assert_eq!(t.restore_key_group(kg, &[]), Err(err(kg)));
    }
    assert_eq!(t.key_groups(), 4..8);
}

fn filled(range: KeyGroupRange) -> TimerService {
    let mut t = service(range);
    for kg in 0..4u32 {
        for k in 0..3u8 {
            let key = [b'k', k];
            let scope = KeyScope::new(kg, &key);
            for ts in 0..=k as i64 {
                t.register(EventTime, scope, 100 + ts).unwrap();
            }
            t.register(ProcessingTime, scope, 1_000 - k as i64).unwrap();
        }
    }
    t
}

fn snapshot(t: &TimerService, kg: u32) -> Vec<u8> {
    let mut out = Vec::new();
    t.snapshot_key_group(kg, &mut out).unwrap();
    out
}

#[test]
fn snapshot_round_trips_into_a_covering_range() {
    let source = filled(0..4);
    let mut target = service(0..32);
    for kg in 0..4 {
        target
            .restore_key_group(kg, &snapshot(&source, kg))
            .unwrap();
    }
    assert_eq!(target.len(), source.len());
    for kg in 0..4 {
        assert_eq!(snapshot(&target, kg), snapshot(&source, kg));
    }
    let mut source = source;
    assert_eq!(
        target.drain_event_timers(i64::MAX),
        source.drain_event_timers(i64::MAX)
    );
    assert_eq!(
        target.drain_processing_timers(i64::MAX),
        source.drain_processing_timers(i64::MAX)
    );
}

#[test]
fn snapshot_is_canonical_and_per_group() {
    let a = filled(0..4);
    let mut b = service(0..4);
    // Same timers, registered in another order.
    for kg in (0..4u32).rev() {
        for k in (0..3u8).rev() {
            let key = [b'k', k];
            let scope = KeyScope::new(kg, &key);
            b.register(ProcessingTime, scope, 1_000 - k as i64).unwrap();
            for ts in (0..=k as i64).rev() {
                b.register(EventTime, scope, 100 + ts).unwrap();
            }
        }
    }
    for kg in 0..4 {
        assert_eq!(snapshot(&a, kg), snapshot(&b, kg));
    }
    assert_ne!(snapshot(&a, 0), snapshot(&a, 1));
}

#[test]
fn restore_replaces_only_its_group() {
    let source = filled(0..4);
    let mut target = filled(0..4);
    target
        .register(EventTime, KeyScope::new(2, b"extra"), 1)
        .unwrap();
    target
        .register(EventTime, KeyScope::new(3, b"extra"), 1)
        .unwrap();
    target.restore_key_group(2, &snapshot(&source, 2)).unwrap();
    assert_eq!(target.len(), source.len() + 1);
    assert_eq!(
        target.drain_event_timers(1),
        vec![fired(3, b"extra", 1, EventTime)]
    );

    // Restoring an empty group's snapshot clears it.
    let empty = service(0..4);
    target.restore_key_group(1, &snapshot(&empty, 1)).unwrap();
    assert_eq!(snapshot(&target, 1), snapshot(&empty, 1));
    assert!(
        target
            .drain_event_timers(i64::MAX)
            .iter()
            .all(|f| f.key_group != 1)
    );
}

#[test]
fn bad_snapshots_change_nothing() {
    let source = filled(0..4);
    let good = snapshot(&source, 1);
    let mut target = filled(0..4);
    let before = snapshot(&target, 1);

    let mut bad_magic = good.clone();
    bad_magic[1] = b'?';
    let mut bad_version = good.clone();
    bad_version[4] = 9;
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[1, 2]);
    for (bytes, kg) in [
        (bad_magic, 1),
        (bad_version, 1),
        (good.clone(), 3),
        (trailing, 1),
        (good[..good.len() - 3].to_vec(), 1),
    ] {
        assert!(target.restore_key_group(kg, &bytes).is_err());
    }
    assert_eq!(snapshot(&target, 1), before);
    assert_eq!(target.len(), source.len());

    // Timestamps out of order.
    let mut out = Vec::new();
    crate::codec::put_header(&mut out, TIMER_SNAPSHOT_MAGIC, TIMER_SNAPSHOT_VERSION, 1);
    crate::codec::put_varint(&mut out, 1);
    crate::codec::put_bytes(&mut out, b"k");
    crate::codec::put_varint(&mut out, 2);
    crate::codec::put_i64(&mut out, 5);
    crate::codec::put_i64(&mut out, 5);
    crate::codec::put_varint(&mut out, 0);
    assert!(matches!(
        target.restore_key_group(1, &out),
        Err(StateError::InvalidSnapshot(_))
    ));
}

#[test]
fn restore_respects_the_quota() {
    let source = filled(0..4);
    let snap = snapshot(&source, 0);
    let per_group = source.len() as u64 / 4;
    let mut target = TimerService::new(
        0..4,
        TimerOptions {
            max_timers: Some(per_group),
        },
    );
    target
        .register(EventTime, KeyScope::new(1, b"x"), 1)
        .unwrap();
    assert_eq!(
        target.restore_key_group(0, &snap),
        Err(StateError::QuotaExceeded {
            limit: per_group,
            would_be: per_group + 1
        })
    );
    assert_eq!(target.len(), 1);
    target.drain_event_timers(1);
    target.restore_key_group(0, &snap).unwrap();
    target.restore_key_group(0, &snap).unwrap();
    assert_eq!(target.len() as u64, per_group);
}

/// A tiny deterministic generator for the model test.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_operations_match_an_ordered_set() {
    use std::collections::BTreeSet;
    // Few keys and timestamps, so timers collide, are deleted and registered
    // again on the same bucket, and buckets go stale and get compacted.
    for seed in 1..=20 {
        let mut rng = Lcg(seed);
        let mut t = service(0..4);
        let mut model: BTreeSet<(i64, Vec<u8>, u32)> = BTreeSet::new();
        let mut watermark = 0;
        for step in 0..3_000 {
            let kg = rng.below(4) as u32;
            let key = format!("k{}", rng.below(12)).into_bytes();
            let ts = watermark + rng.below(6) as i64;
            let scope = KeyScope::new(kg, &key);
            let what = format!("seed {seed} step {step}");
            match rng.below(10) {
                0..=4 => {
                    let new = model.insert((ts, key.clone(), kg));
                    assert_eq!(t.register(EventTime, scope, ts).unwrap(), new, "{what}");
                }
                5..=7 => {
                    let had = model.remove(&(ts, key.clone(), kg));
                    assert_eq!(t.delete(EventTime, scope, ts).unwrap(), had, "{what}");
                }
                8 => {
                    watermark += rng.below(3) as i64;
                    let due: Vec<_> = model.iter().filter(|t| t.0 <= watermark).cloned().collect();
                    let expected: Vec<FiredTimer> = due
                        .iter()
                        .map(|(ts, key, kg)| fired(*kg, key, *ts, EventTime))
                        .collect();
                    for d in &due {
                        model.remove(d);
                    }
                    // In order: timestamp, key bytes, then key group.
                    assert_eq!(t.drain_event_timers(watermark), expected, "{what}");
                }
                _ => {
                    // A snapshot of one key group restored in place.
                    let bytes = snapshot(&t, kg);
                    t.restore_key_group(kg, &bytes).unwrap();
                }
            }
            assert_eq!(t.len(), model.len(), "{what}");
            assert_eq!(
                t.next_event_timer(),
                model.first().map(|m| m.0),
                "{what}: the earliest timer"
            );
        }
    }
}
