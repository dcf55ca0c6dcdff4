//! The nodes a task chains: Wasm operators, Wasm UDFs and sinks.

use weir_connectors::Sink;
use weir_types::{Millis, Record};
use weir_wasm::{OperatorInstance, OperatorMetrics, OperatorOutput, UdfInstance};

use crate::error::{Result, RuntimeError};

/// What a node reports when its task ends.
#[derive(Clone, Debug, Default)]
pub struct NodeReport {
    /// Metrics reported by the guest.
    pub metrics: OperatorMetrics,
    /// Records sent to side outputs the job does not connect.
    pub dropped_side_records: u64,
    /// Bytes of keyed state at the end.
    pub state_bytes: u64,
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
}

pub(crate) struct OperatorNode(pub(crate) OperatorInstance);

impl ChainNode for OperatorNode {
    fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        Ok(self.0.process(batch)?)
    }
    fn on_watermark(&mut self, wm: Millis) -> Result<OperatorOutput> {
        Ok(self.0.advance_watermark(wm)?)
    }
    fn on_processing_time(&mut self, now: Millis) -> Result<OperatorOutput> {
        Ok(self.0.fire_processing_timers(now)?)
    }
    fn next_processing_timer(&self) -> Option<Millis> {
        self.0.next_processing_timer()
    }
    fn close(&mut self) -> Result<OperatorOutput> {
        Ok(self.0.close()?)
    }
    fn report(&self) -> NodeReport {
        NodeReport {
            metrics: self.0.metrics().clone(),
            dropped_side_records: self.0.dropped_side_records(),
            state_bytes: self.0.state_bytes(),
        }
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
}

pub(crate) struct SinkNode {
    pub(crate) id: String,
    pub(crate) subtask: u32,
    pub(crate) sink: Box<dyn Sink>,
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
    fn close(&mut self) -> Result<OperatorOutput> {
        self.sink.flush().map_err(|e| self.err(e))?;
        self.sink.close().map_err(|e| self.err(e))?;
        Ok(OperatorOutput::default())
    }
}
