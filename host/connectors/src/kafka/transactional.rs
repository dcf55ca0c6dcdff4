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
//! The transactions run on a thread of the subtask's own
//! ([`super::committer`]): a completed checkpoint's records are handed over
//! and the subtask goes on; they stay among its pending commits, and so in
//! every checkpoint, until the thread has committed them.
//!
//! Why written ahead, when Flink keeps a transaction open from barrier to
//! completion: committing a pre-committed transaction after a restart
//! needs the old producer's id and epoch, which librdkafka offers no way to
//! resume. Written ahead, a restarted subtask never needs the old
//! transaction — it aborts it and sends the records again. The cost: the
//! records of one checkpoint interval are held in memory and stored in the
//! checkpoint, and they reach Kafka when the checkpoint completes (a
//! `read_committed` consumer sees them no later than with Flink's sink).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use weir_spec::KafkaSinkSpec;
use weir_types::Record;

use super::committer::Committer;
use super::transactions::{Pending, Transactions, checkpoint_name};
use super::write_ahead;
use crate::{ConnectorError, Result, Sink, SinkPrecommit};

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
    id: String,
    topic: String,
    transactional_id: String,
    marker_group: String,
    /// Runs the transactions on a thread of its own.
    committer: Committer,
    /// Records since the last barrier, encoded.
    current: Vec<u8>,
    current_records: u64,
    /// Pre-committed and not known to be committed yet (also those handed
    /// to the committer), oldest first.
    pending: Vec<Arc<Pending>>,
    /// The last checkpoint whose commit was handed to the committer.
    submitted: Option<u64>,
    closed: bool,
}

impl std::fmt::Debug for TransactionalKafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionalKafkaSink")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("transactional_id", &self.transactional_id)
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
        let marker_group = txn.marker_group.clone();
        Ok(TransactionalKafkaSink {
            id: id.to_owned(),
            topic: spec.topic.clone(),
            transactional_id,
            marker_group,
            committer: Committer::start(txn),
            current: Vec::new(),
            current_records: 0,
            pending: Vec::new(),
            submitted: None,
            closed: false,
        })
    }

    /// The `transactional.id` this subtask writes with.
    pub fn transactional_id(&self) -> &str {
        &self.transactional_id
    }

    /// The group whose committed offset marks the last committed
    /// checkpoint.
    pub fn marker_group(&self) -> &str {
        &self.marker_group
    }

    /// Records held for commits: written since the last barrier and
    /// pre-committed (as of the last barrier or flush).
    pub fn held_records(&self) -> u64 {
        self.current_records + self.pending.iter().map(|p| p.records).sum::<u64>()
    }

    /// Forgets the pending commits the committer has done; fails if one
    /// of its commits failed.
    fn prune(&mut self) -> Result<()> {
        if let Some(done) = self.committer.committed()? {
            self.pending.retain(|p| p.checkpoint > done);
        }
        Ok(())
    }
}

/// How long a sink dropped without [`Sink::close`] (a job stopped after a
/// savepoint, or failing) waits for the commits it handed over.
const DROP_WAIT: Duration = Duration::from_secs(30);

impl Drop for TransactionalKafkaSink {
    /// A job stopped with a savepoint publishes what the savepoint covers
    /// (its commit was just handed over) before its tasks are dropped; wait
    /// for it, within bounds — a commit that does not finish is redone by
    /// a restore.
    fn drop(&mut self) {
        if !self.committer.wait_at_most(DROP_WAIT) {
            tracing::warn!(sink = %self.id, transactional_id = %self.transactional_id, "commits still under way when the sink was dropped; a restore redoes them");
        }
    }
}

impl Sink for TransactionalKafkaSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.closed {
            return Err(ConnectorError::SinkClosed {
                id: self.id.clone(),
                target: format!("kafka topic {}", self.topic),
            });
        }
        for record in records {
            write_ahead::encode(record, &mut self.current);
        }
        self.current_records += records.len() as u64;
        Ok(())
    }

    /// Nothing leaves before its checkpoint completes: waits until the
    /// commits of completed checkpoints are done.
    fn flush(&mut self) -> Result<()> {
        self.committer.wait()?;
        self.prune()
    }

    /// Waits for the commits under way; the records written since the
    /// last barrier are dropped (a restored job writes them again).
    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.flush()
    }

    fn precommit(&mut self, checkpoint: u64) -> Result<Option<SinkPrecommit>> {
        self.prune()?;
        if self.current_records > 0 {
            self.pending.push(Arc::new(Pending {
                checkpoint,
                records: self.current_records,
                data: std::mem::take(&mut self.current),
            }));
            self.current_records = 0;
        }
        let state = TxnState {
            transactional_id: self.transactional_id.clone(),
            marker_group: self.marker_group.clone(),
            topic: self.topic.clone(),
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
        let data = (!self.pending.is_empty()).then(|| {
            let parts: Vec<&[u8]> = self.pending.iter().map(|p| p.data.as_slice()).collect();
            parts.concat()
        });
        Ok(Some(SinkPrecommit {
            state: serde_json::to_value(&state).expect("sink state serializes"),
            data,
        }))
    }

    /// Hands the commits of checkpoints up to `checkpoint` to the
    /// committer, which sends them while the subtask goes on.
    fn commit(&mut self, checkpoint: u64) -> Result<()> {
        self.prune()?;
        for p in &self.pending {
            if p.checkpoint > checkpoint {
                break;
            }
            if self.submitted.is_some_and(|s| s >= p.checkpoint) {
                continue;
            }
            self.committer.submit(Arc::clone(p))?;
            self.submitted = Some(p.checkpoint);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
