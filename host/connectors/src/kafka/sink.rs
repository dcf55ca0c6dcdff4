//! [`KafkaSink`]: one subtask of a Kafka sink, at least once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, ClientContext};
use weir_spec::KafkaSinkSpec;
use weir_types::Record;

use crate::{ConnectorError, Result, Sink};

/// How long a flush may wait for the brokers to acknowledge everything
/// before the sink fails (librdkafka retries sends within it).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(300);

/// Remembers the first failed delivery; the next write or flush reports it.
#[derive(Clone, Default)]
struct Deliveries {
    failed: Arc<Mutex<Option<String>>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, message)) = result {
            use rdkafka::message::Message;
            let mut failed = self.failed.lock().expect("deliveries");
            if failed.is_none() {
                *failed = Some(format!(
                    "a record to {}/{} was not delivered: {error}",
                    message.topic(),
                    message.partition()
                ));
            }
        }
    }
}

/// One subtask of a Kafka sink. Records go out as they are written
/// (librdkafka batches them); [`flush`](Sink::flush) — and so every
/// checkpoint barrier — waits until the brokers acknowledged all of them,
/// which makes the output at least once: after a failure, records sent
/// since the last checkpoint are sent again.
pub struct KafkaSink {
    id: String,
    spec: KafkaSinkSpec,
    producer: ThreadedProducer<Deliveries>,
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
        let deliveries = Deliveries::default();
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &spec.brokers)
            .set("client.id", format!("weir-{job}-{id}-{subtask}"))
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            // Writing to a topic that is not there is a mistake to report,
            // not a reason to create it (properties may say otherwise).
            .set("allow.auto.create.topics", "false");
        for (key, value) in &spec.properties {
            config.set(key, value);
        }
        let producer: ThreadedProducer<Deliveries> = config
            .create_with_context(deliveries.clone())
            .map_err(|e| error(id, spec, format!("cannot create a producer: {e}")))?;
        let metadata = producer
            .client()
            .fetch_metadata(Some(&spec.topic), Duration::from_secs(10))
            .map_err(|e| {
                error(
                    id,
                    spec,
                    format!("cannot read metadata of `{}`: {e}", spec.topic),
                )
            })?;
        let exists = metadata
            .topics()
            .iter()
            .any(|t| t.name() == spec.topic && t.error().is_none() && !t.partitions().is_empty());
        if !exists {
            return Err(error(
                id,
                spec,
                format!("topic `{}` does not exist", spec.topic),
            ));
        }
        Ok(KafkaSink {
            id: id.to_owned(),
            spec: spec.clone(),
            producer,
            deliveries,
            closed: false,
        })
    }

    fn error(&self, message: String) -> ConnectorError {
        error(&self.id, &self.spec, message)
    }

    /// The first delivery failure, as an error.
    fn check_deliveries(&self) -> Result<()> {
        match self.deliveries.failed.lock().expect("deliveries").take() {
            Some(message) => Err(self.error(message)),
            None => Ok(()),
        }
    }
}

fn error(id: &str, spec: &KafkaSinkSpec, message: String) -> ConnectorError {
    ConnectorError::Kafka {
        id: id.to_owned(),
        brokers: spec.brokers.clone(),
        message,
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
            let mut message = BaseRecord::<[u8], [u8]>::to(&self.spec.topic).payload(&record.value);
            if let Some(key) = &record.key {
                message = message.key(key);
            }
            if let Some(ts) = record.timestamp {
                message = message.timestamp(ts);
            }
            loop {
                match self.producer.send(message) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // librdkafka's queue is full: wait for deliveries.
                        message = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, _)) => {
                        return Err(
                            self.error(format!("cannot send to `{}`: {e}", self.spec.topic))
                        );
                    }
                }
            }
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
