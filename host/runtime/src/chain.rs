//! A chain of nodes inside one subtask, and the edges leaving its tail.
//!
//! Records a node emits go straight into the next node (no channel, no
//! copy); the tail's outputs go to [`OutputEdge`]s. Watermarks pass node by
//! node, and the records a node's timers emit reach the next node before the
//! watermark does.

use std::sync::Arc;

use weir_types::{Barrier, Element, Millis, PackedBatch, Record};
use weir_wasm::OperatorOutput;

use crate::capture::Captured;
use crate::checkpointer::CheckpointHandle;
use crate::error::Result;
use crate::metrics::NodeCounters;
use crate::node::{ChainNode, NodeReport};
use crate::partition::OutputEdge;

pub(crate) struct Chain {
    pub(crate) nodes: Vec<(String, Box<dyn ChainNode>, Arc<NodeCounters>)>,
    pub(crate) outputs: Vec<OutputEdge>,
    /// Counters of the source heading this chain, if any (for its watermark).
    pub(crate) head_counters: Option<Arc<NodeCounters>>,
    /// The subtask this chain runs as.
    pub(crate) subtask: u32,
}

impl Chain {
    /// Feeds `batch` into node `from` (or straight to the outputs when
    /// `from` is past the last node).
    pub(crate) fn push_records(&mut self, from: usize, batch: Vec<Record>) -> Result<()> {
        let mut batch = batch;
        let mut i = from;
        while i < self.nodes.len() {
            if batch.is_empty() {
                return Ok(());
            }
            if self.nodes[i].1.packed_udf().is_some() {
                return self.push_packed(i, PackedBatch::from_records(&batch));
            }
            let (_, node, counters) = &mut self.nodes[i];
            counters.add_in(batch.len());
            let out = node.process(batch)?;
            counters.add_out(out.main.len() + out.side.iter().map(|s| s.1.len()).sum::<usize>());
            if i + 1 == self.nodes.len() {
                return self.emit(out);
            }
            batch = out.main;
            i += 1;
        }
        self.emit(OperatorOutput {
            main: batch,
            side: Vec::new(),
        })
    }

    /// Whether the first node takes packed batches as they are (a packed
    /// udf, or a sink that writes them without decoding), so a source that
    /// packs should hand it packed batches.
    pub(crate) fn head_takes_packed(&mut self) -> bool {
        self.nodes
            .first_mut()
            .is_some_and(|(_, node, _)| node.takes_packed() || node.packed_udf().is_some())
    }

    /// Feeds a packed batch into node `from`: through the packed udfs from
    /// there on (one udf's output goes to the next checked, not decoded),
    /// then into a node that takes it packed, else decoded once. Records
    /// [`push_records`](Chain::push_records) sends to a packed udf are
    /// packed once and come here.
    pub(crate) fn push_packed(&mut self, from: usize, batch: PackedBatch) -> Result<()> {
        let mut batch = batch;
        let mut i = from;
        while i < self.nodes.len() && !batch.is_empty() {
            let (_, node, counters) = &mut self.nodes[i];
            if let Some(udf) = node.packed_udf() {
                counters.add_in(batch.len());
                batch = udf.transform_packed(&batch)?;
                counters.add_out(batch.len());
                i += 1;
                continue;
            }
            if !node.takes_packed() {
                return self.push_records(i, batch.to_records());
            }
            counters.add_in(batch.len());
            let out = node.process_packed(batch)?;
            counters.add_out(out.main.len() + out.side.iter().map(|s| s.1.len()).sum::<usize>());
            return if i + 1 == self.nodes.len() {
                self.emit(out)
            } else {
                self.push_records(i + 1, out.main)
            };
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.emit(OperatorOutput {
            main: batch.to_records(),
            side: Vec::new(),
        })
    }

    fn emit(&mut self, out: OperatorOutput) -> Result<()> {
        let OperatorOutput { main, side } = out;
        send_to_edges(&mut self.outputs, None, main)?;
        for (name, records) in side {
            send_to_edges(&mut self.outputs, Some(&name), records)?;
        }
        Ok(())
    }

    /// Advances every node's watermark in order, then forwards it.
    pub(crate) fn push_watermark(&mut self, wm: Millis) -> Result<()> {
        for i in 0..self.nodes.len() {
            let (_, node, counters) = &mut self.nodes[i];
            counters.watermark(wm);
            let out = node.on_watermark(wm)?;
            self.forward_from(i, out)?;
        }
        if let Some(c) = &self.head_counters {
            c.watermark(wm);
        }
        self.broadcast(Element::Watermark(wm))
    }

    /// Fires due processing-time timers along the chain.
    pub(crate) fn push_processing_time(&mut self, now: Millis) -> Result<()> {
        for i in 0..self.nodes.len() {
            let due = self.nodes[i]
                .1
                .next_processing_timer()
                .is_some_and(|t| t <= now);
            if due {
                let out = self.nodes[i].1.on_processing_time(now)?;
                self.forward_from(i, out)?;
            }
        }
        Ok(())
    }

    /// The earliest processing-time timer of any node.
    pub(crate) fn next_processing_timer(&self) -> Option<Millis> {
        self.nodes
            .iter()
            .filter_map(|(_, n, _)| n.next_processing_timer())
            .min()
    }

    /// Captures every node's part of checkpoint `barrier`, in chain order.
    pub(crate) fn snapshot(
        &mut self,
        barrier: Barrier,
        handle: &CheckpointHandle,
    ) -> Result<Vec<Captured>> {
        let mut out = Vec::with_capacity(self.nodes.len());
        for (id, node, _) in &mut self.nodes {
            let scratch = handle.scratch(barrier, id, self.subtask);
            let capture = node.snapshot(barrier, &scratch)?;
            out.push(Captured {
                node: id.clone(),
                subtask: self.subtask,
                scratch: capture.state.is_some().then_some(scratch),
                capture,
            });
        }
        Ok(out)
    }

    /// Whether no node of the chain keeps anything a checkpoint must hold.
    pub(crate) fn stateless(&self) -> bool {
        self.nodes.iter().all(|(_, node, _)| node.stateless())
    }

    /// Checkpoint `id` completed: every node may publish.
    pub(crate) fn commit(&mut self, id: u64) -> Result<()> {
        for (_, node, _) in &mut self.nodes {
            node.commit(id)?;
        }
        Ok(())
    }

    /// Ends the stream: event time to the end, close every node in order,
    /// then end the outputs.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.push_watermark(weir_types::MAX_WATERMARK)?;
        for i in 0..self.nodes.len() {
            let out = self.nodes[i].1.close()?;
            self.forward_from(i, out)?;
        }
        self.broadcast(Element::End)
    }

    /// Sends a control element to every output.
    pub(crate) fn broadcast(&mut self, e: Element) -> Result<()> {
        for edge in &mut self.outputs {
            edge.broadcast(e.clone())?;
        }
        Ok(())
    }

    /// Delivers what node `i` emitted outside `process` to the rest.
    fn forward_from(&mut self, i: usize, out: OperatorOutput) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        self.nodes[i]
            .2
            .add_out(out.main.len() + out.side.iter().map(|s| s.1.len()).sum::<usize>());
        if i + 1 == self.nodes.len() {
            self.emit(out)
        } else {
            self.push_records(i + 1, out.main)
        }
    }

    pub(crate) fn reports(&self) -> Vec<(String, NodeReport)> {
        self.nodes
            .iter()
            .map(|(id, n, _)| {
                let report = NodeReport {
                    subtask: self.subtask,
                    ..n.report()
                };
                (id.clone(), report)
            })
            .collect()
    }
}

fn send_to_edges(
    edges: &mut [OutputEdge],
    output: Option<&str>,
    records: Vec<Record>,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let targets: Vec<usize> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.side_output.as_deref() == output)
        .map(|(i, _)| i)
        .collect();
    let Some((&last, rest)) = targets.split_last() else {
        return Ok(());
    };
    for &i in rest {
        edges[i].send_records(records.clone())?;
    }
    edges[last].send_records(records)
}
