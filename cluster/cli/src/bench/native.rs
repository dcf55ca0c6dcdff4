//! The native twin of each scenario: the same generator indices and the same
//! computation as a plain Rust loop, calling the bench guests' own functions
//! (`bench_map::map_value`, `bench_filter::keep`, `bench_count::EMIT_EVERY`,
//! `bench_window_sum::window_start`), with a [`Checksum`] as the sink.
//!
//! Keys stay integers and records are never built: this is what the job's
//! logic costs without a runtime. With parallelism `p`, `p` threads each run
//! the generator partition the job's source subtask of the same index reads
//! (`i % p == s`). Keyed state needs no exchange here: with 10,000 keys and
//! `p` dividing it, `i % 10_000` keeps the residue of `i % p`, so the
//! partitions already hold disjoint keys.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bench_window_sum::WINDOW_MS;

use super::checksum::Checksum;
use super::scenario::{KEYS, Scenario};

/// What one native run produced and how long it took.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NativeRun {
    pub(crate) output: Checksum,
    pub(crate) elapsed: Duration,
}

/// Runs `scenario` over `records` generated records on `parallelism`
/// threads.
pub(crate) fn run(scenario: Scenario, records: u64, parallelism: u32) -> NativeRun {
    let p = u64::from(parallelism.max(1));
    let start = Instant::now();
    let output = if p == 1 {
        partition(scenario, records, 0, 1)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..p)
                .map(|s| scope.spawn(move || partition(scenario, records, s, p)))
                .collect();
            let mut total = Checksum::default();
            for handle in handles {
                total.merge(handle.join().expect("a native bench thread panicked"));
            }
            total
        })
    };
    NativeRun {
        output,
        elapsed: start.elapsed(),
    }
}

/// The records generator subtask `s` of `p` produces: indices `i < n` with
/// `i % p == s`, in order.
fn indices(n: u64, s: u64, p: u64) -> impl Iterator<Item = u64> {
    (s..n).step_by(p as usize)
}

fn partition(scenario: Scenario, n: u64, s: u64, p: u64) -> Checksum {
    match scenario {
        Scenario::MapFilter => map_filter(indices(n, s, p)),
        Scenario::KeyedCount => keyed_count(indices(n, s, p)),
        Scenario::WindowSum => window_sum(indices(n, s, p)),
    }
}

/// (a): `v → 3v + 1`, keep `v & 7 != 0`.
fn map_filter(indices: impl Iterator<Item = u64>) -> Checksum {
    let mut out = Checksum::default();
    for i in indices {
        let v = bench_map::map_value(i);
        if bench_filter::keep(v) {
            out.add(&[v]);
        }
    }
    out
}

/// (b): a count per key in a `HashMap`, emitted at every multiple of
/// `EMIT_EVERY`.
fn keyed_count(indices: impl Iterator<Item = u64>) -> Checksum {
    let mut out = Checksum::default();
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for i in indices {
        let key = i % KEYS;
        let n = counts.entry(key).or_insert(0);
        *n += 1;
        if n.is_multiple_of(bench_count::EMIT_EVERY) {
            out.add(&[key, *n]);
        }
    }
    out
}

/// (c): sums per key in each open window (oldest first), fired when the
/// watermark — the highest event time seen minus one, as the generator's
/// watermark with no out-of-orderness — reaches a window's last millisecond.
fn window_sum(indices: impl Iterator<Item = u64>) -> Checksum {
    let mut out = Checksum::default();
    let mut open: VecDeque<(i64, HashMap<u64, u64>)> = VecDeque::new();
    let mut watermark = i64::MIN;
    for i in indices {
        let (key, value, ts) = (i % KEYS, i, i as i64);
        let start = bench_window_sum::window_start(ts);
        if start + WINDOW_MS - 1 > watermark {
            let sums = match open.iter().rposition(|(s, _)| *s == start) {
                Some(at) => &mut open[at].1,
                None => {
                    let at = open.partition_point(|(s, _)| *s < start);
                    open.insert(at, (start, HashMap::new()));
                    &mut open[at].1
                }
            };
            let sum = sums.entry(key).or_insert(0);
            *sum = sum.wrapping_add(value);
        }
        watermark = watermark.max(ts - 1);
        while open
            .front()
            .is_some_and(|(s, _)| s + WINDOW_MS - 1 <= watermark)
        {
            let (start, sums) = open.pop_front().expect("checked");
            fire(&mut out, start, sums);
        }
    }
    for (start, sums) in open {
        fire(&mut out, start, sums);
    }
    out
}

fn fire(out: &mut Checksum, start: i64, sums: HashMap<u64, u64>) {
    for (key, sum) in sums {
        out.add(&[key, start as u64, sum]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_filter_keeps_seven_in_eight() {
        let run = run(Scenario::MapFilter, 8_000, 1);
        assert_eq!(run.output.records, 7_000);
        let mut expected = Checksum::default();
        for i in 0..8_000u64 {
            let v = 3 * i + 1;
            if v % 8 != 0 {
                expected.add(&[v]);
            }
        }
        assert_eq!(run.output, expected);
    }

    #[test]
    fn keyed_count_emits_each_multiple_once_per_key() {
        let run = run(Scenario::KeyedCount, 3 * KEYS * bench_count::EMIT_EVERY, 1);
        let mut expected = Checksum::default();
        for key in 0..KEYS {
            for n in 1..=3 {
                expected.add(&[key, n * bench_count::EMIT_EVERY]);
            }
        }
        assert_eq!(run.output, expected);
    }

    #[test]
    fn window_sum_has_one_output_per_key_and_window() {
        // 25,000 records: each 1 s window holds 1,000 consecutive indices,
        // each its own key, so each window and key sums one value.
        let run = run(Scenario::WindowSum, 25_000, 1);
        let mut expected = Checksum::default();
        for i in 0..25_000u64 {
            expected.add(&[i % KEYS, i / 1_000 * 1_000, i]);
        }
        assert_eq!(run.output, expected);
    }

    #[test]
    fn parallel_partitions_give_the_same_output() {
        for scenario in Scenario::ALL {
            let n = 2 * KEYS * bench_count::EMIT_EVERY + 123;
            let one = run(scenario, n, 1).output;
            let two = run(scenario, n, 2).output;
            assert_eq!(one, two, "{scenario:?}");
            assert!(one.records > 0, "{scenario:?}");
        }
    }
}
