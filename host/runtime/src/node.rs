//! The nodes a task chains: Wasm operators, Wasm UDFs and sinks.

use std::path::Path;

use weir_connectors::{FINAL_CHECKPOINT, Sink};
use weir_state::SnapshotKind;
use weir_types::{Barrier, Millis, PackedBatch, Record};
use weir_wasm::{OperatorInstance, OperatorMetrics, OperatorOutput, UdfInstance};

use crate::capture::NodeCapture;
use crate::error::{Result, RuntimeError};

/// What a node reports when its task ends.
#[derive(Clone, Debug, Default)]
pub struct NodeReport {
    /// The subtask reporting.
    pub subtask: u32,
    /// Metrics reported by the guest.
    pub metrics: OperatorMetrics,
    /// Records sent to side outputs the job does not connect.
    pub dropped_side_records: u64,
    /// Bytes of keyed state at the end.
    pub state_bytes: u64,
    /// A sink's state after it pre-committed the end of its input: what the
    /// job commits once every task has finished.
    pub sink_final: Option<weir_connectors::SinkPrecommit>,
}

/// One step of a chain. Only `process` is required: a node without timers
/// or state keeps the defaults.
pub(crate) trait ChainNode: Send {
    fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput>;
    fn on_watermark(&mut self, _wm: Millis) -> Result<OperatorOutput> {
        Ok(OperatorOutput::default())
    }
    fn on_processing_time(&mut self, _now: Millis) -> Result<OperatorOutput> {
        Ok(OperatorOutput::default())
    }
    fn next_processing_timer(&self) -> Option<Millis> {
        None
    }
    fn close(&mut self) -> Result<OperatorOutput> {
        Ok(OperatorOutput::default())
    }
    fn report(&self) -> NodeReport {
        NodeReport::default()
    }
    /// Captures what checkpoint `barrier` needs of this node. `scratch` is
    /// a local folder for native state files (created on demand).
    fn snapshot(&mut self, _barrier: Barrier, _scratch: &Path) -> Result<NodeCapture> {
        Ok(NodeCapture::default())
    }
    /// Checkpoint `id` completed.
    fn commit(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }
    /// Whether the node keeps nothing a checkpoint must hold (so a chain of
    /// such nodes behind a finished source needs no snapshot any more).
    fn stateless(&self) -> bool {
        false
    }
    /// A udf that takes and returns packed batches: the chain hands it the
    /// previous packed udf's output without decoding it.
    fn packed_udf(&mut self) -> Option<&mut UdfInstance> {
        None
    }
    /// Whether [`process_packed`](ChainNode::process_packed) takes a packed
    /// batch without decoding it (a sink that can).
    fn takes_packed(&self) -> bool {
        false
    }
    /// [`process`](ChainNode::process) of a packed batch; by default decodes
    /// it.
    fn process_packed(&mut self, batch: PackedBatch) -> Result<OperatorOutput> {
        self.process(batch.to_records())
    }
}

pub(crate) struct OperatorNode {
    pub(crate) instance: OperatorInstance,
    /// Owned key groups, `[start, end)`, when keyed.
    pub(crate) key_groups: Option<(u32, u32)>,
}

impl ChainNode for OperatorNode {
    fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        Ok(self.instance.process(batch)?)
    }
    fn on_watermark(&mut self, wm: Millis) -> Result<OperatorOutput> {
        Ok(self.instance.advance_watermark(wm)?)
    }
    fn on_processing_time(&mut self, now: Millis) -> Result<OperatorOutput> {
        Ok(self.instance.fire_processing_timers(now)?)
    }
    fn next_processing_timer(&self) -> Option<Millis> {
        self.instance.next_processing_timer()
    }
    fn close(&mut self) -> Result<OperatorOutput> {
        Ok(self.instance.close()?)
    }
    fn report(&self) -> NodeReport {
        NodeReport {
            subtask: 0,
            metrics: self.instance.metrics().clone(),
            dropped_side_records: self.instance.dropped_side_records(),
            state_bytes: self.instance.state_bytes(),
            sink_final: None,
        }
    }
    fn snapshot(&mut self, barrier: Barrier, scratch: &Path) -> Result<NodeCapture> {
        if self.key_groups.is_none() {
            return Ok(NodeCapture::default());
        }
        let kind = if barrier.savepoint {
            SnapshotKind::Savepoint
        } else {
            SnapshotKind::Checkpoint
        };
        std::fs::create_dir_all(scratch).map_err(|error| RuntimeError::Scratch {
            path: scratch.to_owned(),
            error,
        })?;
        Ok(NodeCapture {
            key_groups: self.key_groups,
            state: self.instance.snapshot(kind, scratch)?,
            ..NodeCapture::default()
        })
    }
}

pub(crate) struct UdfNode(pub(crate) UdfInstance);

impl ChainNode for UdfNode {
    fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        Ok(OperatorOutput {
            main: self.0.transform(batch)?,
            side: Vec::new(),
        })
    }
    fn stateless(&self) -> bool {
        true
    }
    fn packed_udf(&mut self) -> Option<&mut UdfInstance> {
        self.0.is_packed().then_some(&mut self.0)
    }
}

pub(crate) struct SinkNode {
    pub(crate) id: String,
    pub(crate) subtask: u32,
    pub(crate) sink: Box<dyn Sink>,
    /// The job takes checkpoints: the sink commits in two phases.
    pub(crate) durable: bool,
    /// Set by `close` when durable.
    pub(crate) final_state: Option<weir_connectors::SinkPrecommit>,
}

impl SinkNode {
    fn err(&self, error: weir_connectors::ConnectorError) -> RuntimeError {
        RuntimeError::Connector {
            node: self.id.clone(),
            subtask: self.subtask,
            error,
        }
    }
}

impl ChainNode for SinkNode {
    fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        self.sink.write(&batch).map_err(|e| self.err(e))?;
        Ok(OperatorOutput::default())
    }
    fn takes_packed(&self) -> bool {
        self.sink.takes_packed()
    }
    fn process_packed(&mut self, batch: PackedBatch) -> Result<OperatorOutput> {
        self.sink.write_packed(&batch).map_err(|e| self.err(e))?;
        Ok(OperatorOutput::default())
    }
    fn close(&mut self) -> Result<OperatorOutput> {
        self.sink.flush().map_err(|e| self.err(e))?;
        if self.durable {
            // The end of the input is pre-committed like a checkpoint; the
            // job commits it once every task has finished.
            self.final_state = self
                .sink
                .precommit(FINAL_CHECKPOINT)
                .map_err(|e| self.err(e))?;
        }
        self.sink.close().map_err(|e| self.err(e))?;
        Ok(OperatorOutput::default())
    }
    fn report(&self) -> NodeReport {
        NodeReport {
            sink_final: self.final_state.clone(),
            ..NodeReport::default()
        }
    }
    fn snapshot(&mut self, barrier: Barrier, _scratch: &Path) -> Result<NodeCapture> {
        let sink = self.sink.precommit(barrier.id).map_err(|e| self.err(e))?;
        Ok(NodeCapture {
            sink,
            ..NodeCapture::default()
        })
    }
    fn commit(&mut self, id: u64) -> Result<()> {
        self.sink.commit(id).map_err(|e| self.err(e))
    }
}
