//! The loop one subtask runs on its own thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use weir_connectors::{SourcePoll, WatermarkGenerator};
use weir_spec::{LoadedSpec, NodeRef};
use weir_state::{HeapBackend, HeapOptions, TimerOptions, TimerService};
use weir_types::{Element, key_group_range};
use weir_wasm::{
    InstanceSetup, Module, OperatorInstance, SandboxLimits, TaskInfo, UdfInstance, WorldKind,
};

use crate::chain::Chain;
use crate::channel::Tagged;
use crate::error::{Result, RuntimeError};
use crate::gate::{GateEvent, InputGate};
use crate::metrics::JobCounters;
use crate::node::{ChainNode, NodeReport, OperatorNode, SinkNode, UdfNode};
use crate::partition::OutputEdge;
use crate::plan::ExecutionPlan;

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
    pub(crate) inbox: Option<Receiver<Tagged>>,
    pub(crate) outputs: Vec<OutputEdge>,
}

impl TaskSetup {
    pub(crate) fn name(&self) -> String {
        let plan = &self.shared.plan.tasks[self.task];
        format!("{}#{}", plan.chain.join("→"), self.subtask)
    }
}

/// Runs one subtask to the end of its input (or its first error).
pub(crate) fn run(setup: TaskSetup) -> Result<Vec<(String, NodeReport)>> {
    let name = setup.name();
    let TaskSetup {
        shared,
        task,
        subtask,
        inbox,
        outputs,
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
    let mut nodes = Vec::with_capacity(chained.len());
    for id in chained {
        let node = build_node(&shared, id, subtask, plan.parallelism)?;
        nodes.push((id.clone(), node, shared.counters.node(id)));
    }
    let mut chain = Chain {
        nodes,
        outputs,
        head_counters: source.map(|s| shared.counters.node(&s.id)),
    };
    let result = match (source, inbox) {
        (Some(src), _) => run_source(&shared, src, subtask, plan.parallelism, &mut chain),
        (None, Some(rx)) => {
            let channels = shared.plan.inbox_channels(task);
            run_inputs(&shared, &name, rx, channels, &mut chain)
        }
        (None, None) => unreachable!("a task without a source head has inputs"),
    };
    result?;
    Ok(chain.reports())
}

/// Instantiates and opens subtask 0 of operator `id`, then drops it: checks
/// the operator's config and `open` before the job runs.
pub(crate) fn check_operator(shared: &JobShared, id: &str, parallelism: u32) -> Result<()> {
    build_node(shared, id, 0, parallelism).map(drop)
}

fn build_node(
    shared: &JobShared,
    id: &str,
    subtask: u32,
    parallelism: u32,
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
            let setup = InstanceSetup {
                task: TaskInfo {
                    job: spec.name.clone(),
                    operator: id.to_owned(),
                    subtask,
                    parallelism,
                    max_parallelism: spec.max_parallelism,
                },
                keyed,
                backend: Box::new(HeapBackend::new(range.clone(), HeapOptions::default())),
                timers: TimerService::new(range.clone(), TimerOptions::default()),
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
            Ok(match module.world() {
                WorldKind::Operator => {
                    let mut inst = OperatorInstance::new(module, setup)?;
                    inst.open(&config)?;
                    Box::new(OperatorNode(inst))
                }
                WorldKind::Udf => {
                    let mut inst = UdfInstance::new(module, setup)?;
                    inst.open(&config)?;
                    Box::new(UdfNode(inst))
                }
            })
        }
        Some(NodeRef::Sink(sink)) => {
            let s = weir_connectors::open_sink(sink, &shared.spec.dir, subtask, parallelism)
                .map_err(|error| RuntimeError::Connector {
                    node: id.to_owned(),
                    subtask,
                    error,
                })?;
            Ok(Box::new(SinkNode {
                id: id.to_owned(),
                subtask,
                sink: s,
            }))
        }
        _ => unreachable!("sources only head a chain"),
    }
}

fn run_source(
    shared: &JobShared,
    spec: &weir_spec::SourceSpec,
    subtask: u32,
    parallelism: u32,
    chain: &mut Chain,
) -> Result<()> {
    let err = |error| RuntimeError::Connector {
        node: spec.id.clone(),
        subtask,
        error,
    };
    let mut source =
        weir_connectors::open_source(spec, &shared.spec.dir, subtask, parallelism).map_err(err)?;
    let mut watermarks = WatermarkGenerator::new(&spec.watermark);
    let batch_size = shared.spec.spec.batch_size;
    let counters = shared.counters.node(&spec.id);
    loop {
        if shared.cancel.load(Ordering::Relaxed) {
            return Err(RuntimeError::Cancelled);
        }
        let mut batch = Vec::with_capacity(batch_size);
        match source.poll(batch_size, &mut batch).map_err(err)? {
            SourcePoll::Records => {
                counters.add_in(batch.len());
                counters.add_out(batch.len());
                let wm = watermarks.on_batch(&batch);
                chain.push_records(0, batch)?;
                if let Some(wm) = wm {
                    chain.push_watermark(wm)?;
                }
            }
            SourcePoll::Idle => {
                if let Some(e @ Element::Idle) = watermarks.on_idle(now_ms()) {
                    chain.broadcast(e)?;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            SourcePoll::Finished => break,
        }
        let now = now_ms();
        if chain.next_processing_timer().is_some_and(|t| t <= now) {
            chain.push_processing_time(now)?;
        }
    }
    if source.skipped() > 0 {
        counters.add_skipped(source.skipped());
        tracing::warn!(source = %spec.id, subtask, skipped = source.skipped(), "records skipped: they could not be decoded");
    }
    chain.finish()
}

fn run_inputs(
    shared: &JobShared,
    name: &str,
    rx: Receiver<Tagged>,
    channels: u32,
    chain: &mut Chain,
) -> Result<()> {
    let mut gate = InputGate::new(channels);
    loop {
        let now = now_ms();
        let wait = chain.next_processing_timer().map_or(POLL, |t| {
            Duration::from_millis(t.saturating_sub(now).clamp(0, 50) as u64)
        });
        match rx.recv_timeout(wait) {
            Ok((ch, Element::Records(batch))) => {
                gate.on_records(ch);
                chain.push_records(0, batch)?;
            }
            Ok((ch, Element::Watermark(wm))) => on_gate(chain, gate.on_watermark(ch, wm))?,
            Ok((ch, Element::Idle)) => on_gate(chain, gate.on_idle(ch))?,
            Ok((ch, Element::End)) => {
                on_gate(chain, gate.on_end(ch))?;
                if gate.all_ended() {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.cancel.load(Ordering::Relaxed) {
                    return Err(RuntimeError::Cancelled);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(RuntimeError::UpstreamGone {
                    task: name.to_owned(),
                });
            }
        }
        let now = now_ms();
        if chain.next_processing_timer().is_some_and(|t| t <= now) {
            chain.push_processing_time(now)?;
        }
    }
    chain.finish()
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
