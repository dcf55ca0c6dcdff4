//! The loop one subtask runs on its own thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Receiver;
use weir_connectors::{Source, SourcePoll, SourcePosition, WatermarkGenerator};
use weir_spec::{LoadedSpec, NodeRef};
use weir_types::{Barrier, Element, PackedBatch, Record, key_group_range};
use weir_wasm::{
    InstanceSetup, Module, OperatorInstance, SandboxLimits, TaskInfo, UdfInstance, WorldKind,
};

use crate::barrier::{Aligner, Step};
use crate::capture::{Captured, NodeCapture};
use crate::chain::Chain;
use crate::channel::{InboxReader, Received};
use crate::checkpointer::CheckpointHandle;
use crate::control::{TaskCommand, TaskIndex};
use crate::error::{Result, RuntimeError};
use crate::gate::{GateEvent, InputGate};
use crate::metrics::JobCounters;
use crate::node::{ChainNode, NodeReport, OperatorNode, SinkNode, UdfNode};
use crate::partition::OutputEdge;
use crate::plan::ExecutionPlan;
use crate::restore::Restore;

/// How long an idle task waits before checking for cancellation and timers.
const POLL: Duration = Duration::from_millis(50);

/// What every task of a job shares.
pub(crate) struct JobShared {
    pub(crate) spec: LoadedSpec,
    pub(crate) plan: ExecutionPlan,
    pub(crate) modules: HashMap<String, Arc<Module>>,
    pub(crate) counters: JobCounters,
    pub(crate) cancel: Arc<AtomicBool>,
}

/// One subtask to run.
pub(crate) struct TaskSetup {
    pub(crate) shared: Arc<JobShared>,
    pub(crate) task: usize,
    pub(crate) subtask: u32,
    /// This subtask's index among all subtasks of the job.
    pub(crate) index: TaskIndex,
    pub(crate) inbox: Option<InboxReader>,
    pub(crate) outputs: Vec<OutputEdge>,
    pub(crate) control: Receiver<TaskCommand>,
    /// Present when the job takes checkpoints.
    pub(crate) checkpoints: Option<CheckpointHandle>,
    /// Present when the job starts from a checkpoint or savepoint.
    pub(crate) restore: Option<Arc<Restore>>,
}

impl TaskSetup {
    pub(crate) fn name(&self) -> String {
        let plan = &self.shared.plan.tasks[self.task];
        format!("{}#{}", plan.chain.join("→"), self.subtask)
    }
}

/// How a task ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Its input finished and everything was closed.
    Finished,
    /// It was told to stop (stop-with-savepoint) and left without closing.
    Stopped,
}

/// The per-subtask context the loops below need.
struct Ctx<'a> {
    shared: &'a JobShared,
    index: TaskIndex,
    control: Receiver<TaskCommand>,
    checkpoints: Option<CheckpointHandle>,
}

impl Ctx<'_> {
    /// Snapshots the chain (plus `head`, a source's capture), forwards the
    /// barrier and hands the captures over to be stored.
    fn checkpoint(
        &self,
        chain: &mut Chain,
        barrier: Barrier,
        head: Option<(String, u32, NodeCapture)>,
    ) -> Result<()> {
        let Some(handle) = &self.checkpoints else {
            // Without checkpointing nobody sends barriers; pass it on.
            return chain.broadcast(Element::Barrier(barrier));
        };
        tracing::debug!(
            checkpoint = barrier.id,
            task = self.index,
            "barrier aligned: snapshotting"
        );
        let mut captured: Vec<Captured> = head
            .into_iter()
            .map(|(node, subtask, capture)| Captured {
                node,
                subtask,
                capture,
                scratch: None,
            })
            .collect();
        match chain.snapshot(barrier, handle) {
            Ok(nodes) => captured.extend(nodes),
            Err(e) => {
                // A failed snapshot fails the checkpoint, not the job.
                tracing::warn!(checkpoint = barrier.id, error = %e, "snapshot failed");
                handle.decline(barrier.id, self.index, e.to_string());
                return chain.broadcast(Element::Barrier(barrier));
            }
        }
        chain.broadcast(Element::Barrier(barrier))?;
        handle.submit(barrier, self.index, captured);
        Ok(())
    }

    /// Handles a command that is not a source trigger. `Some` ends the task.
    fn command(&self, chain: &mut Chain, command: TaskCommand) -> Result<Option<Ending>> {
        match command {
            TaskCommand::Commit(id) => chain.commit(id).map(|()| None),
            TaskCommand::Stop => Ok(Some(Ending::Stopped)),
            TaskCommand::Trigger(b) => {
                // Only sources are triggered; a stale trigger is declined.
                if let Some(h) = &self.checkpoints {
                    h.decline(b.id, self.index, "not a source".to_owned());
                }
                Ok(None)
            }
        }
    }
}

/// Runs one subtask to the end of its input, a stop command, or its first
/// error.
pub(crate) fn run(setup: TaskSetup) -> Result<(Ending, Vec<(String, NodeReport)>)> {
    let name = setup.name();
    let TaskSetup {
        shared,
        task,
        subtask,
        index,
        inbox,
        outputs,
        control,
        checkpoints,
        restore,
    } = setup;
    let plan = &shared.plan.tasks[task];
    let spec = &shared.spec.spec;
    let head = plan.chain[0].as_str();
    let source = match spec.node(head) {
        Some(NodeRef::Source(s)) => Some(s),
        _ => None,
    };
    let chained = if source.is_some() {
        &plan.chain[1..]
    } else {
        &plan.chain[..]
    };
    let durable = checkpoints.is_some();
    let mut nodes = Vec::with_capacity(chained.len());
    for id in chained {
        let node = build_node(
            &shared,
            id,
            subtask,
            plan.parallelism,
            durable,
            restore.as_deref(),
        )?;
        nodes.push((id.clone(), node, shared.counters.node(id)));
    }
    let mut chain = Chain {
        nodes,
        outputs,
        head_counters: source.map(|s| shared.counters.node(&s.id)),
        subtask,
    };
    let ctx = Ctx {
        shared: &shared,
        index,
        control,
        checkpoints,
    };
    let result = match (source, inbox) {
        (Some(src), _) => {
            let opened = open_source(&shared, src, subtask, plan.parallelism, restore.as_deref())?;
            run_source(&ctx, src, opened, subtask, &mut chain)
        }
        (None, Some(reader)) => {
            let channels = shared.plan.inbox_channels(task);
            run_inputs(&ctx, &name, reader, channels, &mut chain)
        }
        (None, None) => unreachable!("a task without a source head has inputs"),
    };
    if let Some(h) = &ctx.checkpoints {
        h.finished(index);
    }
    let ending = result?;
    Ok((ending, chain.reports()))
}

/// Instantiates and opens subtask 0 of operator `id`, then drops it: checks
/// the operator's config and `open` before the job runs.
pub(crate) fn check_operator(shared: &JobShared, id: &str, parallelism: u32) -> Result<()> {
    build_node(shared, id, 0, parallelism, false, None).map(drop)
}

fn build_node(
    shared: &JobShared,
    id: &str,
    subtask: u32,
    parallelism: u32,
    durable: bool,
    restore: Option<&Restore>,
) -> Result<Box<dyn ChainNode>> {
    let spec = &shared.spec.spec;
    match spec.node(id) {
        Some(NodeRef::Operator(op)) => {
            let module = &shared.modules[id];
            let keyed = op.key_by.is_some();
            let range = if keyed {
                key_group_range(spec.max_parallelism, parallelism, subtask)
            } else {
                0..0
            };
            let (backend, timers) =
                crate::backend::open(shared, id, subtask, range.clone(), restore)?;
            let setup = InstanceSetup {
                task: TaskInfo {
                    job: spec.name.clone(),
                    operator: id.to_owned(),
                    subtask,
                    parallelism,
                    max_parallelism: spec.max_parallelism,
                },
                keyed,
                backend,
                timers,
                limits: SandboxLimits {
                    memory_bytes: op.limits.memory_mb << 20,
                    call_timeout: Duration::from_millis(op.limits.call_timeout_ms),
                    max_output_bytes: op.limits.max_output_bytes,
                    ..SandboxLimits::default()
                },
                side_outputs: spec
                    .edges
                    .iter()
                    .filter(|e| e.from == id)
                    .filter_map(|e| e.output.clone())
                    .collect(),
            };
            let config = op
                .config
                .as_ref()
                .map_or_else(|| "{}".to_owned(), |c| c.to_string());
            let key_groups = keyed.then_some((range.start, range.end));
            Ok(match module.world() {
                WorldKind::Operator => {
                    let mut inst = OperatorInstance::new(module, setup)?;
                    inst.open(&config)?;
                    Box::new(OperatorNode {
                        instance: inst,
                        key_groups,
                    })
                }
                WorldKind::Udf => {
                    let mut inst = UdfInstance::new(module, setup)?;
                    inst.open(&config)?;
                    Box::new(UdfNode(inst))
                }
            })
        }
        Some(NodeRef::Sink(sink)) => {
            let err = |error| RuntimeError::Connector {
                node: id.to_owned(),
                subtask,
                error,
            };
            let s = if durable {
                let restored = match restore {
                    Some(r) => r.sink_state(id, subtask)?,
                    None => None,
                };
                weir_connectors::open_checkpointed_sink(
                    &shared.spec.spec.name,
                    sink,
                    &shared.spec.dir,
                    subtask,
                    parallelism,
                    restored.as_ref(),
                )
                .map_err(err)?
            } else {
                weir_connectors::open_sink(
                    &shared.spec.spec.name,
                    sink,
                    &shared.spec.dir,
                    subtask,
                    parallelism,
                )
                .map_err(err)?
            };
            Ok(Box::new(SinkNode {
                id: id.to_owned(),
                subtask,
                sink: s,
                durable,
                final_state: None,
            }))
        }
        _ => unreachable!("sources only head a chain"),
    }
}

fn open_source(
    shared: &JobShared,
    spec: &weir_spec::SourceSpec,
    subtask: u32,
    parallelism: u32,
    restore: Option<&Restore>,
) -> Result<Box<dyn Source>> {
    let err = |error| RuntimeError::Connector {
        node: spec.id.clone(),
        subtask,
        error,
    };
    let mut source = weir_connectors::open_source(
        &shared.spec.spec.name,
        spec,
        &shared.spec.dir,
        subtask,
        parallelism,
    )
    .map_err(err)?;
    if let Some(position) = restore
        .map(|r| r.source_position(&spec.id, subtask))
        .transpose()?
        .flatten()
    {
        tracing::info!(source = %spec.id, subtask, %position, "resuming");
        source.seek(&position).map_err(err)?;
    }
    Ok(source)
}

fn run_source(
    ctx: &Ctx<'_>,
    spec: &weir_spec::SourceSpec,
    mut source: Box<dyn Source>,
    subtask: u32,
    chain: &mut Chain,
) -> Result<Ending> {
    let shared = ctx.shared;
    let err = |error| RuntimeError::Connector {
        node: spec.id.clone(),
        subtask,
        error,
    };
    let mut watermarks = WatermarkGenerator::new(&spec.watermark);
    let own_watermarks = source.tracks_watermarks();
    let batch_size = shared.spec.spec.batch_size;
    let counters = shared.counters.node(&spec.id);
    // Positions taken at barriers, until their checkpoint completes.
    let mut snapshotted: BTreeMap<u64, SourcePosition> = BTreeMap::new();
    let mut last_barrier = None;
    loop {
        if shared.cancel.load(Ordering::Relaxed) {
            return Err(RuntimeError::Cancelled);
        }
        while let Ok(command) = ctx.control.try_recv() {
            if let TaskCommand::Trigger(barrier) = command {
                let position = source.position();
                let value = serde_json::to_value(&position).expect("source positions serialize");
                if !barrier.savepoint {
                    snapshotted.insert(barrier.id, position);
                }
                last_barrier = Some(barrier.id);
                let head = NodeCapture {
                    source_position: Some(value),
                    ..NodeCapture::default()
                };
                ctx.checkpoint(chain, barrier, Some((spec.id.clone(), subtask, head)))?;
                continue;
            }
            if let TaskCommand::Commit(id) = command {
                let done = snapshotted.split_off(&(id + 1));
                let completed = std::mem::replace(&mut snapshotted, done);
                if let Some(position) = completed.get(&id)
                    && let Err(e) = source.checkpoint_complete(position)
                {
                    tracing::warn!(source = %spec.id, subtask, checkpoint = id, error = %e, "cannot tell the source its checkpoint completed");
                }
            }
            if let Some(ending) = ctx.command(chain, command)? {
                return Ok(ending);
            }
        }
        // Packed batches when both ends can: the source packs as it reads,
        // and the chain starts with a packed udf or a sink that takes them.
        let (polled, batch) = if source.packs() && chain.head_takes_packed() {
            let mut batch = PackedBatch::with_capacity(batch_size * PACKED_RECORD_GUESS);
            let polled = source.poll_packed(batch_size, &mut batch).map_err(err)?;
            (polled, Polled::Packed(batch))
        } else {
            let mut batch = Vec::with_capacity(batch_size);
            let polled = source.poll(batch_size, &mut batch).map_err(err)?;
            (polled, Polled::Records(batch))
        };
        match polled {
            SourcePoll::Records => {
                let len = batch.len();
                counters.add_in(len);
                counters.add_out(len);
                let wm = match &batch {
                    _ if own_watermarks => None,
                    Polled::Records(records) => watermarks.on_batch(records),
                    Polled::Packed(packed) => watermarks.on_summary(len, packed.max_timestamp()),
                };
                match batch {
                    Polled::Records(records) => chain.push_records(0, records)?,
                    Polled::Packed(packed) => chain.push_packed(0, packed)?,
                }
                if let Some(wm) = wm {
                    chain.push_watermark(wm)?;
                }
            }
            SourcePoll::Idle => {
                if !own_watermarks && let Some(e @ Element::Idle) = watermarks.on_idle(now_ms()) {
                    chain.broadcast(e)?;
                }
            }
            SourcePoll::Finished => {
                // Everything read goes into the job's final checkpoint;
                // tell the source now, while it is still here.
                if let Err(e) = source.checkpoint_complete(&source.position()) {
                    tracing::warn!(source = %spec.id, subtask, error = %e, "cannot tell the source it finished");
                }
                // Nothing behind it keeps state: checkpoints may go on
                // without this task, holding its last position.
                if let Some(handle) = &ctx.checkpoints
                    && chain.stateless()
                {
                    let position = serde_json::to_value(source.position())
                        .expect("source positions serialize");
                    handle.source_finished(ctx.index, &spec.id, subtask, position, last_barrier);
                }
                break;
            }
        }
        if own_watermarks {
            match source.watermark(now_ms()) {
                Some(Element::Watermark(wm)) => chain.push_watermark(wm)?,
                Some(e @ Element::Idle) => chain.broadcast(e)?,
                _ => {}
            }
        }
        if polled == SourcePoll::Idle {
            std::thread::sleep(Duration::from_millis(5));
        }
        fire_processing_timers(chain)?;
    }
    if source.skipped() > 0 {
        counters.add_skipped(source.skipped());
        tracing::warn!(source = %spec.id, subtask, skipped = source.skipped(), "records skipped: they could not be decoded");
    }
    chain.finish()?;
    Ok(Ending::Finished)
}

/// Bytes reserved per record of a packed batch a source fills (it grows as
/// needed).
const PACKED_RECORD_GUESS: usize = 32;

/// A batch a source returned, as it returned it.
enum Polled {
    Records(Vec<Record>),
    Packed(PackedBatch),
}

impl Polled {
    fn len(&self) -> usize {
        match self {
            Polled::Records(r) => r.len(),
            Polled::Packed(p) => p.len(),
        }
    }
}

fn run_inputs(
    ctx: &Ctx<'_>,
    name: &str,
    mut reader: InboxReader,
    channels: u32,
    chain: &mut Chain,
) -> Result<Ending> {
    let mut gate = InputGate::new(channels);
    let mut aligner = Aligner::new(channels);
    // Commands come from the checkpointer; a job without checkpoints has
    // none, and its control channel is disconnected from the start. A wait on
    // a disconnected channel returns at once, so the task would spin while
    // it waits for input: once disconnected, the control is never waited on.
    let mut control = ctx.control.clone();
    // A producer disconnected before its end. One that stopped on a command
    // (stop with savepoint) exits before this task may have seen the same
    // command: take queued commands first.
    let upstream_gone = |chain: &mut Chain, control: &Receiver<TaskCommand>| {
        while let Ok(command) = control.try_recv() {
            if let Some(ending) = ctx.command(chain, command)? {
                return Ok(ending);
            }
        }
        Err(RuntimeError::UpstreamGone {
            task: name.to_owned(),
        })
    };
    loop {
        let (ch, element) = match aligner.next_replay() {
            Some(held) => held,
            None => {
                // While elements are queued, take them without a timed wait
                // (which reads the clock every time): commands first, as the
                // wait would see them.
                if let Ok(command) = control.try_recv() {
                    if let Some(ending) = ctx.command(chain, command)? {
                        return Ok(ending);
                    }
                    continue;
                }
                let next = match reader.try_next() {
                    Ok(next) => next,
                    Err(_) => return upstream_gone(chain, &control),
                };
                if let Some(tagged) = next {
                    tagged
                } else {
                    let wait = chain.next_processing_timer().map_or(POLL, |t| {
                        Duration::from_millis(t.saturating_sub(now_ms()).clamp(0, 50) as u64)
                    });
                    let received = match reader.wait(&control, wait) {
                        Ok(received) => received,
                        Err(_) => return upstream_gone(chain, &control),
                    };
                    match received {
                        Received::Element(tagged) => tagged,
                        Received::Other(Ok(command)) => {
                            if let Some(ending) = ctx.command(chain, command)? {
                                return Ok(ending);
                            }
                            continue;
                        }
                        Received::Other(Err(_)) => {
                            control = crossbeam_channel::never();
                            continue;
                        }
                        Received::Timeout => {
                            if ctx.shared.cancel.load(Ordering::Relaxed) {
                                return Err(RuntimeError::Cancelled);
                            }
                            fire_processing_timers(chain)?;
                            continue;
                        }
                    }
                }
            }
        };
        match aligner.on_element(ch, element) {
            Step::Held => {}
            Step::Aligned(barrier) => {
                ctx.checkpoint(chain, barrier, None)?;
                aligner.release();
            }
            Step::Deliver(Element::Records(batch)) => {
                gate.on_records(ch);
                chain.push_records(0, batch)?;
            }
            Step::Deliver(Element::Watermark(wm)) => on_gate(chain, gate.on_watermark(ch, wm))?,
            Step::Deliver(Element::Idle) => on_gate(chain, gate.on_idle(ch))?,
            Step::Deliver(Element::End) => {
                on_gate(chain, gate.on_end(ch))?;
                if let Step::Aligned(barrier) = aligner.check() {
                    ctx.checkpoint(chain, barrier, None)?;
                    aligner.release();
                }
                if gate.all_ended() && !aligner.is_aligning() {
                    break;
                }
            }
            Step::Deliver(Element::Barrier(_)) => unreachable!("the aligner handles barriers"),
        }
        fire_processing_timers(chain)?;
    }
    chain.finish()?;
    Ok(Ending::Finished)
}

/// Fires the chain's due processing-time timers. The clock is read only
/// when a timer is pending: this runs after every element.
fn fire_processing_timers(chain: &mut Chain) -> Result<()> {
    if let Some(next) = chain.next_processing_timer() {
        let now = now_ms();
        if next <= now {
            chain.push_processing_time(now)?;
        }
    }
    Ok(())
}

fn on_gate(chain: &mut Chain, event: GateEvent) -> Result<()> {
    match event {
        GateEvent::None => Ok(()),
        GateEvent::Watermark(wm) => chain.push_watermark(wm),
        GateEvent::Idle => chain.broadcast(Element::Idle),
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
