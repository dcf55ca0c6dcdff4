//! [`KafkaSource`]: one subtask of a Kafka source.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

use super::auth::ConsumerErrors;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use weir_spec::{DecodeErrorPolicy, KafkaSourceSpec, StartOffsets, StopOffsets, TopicSelection};
use weir_types::{Element, Millis, Record};

use super::assign::owner;
use crate::file_source::decode::LineDecoder;
use crate::pacer::Pacer;
use crate::{
    ConnectorError, KafkaPartitionOffset, PartitionWatermarks, Result, Source, SourcePoll,
    SourcePosition,
};

/// How long metadata and offset lookups may take before the source fails.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A topic and partition.
type Tp = (String, i32);

/// One partition this subtask reads.
#[derive(Clone, Copy, Debug)]
struct PartitionState {
    /// The next offset to read.
    next: i64,
    /// Where a bounded source ends.
    stop: Option<i64>,
    /// Bounded and at its end.
    finished: bool,
}

/// One subtask of a Kafka source: reads the partitions it owns (see
/// `assign.rs`) with a consumer assigned to them by hand (no group
/// rebalancing: the checkpoint, not the group, says where each partition
/// continues), keeps watermarks per partition, and commits its offsets to
/// the consumer group when a checkpoint completes, for monitoring.
pub struct KafkaSource {
    id: String,
    spec: KafkaSourceSpec,
    subtask: u32,
    parallelism: u32,
    policy: DecodeErrorPolicy,
    decoder: LineDecoder,
    consumer: BaseConsumer<ConsumerErrors>,
    /// Partitions assigned so far; empty until the first poll.
    partitions: BTreeMap<Tp, PartitionState>,
    started: bool,
    /// Offsets from a checkpoint, applied at the first poll.
    restored: Option<Vec<KafkaPartitionOffset>>,
    watermarks: PartitionWatermarks<Tp>,
    pattern: Option<regex::Regex>,
    next_discovery: Instant,
    skipped: u64,
    pacer: Option<Pacer>,
    /// When the last client error was logged (they repeat while brokers
    /// are away).
    last_error_log: Option<Instant>,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("id", &self.id)
            .field("subtask", &self.subtask)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

impl KafkaSource {
    /// Subtask `subtask` of `parallelism` of source `id` of job `job`. Does
    /// not contact the brokers yet: the first poll does, after a possible
    /// [`seek`](Source::seek) to checkpointed offsets.
    pub fn new(
        job: &str,
        id: &str,
        spec: &KafkaSourceSpec,
        watermark: &weir_spec::WatermarkSpec,
        policy: DecodeErrorPolicy,
        subtask: u32,
        parallelism: u32,
    ) -> Result<Self> {
        let group = spec
            .group_id
            .clone()
            .unwrap_or_else(|| format!("weir-{job}-{id}"));
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &spec.brokers)
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("isolation.level", "read_committed")
            .set("client.id", format!("weir-{job}-{id}-{subtask}"));
        for (key, value) in &spec.properties {
            config.set(key, value);
        }
        let consumer: BaseConsumer<ConsumerErrors> = config
            .create_with_context(ConsumerErrors::default())
            .map_err(|e| ConnectorError::Kafka {
                id: id.to_owned(),
                brokers: spec.brokers.clone(),
                message: format!("cannot create a consumer: {e}"),
            })?;
        let pattern = match &spec.topics {
            TopicSelection::Pattern(p) => {
                Some(regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    ConnectorError::Config {
                        id: id.to_owned(),
                        message: format!("topic_pattern: {e}"),
                    }
                })?)
            }
            TopicSelection::Names(_) => None,
        };
        Ok(KafkaSource {
            id: id.to_owned(),
            spec: spec.clone(),
            subtask,
            parallelism,
            policy,
            decoder: LineDecoder::with_fields(spec.format, &spec.key_field, &spec.timestamp_field),
            consumer,
            partitions: BTreeMap::new(),
            started: false,
            restored: None,
            watermarks: PartitionWatermarks::new(watermark),
            pattern,
            next_discovery: Instant::now(),
            skipped: 0,
            pacer: spec
                .rate_per_sec
                .map(|rate| Pacer::new(rate, u64::from(parallelism))),
            last_error_log: None,
        })
    }

    /// An error of this source: `message`, or the authentication failure
    /// that caused it.
    fn error(&self, message: String) -> ConnectorError {
        ConnectorError::Kafka {
            id: self.id.clone(),
            brokers: self.spec.brokers.clone(),
            message: self.consumer.context().auth.or(message),
        }
    }

    /// The error of a failed metadata lookup. An authentication failure
    /// behind it reaches the consumer's context only when the consumer is
    /// polled, so this polls briefly first; the job fails with the error,
    /// so a message polled meanwhile is read again after the restart.
    fn lookup_error(&self, message: String) -> ConnectorError {
        for _ in 0..5 {
            if self.consumer.context().auth.message().is_some() {
                break;
            }
            let _ = self.consumer.poll(Duration::from_millis(20));
        }
        self.error(message)
    }

    /// The partitions of the selected topics this subtask owns.
    fn owned_partitions(&self) -> Result<Vec<Tp>> {
        let mut owned = Vec::new();
        let mut take = |topic: &str, partitions: &[rdkafka::metadata::MetadataPartition]| {
            for p in partitions {
                if owner(topic, p.id(), self.parallelism) == self.subtask {
                    owned.push((topic.to_owned(), p.id()));
                }
            }
        };
        match &self.spec.topics {
            TopicSelection::Names(names) => {
                for name in names {
                    let metadata = self
                        .consumer
                        .fetch_metadata(Some(name), LOOKUP_TIMEOUT)
                        .map_err(|e| {
                            self.lookup_error(format!("cannot read metadata of `{name}`: {e}"))
                        })?;
                    let Some(topic) = metadata.topics().iter().find(|t| t.name() == name) else {
                        return Err(self.error(format!("topic `{name}` does not exist")));
                    };
                    match topic.error() {
                        None => {}
                        Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) => {
                            return Err(self.error(format!("topic `{name}` does not exist")));
                        }
                        Some(err) => {
                            return Err(self.error(format!(
                                "topic `{name}`: {}",
                                RDKafkaErrorCode::from(err)
                            )));
                        }
                    }
                    if topic.partitions().is_empty() {
                        return Err(self.error(format!("topic `{name}` does not exist")));
                    }
                    take(name, topic.partitions());
                }
            }
            TopicSelection::Pattern(_) => {
                let metadata = self
                    .consumer
                    .fetch_metadata(None, LOOKUP_TIMEOUT)
                    .map_err(|e| self.lookup_error(format!("cannot list topics: {e}")))?;
                let pattern = self.pattern.as_ref().expect("a pattern");
                for topic in metadata.topics() {
                    if topic.error().is_none() && pattern.is_match(topic.name()) {
                        take(topic.name(), topic.partitions());
                    }
                }
            }
        }
        owned.sort();
        Ok(owned)
    }

    /// A partition's first and end offsets.
    fn watermarks_of(&self, (topic, partition): &Tp) -> Result<(i64, i64)> {
        self.consumer
            .fetch_watermarks(topic, *partition, LOOKUP_TIMEOUT)
            .map_err(|e| {
                self.error(format!(
                    "cannot read the offsets of {topic}/{partition}: {e}"
                ))
            })
    }

    /// Where new partitions start, as `start:` says, as concrete offsets (so
    /// a checkpoint taken before any record was read restores to the same
    /// place).
    fn start_offsets(&self, new: &[Tp]) -> Result<Vec<i64>> {
        let mut offsets = Vec::with_capacity(new.len());
        match self.spec.start {
            StartOffsets::Earliest | StartOffsets::Latest => {
                for tp in new {
                    let (low, high) = self.watermarks_of(tp)?;
                    offsets.push(if self.spec.start == StartOffsets::Earliest {
                        low
                    } else {
                        high
                    });
                }
            }
            StartOffsets::Committed => {
                let tpl = self.partition_list(new, None)?;
                let committed = self
                    .consumer
                    .committed_offsets(tpl, LOOKUP_TIMEOUT)
                    .map_err(|e| self.error(format!("cannot read committed offsets: {e}")))?;
                // No committed offset: from the beginning.
                offsets = self.found_or(&committed, new, |(low, _)| low)?;
            }
            StartOffsets::Timestamp { timestamp_ms } => {
                let tpl = self.partition_list(new, Some(timestamp_ms))?;
                let found = self
                    .consumer
                    .offsets_for_times(tpl, LOOKUP_TIMEOUT)
                    .map_err(|e| self.error(format!("cannot look up offsets by time: {e}")))?;
                // No record that late: from the end.
                offsets = self.found_or(&found, new, |(_, high)| high)?;
            }
        }
        Ok(offsets)
    }

    /// `partitions` as a list for a lookup, each with `offset` if given.
    fn partition_list(&self, partitions: &[Tp], offset: Option<i64>) -> Result<TopicPartitionList> {
        let mut tpl = TopicPartitionList::new();
        for (topic, partition) in partitions {
            match offset {
                Some(offset) => tpl
                    .add_partition_offset(topic, *partition, Offset::Offset(offset))
                    .map_err(|e| self.error(e.to_string()))?,
                None => {
                    tpl.add_partition(topic, *partition);
                }
            }
        }
        Ok(tpl)
    }

    /// The offsets a lookup `found` for `partitions`; where it found none,
    /// `fallback` of the partition's (first, end) offsets.
    fn found_or(
        &self,
        found: &TopicPartitionList,
        partitions: &[Tp],
        fallback: impl Fn((i64, i64)) -> i64,
    ) -> Result<Vec<i64>> {
        partitions
            .iter()
            .map(|tp| {
                let offset = found
                    .find_partition(&tp.0, tp.1)
                    .and_then(|e| e.offset().to_raw())
                    .filter(|o| *o >= 0);
                match offset {
                    Some(offset) => Ok(offset),
                    None => self.watermarks_of(tp).map(&fallback),
                }
            })
            .collect()
    }

    /// Assigns `partitions` (with their states) to the consumer.
    fn assign(&mut self, partitions: Vec<(Tp, PartitionState)>) -> Result<()> {
        if partitions.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        let now = now_ms();
        for ((topic, partition), state) in &partitions {
            if state.finished {
                continue;
            }
            tpl.add_partition_offset(topic, *partition, Offset::Offset(state.next))
                .map_err(|e| self.error(e.to_string()))?;
        }
        self.consumer
            .incremental_assign(&tpl)
            .map_err(|e| self.error(format!("cannot assign partitions: {e}")))?;
        for (tp, state) in partitions {
            tracing::info!(source = %self.id, subtask = self.subtask, topic = %tp.0, partition = tp.1, next = state.next, stop = ?state.stop, "reading partition");
            if !state.finished {
                self.watermarks.add(tp.clone(), now);
            }
            self.partitions.insert(tp, state);
        }
        Ok(())
    }

    /// First poll: restored partitions where the checkpoint left them, the
    /// other owned ones where `start:` says.
    fn start(&mut self) -> Result<()> {
        self.started = true;
        let mut states: Vec<(Tp, PartitionState)> = Vec::new();
        let restored = self.restored.take();
        if let Some(restored) = &restored {
            for p in restored {
                let finished = p.stop.is_some_and(|stop| p.next >= stop);
                states.push((
                    (p.topic.clone(), p.partition),
                    PartitionState {
                        next: p.next,
                        stop: p.stop,
                        finished,
                    },
                ));
            }
        }
        let bounded = self.spec.stop.is_some();
        // A restored bounded source reads exactly its checkpointed partitions.
        if !(bounded && restored.is_some()) {
            let known: Vec<Tp> = states.iter().map(|(tp, _)| tp.clone()).collect();
            let new: Vec<Tp> = self
                .owned_partitions()?
                .into_iter()
                .filter(|tp| !known.contains(tp))
                .collect();
            // Partitions that appear after a restore start at their
            // beginning, as Flink's do: they are new since the checkpoint.
            let starts = if restored.is_some() {
                new.iter()
                    .map(|tp| self.watermarks_of(tp).map(|(low, _)| low))
                    .collect::<Result<Vec<_>>>()?
            } else {
                self.start_offsets(&new)?
            };
            for (tp, next) in new.into_iter().zip(starts) {
                let stop = match self.spec.stop {
                    Some(StopOffsets::Latest) => Some(self.watermarks_of(&tp)?.1),
                    None => None,
                };
                let finished = stop.is_some_and(|stop| next >= stop);
                states.push((
                    tp,
                    PartitionState {
                        next,
                        stop,
                        finished,
                    },
                ));
            }
        }
        self.next_discovery = Instant::now() + discovery_interval(&self.spec);
        self.assign(states)
    }

    /// Picks up partitions created since the last look (unbounded sources).
    fn discover(&mut self) -> Result<()> {
        self.next_discovery = Instant::now() + discovery_interval(&self.spec);
        let owned = match self.owned_partitions() {
            Ok(owned) => owned,
            Err(e) => {
                // Brokers away for a moment: try again next time.
                tracing::warn!(source = %self.id, subtask = self.subtask, error = %e, "cannot look for new partitions");
                return Ok(());
            }
        };
        let new: Vec<Tp> = owned
            .into_iter()
            .filter(|tp| !self.partitions.contains_key(tp))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let mut states = Vec::with_capacity(new.len());
        for tp in new {
            let (low, _) = self.watermarks_of(&tp)?;
            states.push((
                tp,
                PartitionState {
                    next: low,
                    stop: None,
                    finished: false,
                },
            ));
        }
        self.assign(states)
    }

    /// Marks bounded partitions whose consumer position reached their stop
    /// offset as finished (their last records may be transaction markers,
    /// which never arrive as messages); true when all are.
    fn check_finished(&mut self) -> Result<bool> {
        let open: Vec<Tp> = self
            .partitions
            .iter()
            .filter(|(_, s)| !s.finished)
            .map(|(tp, _)| tp.clone())
            .collect();
        if open.is_empty() {
            return Ok(true);
        }
        let positions = self
            .consumer
            .position()
            .map_err(|e| self.error(format!("cannot read positions: {e}")))?;
        let mut done = TopicPartitionList::new();
        for tp in open {
            let state = self.partitions.get_mut(&tp).expect("known partition");
            let position = positions
                .find_partition(&tp.0, tp.1)
                .and_then(|e| e.offset().to_raw())
                .unwrap_or(-1);
            if state
                .stop
                .is_some_and(|stop| position >= stop || state.next >= stop)
            {
                state.finished = true;
                if let Some(stop) = state.stop {
                    state.next = state.next.max(stop);
                }
                self.watermarks.remove(&tp);
                done.add_partition(&tp.0, tp.1);
            }
        }
        if done.count() > 0 {
            let _ = self.consumer.incremental_unassign(&done);
        }
        Ok(self.partitions.values().all(|s| s.finished))
    }

    /// Logs a client error at most every few seconds.
    fn log_client_error(&mut self, error: &KafkaError) {
        let due = self
            .last_error_log
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(5));
        if due {
            self.last_error_log = Some(Instant::now());
            tracing::warn!(source = %self.id, subtask = self.subtask, brokers = %self.spec.brokers, error = %error, "kafka consumer error; retrying");
        }
    }
}

impl Source for KafkaSource {
    fn poll(&mut self, max: usize, out: &mut Vec<Record>) -> Result<SourcePoll> {
        if !self.started {
            self.start()?;
        }
        if self.spec.stop.is_none() && Instant::now() >= self.next_discovery {
            self.discover()?;
        }
        let now = now_ms();
        let before = out.len();
        let mut max = max.max(1);
        if let Some(pacer) = &mut self.pacer {
            max = pacer.allow(max as u64) as usize;
        }
        // The partition of the last message: consecutive messages mostly
        // share it, so its name is copied once per run, not per record.
        let mut tp: Tp = (String::new(), -1);
        while out.len() - before < max {
            let message = match self.consumer.poll(Duration::ZERO) {
                None => break,
                Some(Ok(message)) => message,
                Some(Err(KafkaError::PartitionEOF(_))) => continue,
                Some(Err(e)) => {
                    self.log_client_error(&e);
                    break;
                }
            };
            if tp.1 != message.partition() || tp.0 != message.topic() {
                tp = (message.topic().to_owned(), message.partition());
            }
            let Some(state) = self.partitions.get_mut(&tp) else {
                continue;
            };
            let offset = message.offset();
            if state.finished || state.stop.is_some_and(|stop| offset >= stop) {
                continue;
            }
            state.next = offset + 1;
            let decoded = self.decoder.decode(message.payload().unwrap_or_default());
            let mut record = match decoded {
                Ok(record) => record,
                Err(message) if self.policy == DecodeErrorPolicy::Skip => {
                    self.skipped += 1;
                    tracing::warn!(source = %self.id, topic = %tp.0, partition = tp.1, offset, %message, "skipping a record that cannot be decoded");
                    continue;
                }
                Err(message) => {
                    return Err(ConnectorError::KafkaDecode {
                        source_id: self.id.clone(),
                        topic: tp.0.clone(),
                        partition: tp.1,
                        offset,
                        message,
                    });
                }
            };
            if self.spec.key_field.is_none() {
                record.key = message.key().map(<[u8]>::to_vec);
            }
            if self.spec.timestamp_field.is_none() {
                record.timestamp = message.timestamp().to_millis();
            }
            self.watermarks.on_record(&tp, record.timestamp, now);
            out.push(record);
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.unused((max - (out.len() - before)) as u64);
        }
        if out.len() > before {
            return Ok(SourcePoll::Records);
        }
        // Nothing came: an authentication or TLS failure is why, for good.
        if let Some(failed) = self.consumer.context().auth.message() {
            return Err(self.error(failed));
        }
        if self.spec.stop.is_some() && self.check_finished()? {
            return Ok(SourcePoll::Finished);
        }
        Ok(SourcePoll::Idle)
    }

    fn position(&self) -> SourcePosition {
        SourcePosition::Kafka {
            partitions: self
                .partitions
                .iter()
                .map(|((topic, partition), s)| KafkaPartitionOffset {
                    topic: topic.clone(),
                    partition: *partition,
                    next: s.next,
                    stop: s.stop,
                })
                .collect(),
        }
    }

    fn seek(&mut self, pos: &SourcePosition) -> Result<()> {
        let SourcePosition::Kafka { partitions } = pos else {
            return Err(ConnectorError::Seek {
                id: self.id.clone(),
                position: pos.to_string(),
                message: "not a Kafka position".to_owned(),
            });
        };
        if let Some(p) = partitions
            .iter()
            .find(|p| owner(&p.topic, p.partition, self.parallelism) != self.subtask)
        {
            return Err(ConnectorError::Seek {
                id: self.id.clone(),
                position: pos.to_string(),
                message: format!(
                    "partition {}/{} belongs to another subtask",
                    p.topic, p.partition
                ),
            });
        }
        self.restored = Some(partitions.clone());
        Ok(())
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }

    fn tracks_watermarks(&self) -> bool {
        true
    }

    fn watermark(&mut self, now: Millis) -> Option<Element> {
        self.watermarks.poll(now)
    }

    fn checkpoint_complete(&mut self, position: &SourcePosition) -> Result<()> {
        let SourcePosition::Kafka { partitions } = position else {
            return Ok(());
        };
        if partitions.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.next))
                .map_err(|e| self.error(e.to_string()))?;
        }
        // At the end of a bounded read nothing would wait for an
        // asynchronous commit.
        let finished = self.spec.stop.is_some() && self.partitions.values().all(|s| s.finished);
        let mode = if finished {
            CommitMode::Sync
        } else {
            CommitMode::Async
        };
        self.consumer
            .commit(&tpl, mode)
            .map_err(|e| self.error(format!("cannot commit offsets to the group: {e}")))
    }
}

fn discovery_interval(spec: &KafkaSourceSpec) -> Duration {
    Duration::from_millis(spec.discovery_interval_ms)
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}
