//! Live counters shared between task threads and the progress display.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use weir_types::MIN_WATERMARK;

/// Counters of one node, summed over its subtasks.
#[derive(Debug)]
pub struct NodeCounters {
    /// Records that entered the node.
    pub records_in: AtomicU64,
    /// Records the node emitted (all outputs).
    pub records_out: AtomicU64,
    /// Highest watermark any subtask of the node has reached.
    pub watermark: AtomicI64,
    /// Records a source dropped because they could not be decoded
    /// (`on_decode_error: skip`).
    pub records_skipped: AtomicU64,
}

impl Default for NodeCounters {
    fn default() -> Self {
        NodeCounters {
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            watermark: AtomicI64::new(MIN_WATERMARK),
            records_skipped: AtomicU64::new(0),
        }
    }
}

impl NodeCounters {
    pub(crate) fn add_in(&self, n: usize) {
        self.records_in.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub(crate) fn add_out(&self, n: usize) {
        self.records_out.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub(crate) fn add_skipped(&self, n: u64) {
        self.records_skipped.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn watermark(&self, wm: i64) {
        self.watermark.fetch_max(wm, Ordering::Relaxed);
    }
}

/// Counters of every node of a job, in topological order.
#[derive(Debug, Default, Clone)]
pub struct JobCounters {
    /// `(node id, counters)`.
    pub nodes: Vec<(String, Arc<NodeCounters>)>,
}

impl JobCounters {
    /// Sets every counter back to its start (before a restarted run).
    pub(crate) fn reset(&self) {
        for (_, c) in &self.nodes {
            c.records_in.store(0, Ordering::Relaxed);
            c.records_out.store(0, Ordering::Relaxed);
            c.watermark.store(MIN_WATERMARK, Ordering::Relaxed);
            c.records_skipped.store(0, Ordering::Relaxed);
        }
    }

    /// The counters of `id`.
    pub fn node(&self, id: &str) -> Arc<NodeCounters> {
        self.nodes
            .iter()
            .find(|(n, _)| n == id)
            .map(|(_, c)| Arc::clone(c))
            .expect("every node has counters")
    }
}
