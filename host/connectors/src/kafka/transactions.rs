//! [`Transactions`]: one sink subtask's transactional producer and the
//! marker group whose committed offset says which checkpoint's records are
//! in Kafka (see [`super::transactional`] for the protocol).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use weir_spec::KafkaSinkSpec;

use super::producer::{self, Deliveries, SinkProducer};
use super::write_ahead;
use crate::{ConnectorError, FINAL_CHECKPOINT, Result};

/// How long a transaction call may block (librdkafka retries within it).
const TXN_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a commit that timed out (retriable) is tried again.
const COMMIT_ATTEMPTS: u32 = 5;

/// Records pre-committed at a barrier, waiting for its checkpoint.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) checkpoint: u64,
    pub(crate) records: u64,
    pub(crate) data: Vec<u8>,
}

/// A transactional producer of one subtask and the marker group it commits
/// checkpoint ids to.
pub(crate) struct Transactions {
    pub(crate) id: String,
    pub(crate) spec: KafkaSinkSpec,
    pub(crate) transactional_id: String,
    pub(crate) marker_group: String,
    producer: SinkProducer,
    deliveries: Deliveries,
    /// Reads the marker; never subscribes.
    marker: BaseConsumer,
    group: ConsumerGroupMetadata,
}

impl Transactions {
    /// Opens the producer of `transactional_id` and initialises it, which
    /// fences any other producer of that id and aborts its transaction.
    pub(crate) fn open(id: &str, spec: &KafkaSinkSpec, transactional_id: &str) -> Result<Self> {
        let fail = |message: String| producer::error(id, spec, message);
        let (producer, deliveries) = producer::open(
            id,
            spec,
            &format!("weir-{transactional_id}"),
            &[("transactional.id", transactional_id)],
        )?;
        producer.init_transactions(TXN_TIMEOUT).map_err(|e| {
            fail(format!(
                "cannot initialise transactions of `{transactional_id}`: {e}"
            ))
        })?;
        let marker_group = format!("{transactional_id}-committed");
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &spec.brokers)
            .set("group.id", &marker_group)
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("log_level", "3");
        // Security settings are the producer's; the consumer needs them too
        // (producer-only properties are ignored with a notice).
        for (key, value) in &spec.properties {
            config.set(key, value);
        }
        let marker: BaseConsumer = config
            .create()
            .map_err(|e| fail(format!("cannot create the marker group's consumer: {e}")))?;
        let group = marker
            .group_metadata()
            .ok_or_else(|| fail(format!("no group metadata for `{marker_group}`")))?;
        Ok(Transactions {
            id: id.to_owned(),
            spec: spec.clone(),
            transactional_id: transactional_id.to_owned(),
            marker_group,
            producer,
            deliveries,
            marker,
            group,
        })
    }

    fn error(&self, message: String) -> ConnectorError {
        let message = format!("transactional id `{}`: {message}", self.transactional_id);
        producer::error(&self.id, &self.spec, self.deliveries.auth.or(message))
    }

    /// The last checkpoint whose records are committed, per the marker
    /// group; `None` when it holds no marker.
    pub(crate) fn committed(&self) -> Result<Option<u64>> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&self.spec.topic, 0);
        let found = self
            .marker
            .committed_offsets(tpl, TXN_TIMEOUT)
            .map_err(|e| {
                self.error(format!(
                    "cannot read the marker group `{}`: {e}",
                    self.marker_group
                ))
            })?;
        let offset = found
            .find_partition(&self.spec.topic, 0)
            .map(|elem| elem.offset());
        Ok(match offset {
            Some(Offset::Offset(n)) => Some(marker_checkpoint(n)),
            _ => None,
        })
    }

    /// Sends `data`'s records and marks `checkpoint` committed, in one
    /// transaction. `data` may be empty (only the marker moves).
    pub(crate) fn commit(&self, checkpoint: u64, data: &[u8]) -> Result<u64> {
        let what = checkpoint_name(checkpoint);
        self.producer
            .begin_transaction()
            .map_err(|e| self.error(format!("cannot begin the transaction of {what}: {e}")))?;
        let mut records = 0;
        for record in write_ahead::decode(data) {
            let record = record.map_err(|e| self.error(format!("{what}: {e}")))?;
            producer::send(
                &self.producer,
                &self.spec.topic,
                record.key,
                record.value,
                record.timestamp,
            )
            .map_err(|e| self.error(format!("cannot send to `{}`: {e}", self.spec.topic)))?;
            records += 1;
        }
        let mut marker = TopicPartitionList::new();
        marker
            .add_partition_offset(
                &self.spec.topic,
                0,
                Offset::Offset(checkpoint_marker(checkpoint)),
            )
            .map_err(|e| self.error(format!("bad marker for {what}: {e}")))?;
        self.producer
            .send_offsets_to_transaction(&marker, &self.group, TXN_TIMEOUT)
            .map_err(|e| self.error(format!("cannot add the marker of {what}: {e}")))?;
        let mut attempt = 1;
        loop {
            match self.producer.commit_transaction(TXN_TIMEOUT) {
                Ok(()) => break,
                Err(KafkaError::Transaction(e))
                    if e.is_retriable() && attempt < COMMIT_ATTEMPTS =>
                {
                    tracing::warn!(sink = %self.id, transactional_id = %self.transactional_id, error = %e, attempt, "committing a transaction timed out; trying again");
                    attempt += 1;
                }
                Err(e) => {
                    if let KafkaError::Transaction(t) = &e
                        && t.txn_requires_abort()
                    {
                        let _ = self.producer.abort_transaction(TXN_TIMEOUT);
                    }
                    if let Some(failure) = self.deliveries.take_failure() {
                        return Err(self.error(format!(
                            "cannot commit the transaction of {what}: {e} ({failure})"
                        )));
                    }
                    return Err(self.error(format!("cannot commit the transaction of {what}: {e}")));
                }
            }
        }
        tracing::debug!(sink = %self.id, transactional_id = %self.transactional_id, checkpoint, records, "committed a transaction");
        Ok(records)
    }

    /// Commits the `pending` commits the marker does not cover yet, in
    /// order, then leaves the marker at the last of them (0 without any).
    pub(crate) fn recover(&self, pending: &[Pending]) -> Result<()> {
        let mut committed = self.committed()?;
        let last = pending.last().map_or(0, |p| p.checkpoint);
        for p in pending {
            if committed.is_some_and(|c| c >= p.checkpoint) {
                continue;
            }
            committed = Some(p.checkpoint);
            let sent = self.commit(p.checkpoint, &p.data)?;
            if sent != p.records {
                return Err(self.error(format!(
                    "{} held {sent} records written ahead, the checkpoint recorded {}",
                    checkpoint_name(p.checkpoint),
                    p.records
                )));
            }
            tracing::info!(sink = %self.id, transactional_id = %self.transactional_id, checkpoint = p.checkpoint, records = sent, "redid the commit of a restored checkpoint");
        }
        if committed.is_none_or(|c| c > last) {
            self.commit(last, &[])?;
        }
        Ok(())
    }
}

/// A checkpoint id as the marker group's offset (the end of input, which
/// has no id of its own yet, as `i64::MAX`).
pub(crate) fn checkpoint_marker(checkpoint: u64) -> i64 {
    if checkpoint == FINAL_CHECKPOINT {
        i64::MAX
    } else {
        i64::try_from(checkpoint).expect("checkpoint ids stay below i64::MAX")
    }
}

/// The inverse of [`checkpoint_marker`].
pub(crate) fn marker_checkpoint(offset: i64) -> u64 {
    if offset == i64::MAX {
        FINAL_CHECKPOINT
    } else {
        u64::try_from(offset).unwrap_or(0)
    }
}

pub(crate) fn checkpoint_name(checkpoint: u64) -> String {
    if checkpoint == FINAL_CHECKPOINT {
        "the end of input".to_owned()
    } else {
        format!("checkpoint {checkpoint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_the_end_of_input_is_the_largest() {
        for checkpoint in [0, 1, 42, FINAL_CHECKPOINT] {
            assert_eq!(marker_checkpoint(checkpoint_marker(checkpoint)), checkpoint);
        }
        assert!(checkpoint_marker(FINAL_CHECKPOINT) > checkpoint_marker(1 << 40));
        assert_eq!(marker_checkpoint(-1), 0);
    }
}
