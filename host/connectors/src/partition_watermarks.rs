//! Watermarks of a source subtask that reads several partitions (Kafka),
//! kept per partition as Flink does: each partition's watermark trails the
//! highest event time read from it by the out-of-orderness bound, and the
//! subtask's watermark is the least over its partitions that are not idle.
//! A partition without records for the idle timeout stops holding it back;
//! when every partition is idle (or the subtask owns none) the subtask is
//! idle.

use std::collections::HashMap;
use std::hash::Hash;

use weir_spec::WatermarkSpec;
use weir_types::{Element, MIN_WATERMARK, Millis};

/// One partition's progress.
#[derive(Clone, Copy, Debug)]
struct Partition {
    /// Its watermark (`MIN_WATERMARK` before any record).
    watermark: Millis,
    /// Processing time of its last record (or of it being added).
    last_record: Millis,
    /// A record came since the last [`PartitionWatermarks::poll`].
    active: bool,
}

/// Per-partition watermarks with idleness, combined for one subtask.
///
/// ```
/// use weir_connectors::PartitionWatermarks;
/// use weir_spec::WatermarkSpec;
/// use weir_types::Element;
///
/// let spec = WatermarkSpec { out_of_orderness_ms: 10, idle_timeout_ms: Some(1_000) };
/// let mut wm = PartitionWatermarks::new(&spec);
/// wm.add(0, 0);
/// wm.add(1, 0);
/// wm.on_record(&0, Some(500), 0);
/// assert_eq!(wm.poll(0), None); // partition 1 has nothing yet: held back
/// wm.on_record(&1, Some(300), 10);
/// assert_eq!(wm.poll(10), Some(Element::Watermark(289)));
/// // Partition 1 goes quiet: after the idle timeout only partition 0 counts.
/// wm.on_record(&0, Some(900), 1_500);
/// assert_eq!(wm.poll(1_500), Some(Element::Watermark(889)));
/// ```
#[derive(Clone, Debug)]
pub struct PartitionWatermarks<P> {
    out_of_orderness: Millis,
    idle_timeout: Option<Millis>,
    partitions: HashMap<P, Partition>,
    /// The last watermark handed out.
    emitted: Millis,
    /// `Element::Idle` was handed out and nothing came since.
    idle: bool,
}

impl<P: Eq + Hash + Clone> PartitionWatermarks<P> {
    /// No partitions yet.
    pub fn new(spec: &WatermarkSpec) -> Self {
        PartitionWatermarks {
            out_of_orderness: to_millis(spec.out_of_orderness_ms),
            idle_timeout: spec.idle_timeout_ms.map(to_millis),
            partitions: HashMap::new(),
            emitted: MIN_WATERMARK,
            idle: false,
        }
    }

    /// The subtask reads `partition` from processing time `now` on.
    pub fn add(&mut self, partition: P, now: Millis) {
        self.partitions.entry(partition).or_insert(Partition {
            watermark: MIN_WATERMARK,
            last_record: now,
            active: false,
        });
    }

    /// The subtask no longer reads `partition` (it finished).
    pub fn remove(&mut self, partition: &P) {
        self.partitions.remove(partition);
    }

    /// A record of `partition` with event time `timestamp` was read at
    /// processing time `now`.
    pub fn on_record(&mut self, partition: &P, timestamp: Option<Millis>, now: Millis) {
        let Some(p) = self.partitions.get_mut(partition) else {
            return;
        };
        p.last_record = now;
        p.active = true;
        if let Some(ts) = timestamp {
            let candidate = ts.saturating_sub(self.out_of_orderness).saturating_sub(1);
            p.watermark = p.watermark.max(candidate);
        }
    }

    /// What to send downstream now: a watermark when the combined one
    /// advanced, `Element::Idle` once when every partition went idle.
    pub fn poll(&mut self, now: Millis) -> Option<Element> {
        let timeout = self.idle_timeout;
        let is_idle = |p: &Partition| {
            !p.active && timeout.is_some_and(|t| now.saturating_sub(p.last_record) >= t)
        };
        let combined = self
            .partitions
            .values()
            .filter(|p| !is_idle(p))
            .map(|p| p.watermark)
            .min();
        for p in self.partitions.values_mut() {
            p.active = false;
        }
        match combined {
            None if timeout.is_some() || self.partitions.is_empty() => {
                if self.idle {
                    return None;
                }
                self.idle = true;
                Some(Element::Idle)
            }
            None => None,
            Some(watermark) => {
                // Active again, if it was idle: downstream learns that from
                // the records that made it so.
                self.idle = false;
                (watermark > self.emitted).then(|| {
                    self.emitted = watermark;
                    Element::Watermark(watermark)
                })
            }
        }
    }
}

fn to_millis(ms: u64) -> Millis {
    Millis::try_from(ms).unwrap_or(Millis::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(ooo: u64, idle: Option<u64>) -> PartitionWatermarks<u32> {
        PartitionWatermarks::new(&WatermarkSpec {
            out_of_orderness_ms: ooo,
            idle_timeout_ms: idle,
        })
    }

    #[test]
    fn the_slowest_partition_holds_the_watermark() {
        let mut wm = marks(0, None);
        wm.add(0, 0);
        wm.add(1, 0);
        wm.on_record(&0, Some(100), 0);
        wm.on_record(&1, Some(50), 0);
        assert_eq!(wm.poll(0), Some(Element::Watermark(49)));
        wm.on_record(&0, Some(200), 1);
        assert_eq!(wm.poll(1), None, "partition 1 did not move");
        wm.on_record(&1, Some(150), 2);
        assert_eq!(wm.poll(2), Some(Element::Watermark(149)));
        // Never backwards, records without a timestamp do not move it.
        wm.on_record(&1, Some(10), 3);
        wm.on_record(&0, None, 3);
        assert_eq!(wm.poll(3), None);
    }

    #[test]
    fn without_an_idle_timeout_a_silent_partition_holds_it_forever() {
        let mut wm = marks(0, None);
        wm.add(0, 0);
        wm.add(1, 0);
        wm.on_record(&0, Some(100), 0);
        assert_eq!(wm.poll(1_000_000), None);
    }

    #[test]
    fn idle_partitions_stop_counting_and_all_idle_is_idle() {
        let mut wm = marks(0, Some(100));
        wm.add(0, 0);
        wm.add(1, 0);
        wm.on_record(&0, Some(500), 50);
        assert_eq!(wm.poll(50), None, "partition 1 is not idle yet");
        assert_eq!(wm.poll(100), Some(Element::Watermark(499)));
        assert_eq!(wm.poll(200), Some(Element::Idle));
        assert_eq!(wm.poll(300), None, "announced once");
        // A record makes the subtask active again.
        wm.on_record(&1, Some(400), 310);
        assert_eq!(wm.poll(310), None, "399 is behind 499");
        wm.on_record(&1, Some(600), 320);
        assert_eq!(wm.poll(320), Some(Element::Watermark(599)));
        assert_eq!(wm.poll(1_000), Some(Element::Idle), "idle again");
    }

    #[test]
    fn a_subtask_without_partitions_is_idle_and_finished_ones_drop_out() {
        let mut wm = marks(0, None);
        assert_eq!(wm.poll(0), Some(Element::Idle));
        wm.add(7, 0);
        wm.add(8, 0);
        wm.on_record(&7, Some(10), 0);
        assert_eq!(wm.poll(0), None, "8 holds it");
        wm.remove(&8);
        assert_eq!(wm.poll(1), Some(Element::Watermark(9)));
    }
}
