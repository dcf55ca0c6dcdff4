//! [`TransactionalKafkaSink`]: one subtask of a Kafka sink, exactly once.
//!
//! Records written between two checkpoint barriers are kept in memory
//! (encoded compactly, [`super::write_ahead`]). At a barrier they become
//! the subtask's *pending commit* of that checkpoint and are stored in it —
//! written ahead. When the checkpoint completes, they are sent to Kafka in
//! one transaction that also commits the checkpoint's id as the offset of
//! a *marker group* (`send_offsets_to_transaction`): records and marker
//! become visible together or not at all.
//!
//! After a failure the restored subtask opens a producer with the same
//! `transactional.id`, which fences the previous run's producer and aborts
//! its open transaction, reads the marker, and redoes the pending commits
//! of the restored checkpoint that the marker does not cover. Then it sets
//! the marker to the restored checkpoint's last pending commit, so a
//! marker left by later, abandoned attempts cannot hide commits that will
//! be redone. A job that starts without a checkpoint resets the marker to 0.
//!
//! Why written ahead, when Flink keeps a transaction open from barrier to
//! completion: committing a pre-committed transaction after a restart
//! needs the old producer's id and epoch, which librdkafka offers no way to
//! resume. Written ahead, a restarted subtask never needs the old
//! transaction — it aborts it and sends the records again. The cost: the
//! records of one checkpoint interval are held in memory and stored in the
//! checkpoint, and they reach Kafka when the checkpoint completes (a
//! `read_committed` consumer sees them no later than with Flink's sink).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use weir_spec::KafkaSinkSpec;
use weir_types::Record;

use super::producer::{self, Deliveries, SinkProducer};
use super::write_ahead;
use crate::{ConnectorError, FINAL_CHECKPOINT, Result, Sink, SinkPrecommit};

/// How long a transaction call may block (librdkafka retries within it).
const TXN_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a commit that timed out (retriable) is tried again.
const COMMIT_ATTEMPTS: u32 = 5;

/// What a checkpoint stores in its metadata for one subtask; the records
/// themselves are the pre-commit's data, the pending commits' bytes in
/// order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct TxnState {
    transactional_id: String,
    marker_group: String,
    topic: String,
    pending: Vec<PendingEntry>,
}

/// One pending commit as the metadata records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PendingEntry {
    checkpoint: u64,
    records: u64,
    bytes: u64,
}

/// Records pre-committed at a barrier, waiting for its checkpoint.
#[derive(Debug)]
struct Pending {
    checkpoint: u64,
    records: u64,
    data: Vec<u8>,
}

/// A transactional producer of one subtask and the marker group it commits
/// checkpoint ids to.
struct Transactions {
    id: String,
    spec: KafkaSinkSpec,
    transactional_id: String,
    marker_group: String,
    producer: SinkProducer,
    deliveries: Deliveries,
    /// Reads the marker; never subscribes.
    marker: BaseConsumer,
    group: ConsumerGroupMetadata,
}

impl Transactions {
    /// Opens the producer of `transactional_id` and initialises it, which
    /// fences any other producer of that id and aborts its transaction.
    fn open(id: &str, spec: &KafkaSinkSpec, transactional_id: &str) -> Result<Self> {
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
    fn committed(&self) -> Result<Option<u64>> {
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
    fn commit(&self, checkpoint: u64, data: &[u8]) -> Result<u64> {
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
    fn recover(&self, pending: &[Pending]) -> Result<()> {
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
fn checkpoint_marker(checkpoint: u64) -> i64 {
    if checkpoint == FINAL_CHECKPOINT {
        i64::MAX
    } else {
        i64::try_from(checkpoint).expect("checkpoint ids stay below i64::MAX")
    }
}

/// The inverse of [`checkpoint_marker`].
fn marker_checkpoint(offset: i64) -> u64 {
    if offset == i64::MAX {
        FINAL_CHECKPOINT
    } else {
        u64::try_from(offset).unwrap_or(0)
    }
}

fn checkpoint_name(checkpoint: u64) -> String {
    if checkpoint == FINAL_CHECKPOINT {
        "the end of input".to_owned()
    } else {
        format!("checkpoint {checkpoint}")
    }
}

/// `transactional.id` of subtask `subtask` of sink `id` of job `job`.
fn transactional_id(job: &str, id: &str, spec: &KafkaSinkSpec, subtask: u32) -> String {
    let prefix = spec
        .transactional_id_prefix
        .clone()
        .unwrap_or_else(|| format!("weir-{job}-{id}"));
    format!("{prefix}-{subtask}")
}

/// A restored pre-commit, checked: its state and its pending commits.
fn restored(id: &str, precommit: &SinkPrecommit) -> Result<(TxnState, Vec<Pending>)> {
    let bad = |message: String| ConnectorError::Config {
        id: id.to_owned(),
        message: format!("checkpointed kafka sink state is invalid: {message}"),
    };
    let state: TxnState =
        serde_json::from_value(precommit.state.clone()).map_err(|e| bad(e.to_string()))?;
    let data = precommit.data.as_deref().unwrap_or_default();
    let mut pending = Vec::with_capacity(state.pending.len());
    let mut at = 0usize;
    for entry in &state.pending {
        let end = usize::try_from(entry.bytes)
            .ok()
            .and_then(|n| at.checked_add(n))
            .filter(|&end| end <= data.len())
            .ok_or_else(|| {
                bad(format!(
                    "{} needs bytes {at}..+{} of {} written ahead",
                    checkpoint_name(entry.checkpoint),
                    entry.bytes,
                    data.len()
                ))
            })?;
        pending.push(Pending {
            checkpoint: entry.checkpoint,
            records: entry.records,
            data: data[at..end].to_vec(),
        });
        at = end;
    }
    if at != data.len() {
        return Err(bad(format!(
            "{} bytes written ahead, the pending commits account for {at}",
            data.len()
        )));
    }
    Ok((state, pending))
}

/// Finishes the commits `precommit` records with a producer of the
/// transactional id they were made with (for a job that had finished, or a
/// restored job whose transactional id changed).
pub(crate) fn recover_transactions(
    id: &str,
    spec: &KafkaSinkSpec,
    precommit: &SinkPrecommit,
) -> Result<()> {
    let (state, pending) = restored(id, precommit)?;
    let spec = KafkaSinkSpec {
        topic: state.topic.clone(),
        ..spec.clone()
    };
    Transactions::open(id, &spec, &state.transactional_id)?.recover(&pending)
}

/// One subtask of a Kafka sink with `delivery: exactly_once`: records are
/// written ahead into checkpoints and sent in one Kafka transaction per
/// completed checkpoint (see the module documentation).
pub struct TransactionalKafkaSink {
    txn: Transactions,
    /// Records since the last barrier, encoded.
    current: Vec<u8>,
    current_records: u64,
    /// Pre-committed, waiting for their checkpoints, oldest first.
    pending: Vec<Pending>,
    closed: bool,
}

impl std::fmt::Debug for TransactionalKafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionalKafkaSink")
            .field("id", &self.txn.id)
            .field("topic", &self.txn.spec.topic)
            .field("transactional_id", &self.txn.transactional_id)
            .finish_non_exhaustive()
    }
}

impl TransactionalKafkaSink {
    /// Subtask `subtask` of sink `id` of job `job`. With `restored` (what
    /// the subtask pre-committed in the checkpoint the job restarts from),
    /// first finishes that checkpoint's commits; without, resets the
    /// marker. Fails when the brokers cannot be reached, the topic does not
    /// exist or transactions cannot be initialised.
    pub fn open(
        job: &str,
        id: &str,
        spec: &KafkaSinkSpec,
        subtask: u32,
        restored: Option<&SinkPrecommit>,
    ) -> Result<Self> {
        let transactional_id = transactional_id(job, id, spec, subtask);
        let mut pending = Vec::new();
        if let Some(precommit) = restored {
            let (state, restored) = self::restored(id, precommit)?;
            if state.transactional_id == transactional_id && state.topic == spec.topic {
                pending = restored;
            } else {
                tracing::info!(sink = %id, old = %state.transactional_id, new = %transactional_id, "the transactional id or topic changed since the checkpoint; finishing its commits with the old one");
                recover_transactions(id, spec, precommit)?;
            }
        }
        let txn = Transactions::open(id, spec, &transactional_id)?;
        txn.recover(&pending)?;
        Ok(TransactionalKafkaSink {
            txn,
            current: Vec::new(),
            current_records: 0,
            pending: Vec::new(),
            closed: false,
        })
    }

    /// The `transactional.id` this subtask writes with.
    pub fn transactional_id(&self) -> &str {
        &self.txn.transactional_id
    }

    /// The group whose committed offset marks the last committed
    /// checkpoint.
    pub fn marker_group(&self) -> &str {
        &self.txn.marker_group
    }

    /// Records held for commits: written since the last barrier and
    /// pre-committed.
    pub fn held_records(&self) -> u64 {
        self.current_records + self.pending.iter().map(|p| p.records).sum::<u64>()
    }
}

impl Sink for TransactionalKafkaSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.closed {
            return Err(ConnectorError::SinkClosed {
                id: self.txn.id.clone(),
                target: format!("kafka topic {}", self.txn.spec.topic),
            });
        }
        for record in records {
            write_ahead::encode(record, &mut self.current);
        }
        self.current_records += records.len() as u64;
        Ok(())
    }

    /// Nothing leaves before its checkpoint completes.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        self.closed = true;
        Ok(())
    }

    fn precommit(&mut self, checkpoint: u64) -> Result<Option<SinkPrecommit>> {
        if self.current_records > 0 {
            self.pending.push(Pending {
                checkpoint,
                records: self.current_records,
                data: std::mem::take(&mut self.current),
            });
            self.current_records = 0;
        }
        let state = TxnState {
            transactional_id: self.txn.transactional_id.clone(),
            marker_group: self.txn.marker_group.clone(),
            topic: self.txn.spec.topic.clone(),
            pending: self
                .pending
                .iter()
                .map(|p| PendingEntry {
                    checkpoint: p.checkpoint,
                    records: p.records,
                    bytes: p.data.len() as u64,
                })
                .collect(),
        };
        let data = match self.pending.as_slice() {
            [] => None,
            [one] => Some(one.data.clone()),
            many => Some(many.iter().flat_map(|p| p.data.iter().copied()).collect()),
        };
        Ok(Some(SinkPrecommit {
            state: serde_json::to_value(&state).expect("sink state serializes"),
            data,
        }))
    }

    fn commit(&mut self, checkpoint: u64) -> Result<()> {
        let due = self
            .pending
            .iter()
            .take_while(|p| p.checkpoint <= checkpoint)
            .count();
        for p in self.pending.drain(..due) {
            self.txn.commit(p.checkpoint, &p.data)?;
        }
        Ok(())
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

    #[test]
    fn transactional_ids_come_from_the_prefix_or_the_job() {
        let mut spec = KafkaSinkSpec {
            brokers: "b:1".into(),
            topic: "t".into(),
            delivery: weir_spec::Delivery::ExactlyOnce,
            transactional_id_prefix: None,
            properties: Default::default(),
        };
        assert_eq!(
            transactional_id("fraud", "alerts", &spec, 3),
            "weir-fraud-alerts-3"
        );
        spec.transactional_id_prefix = Some("team-a".into());
        assert_eq!(transactional_id("fraud", "alerts", &spec, 0), "team-a-0");
    }

    fn precommit(pending: &[(u64, &[u8], u64)]) -> SinkPrecommit {
        let state = TxnState {
            transactional_id: "t-0".into(),
            marker_group: "t-0-committed".into(),
            topic: "out".into(),
            pending: pending
                .iter()
                .map(|(checkpoint, data, records)| PendingEntry {
                    checkpoint: *checkpoint,
                    records: *records,
                    bytes: data.len() as u64,
                })
                .collect(),
        };
        SinkPrecommit {
            state: serde_json::to_value(state).unwrap(),
            data: Some(pending.iter().flat_map(|p| p.1.iter().copied()).collect()),
        }
    }

    #[test]
    fn restored_pending_commits_split_the_data_in_order() {
        let (state, pending) =
            restored("out", &precommit(&[(3, b"abc", 1), (4, b"de", 2)])).unwrap();
        assert_eq!(state.pending.len(), 2);
        assert_eq!(pending[0].data, b"abc");
        assert_eq!((pending[1].checkpoint, pending[1].records), (4, 2));
        assert_eq!(pending[1].data, b"de");
    }

    #[test]
    fn restored_data_that_does_not_add_up_is_refused() {
        let mut short = precommit(&[(3, b"abc", 1)]);
        short.data = Some(b"ab".to_vec());
        let err = restored("out", &short).unwrap_err().to_string();
        assert!(err.contains("checkpoint 3 needs bytes 0..+3 of 2"), "{err}");
        let mut long = precommit(&[(3, b"abc", 1)]);
        long.data = Some(b"abcd".to_vec());
        let err = restored("out", &long).unwrap_err().to_string();
        assert!(err.contains("4 bytes written ahead"), "{err}");
        let err = restored("out", &SinkPrecommit::state(serde_json::json!({"x": 1})))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("checkpointed kafka sink state is invalid"),
            "{err}"
        );
    }
}
