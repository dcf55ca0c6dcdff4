//! [`KafkaSink`]: one subtask of a Kafka sink, at least once.

use std::time::Duration;

use rdkafka::producer::Producer;
use weir_spec::KafkaSinkSpec;
use weir_types::Record;

use super::producer::{self, Deliveries, SinkProducer};
use crate::{ConnectorError, Result, Sink};

/// How long a flush may wait for the brokers to acknowledge everything
/// before the sink fails (librdkafka retries sends within it).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(300);

/// One subtask of a Kafka sink. Records go out as they are written
/// (librdkafka batches them); [`flush`](Sink::flush) — and so every
/// checkpoint barrier — waits until the brokers acknowledged all of them,
/// which makes the output at least once: after a failure, records sent
/// since the last checkpoint are sent again.
pub struct KafkaSink {
    id: String,
    spec: KafkaSinkSpec,
    producer: SinkProducer,
    deliveries: Deliveries,
    closed: bool,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("id", &self.id)
            .field("topic", &self.spec.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    /// Subtask `subtask` of sink `id` of job `job`. Fails when the brokers
    /// cannot be reached or the topic does not exist.
    pub fn new(job: &str, id: &str, spec: &KafkaSinkSpec, subtask: u32) -> Result<Self> {
        let client_id = format!("weir-{job}-{id}-{subtask}");
        let (producer, deliveries) = producer::open(id, spec, &client_id, &[])?;
        Ok(KafkaSink {
            id: id.to_owned(),
            spec: spec.clone(),
            producer,
            deliveries,
            closed: false,
        })
    }

    fn error(&self, message: String) -> ConnectorError {
        producer::error(&self.id, &self.spec, self.deliveries.auth.or(message))
    }

    /// The first delivery failure, as an error.
    fn check_deliveries(&self) -> Result<()> {
        match self.deliveries.take_failure() {
            Some(message) => Err(self.error(message)),
            None => Ok(()),
        }
    }
}

impl Sink for KafkaSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.closed {
            return Err(ConnectorError::SinkClosed {
                id: self.id.clone(),
                target: format!("kafka topic {}", self.spec.topic),
            });
        }
        self.check_deliveries()?;
        for record in records {
            producer::send(
                &self.producer,
                &self.spec.topic,
                record.key.as_deref(),
                &record.value,
                record.timestamp,
            )
            .map_err(|e| self.error(format!("cannot send to `{}`: {e}", self.spec.topic)))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.producer
            .flush(FLUSH_TIMEOUT)
            .map_err(|e| self.error(format!("cannot flush to `{}`: {e}", self.spec.topic)))?;
        self.check_deliveries()
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.flush()?;
        self.closed = true;
        Ok(())
    }
}
