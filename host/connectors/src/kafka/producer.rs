//! What both Kafka sinks share: the producer's settings, a check that the
//! topic exists, sending with back-pressure, and delivery failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, ClientContext};
use weir_spec::KafkaSinkSpec;
use weir_types::Millis;

use super::auth::AuthFailure;
use crate::{ConnectorError, Result};

/// How long metadata lookups may take before a sink gives up opening.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// Remembers the first failed delivery, which the sink reports next, and
/// the first authentication failure.
#[derive(Clone, Default)]
pub(crate) struct Deliveries {
    failed: Arc<Mutex<Option<String>>>,
    pub(crate) auth: AuthFailure,
}

impl Deliveries {
    /// The first failure since the last call, if any.
    pub(crate) fn take_failure(&self) -> Option<String> {
        self.failed.lock().expect("deliveries").take()
    }
}

impl ClientContext for Deliveries {
    fn error(&self, error: KafkaError, reason: &str) {
        self.auth.record(&error, reason);
        tracing::error!("librdkafka: {error}: {reason}");
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, message)) = result {
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

/// A producer that reports failed deliveries to its [`Deliveries`].
pub(crate) type SinkProducer = ThreadedProducer<Deliveries>;

/// The error of sink `id` writing to `spec`'s brokers.
pub(crate) fn error(id: &str, spec: &KafkaSinkSpec, message: String) -> ConnectorError {
    ConnectorError::Kafka {
        id: id.to_owned(),
        brokers: spec.brokers.clone(),
        message,
    }
}

/// A producer for sink `id` with client id `client_id`, plus `extra`
/// settings; the spec's properties come last and win. Fails when the topic
/// does not exist (or the brokers cannot say).
pub(crate) fn open(
    id: &str,
    spec: &KafkaSinkSpec,
    client_id: &str,
    extra: &[(&str, &str)],
) -> Result<(SinkProducer, Deliveries)> {
    let deliveries = Deliveries::default();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &spec.brokers)
        .set("client.id", client_id)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        // Writing to a topic that is not there is a mistake to report,
        // not a reason to create it (properties may say otherwise).
        .set("allow.auto.create.topics", "false");
    for (key, value) in extra {
        config.set(*key, *value);
    }
    for (key, value) in &spec.properties {
        config.set(key, value);
    }
    let producer: SinkProducer = config
        .create_with_context(deliveries.clone())
        .map_err(|e| error(id, spec, format!("cannot create a producer: {e}")))?;
    let metadata = producer
        .client()
        .fetch_metadata(Some(&spec.topic), METADATA_TIMEOUT)
        .map_err(|e| {
            let message = format!("cannot read metadata of `{}`: {e}", spec.topic);
            error(id, spec, deliveries.auth.or(message))
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
    Ok((producer, deliveries))
}

/// Sends one record to `topic`, waiting while librdkafka's queue is full.
/// Returns librdkafka's error for anything else.
pub(crate) fn send(
    producer: &SinkProducer,
    topic: &str,
    key: Option<&[u8]>,
    value: &[u8],
    timestamp: Option<Millis>,
) -> std::result::Result<(), KafkaError> {
    let mut message = BaseRecord::<[u8], [u8]>::to(topic).payload(value);
    if let Some(key) = key {
        message = message.key(key);
    }
    if let Some(ts) = timestamp {
        message = message.timestamp(ts);
    }
    loop {
        match producer.send(message) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                // librdkafka's queue is full: wait for deliveries.
                message = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(e),
        }
    }
}
