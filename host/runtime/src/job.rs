//! Running a whole job in this process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir_spec::LoadedSpec;
use weir_types::Millis;
use weir_wasm::{OperatorMetrics, WasmEngine};

use crate::channel::{ElementSender, Inbox};
use crate::error::{Result, RuntimeError};
use crate::metrics::{JobCounters, NodeCounters};
use crate::partition::OutputEdge;
use crate::plan::ExecutionPlan;
use crate::progress::Progress;
use crate::task::{self, JobShared, TaskSetup};

/// How to run a job.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Folders searched for a `module:` that is not found relative to the
    /// spec file.
    pub module_path: Vec<PathBuf>,
    /// Print records in/out per second and the watermark to stderr while
    /// running.
    pub progress: bool,
}

/// What a finished job did.
#[derive(Clone, Debug)]
pub struct JobSummary {
    /// The job's name.
    pub job: String,
    /// Wall-clock run time (after modules were loaded).
    pub duration: Duration,
    /// Per node, in topological order.
    pub nodes: Vec<NodeSummary>,
}

/// One node's totals.
#[derive(Clone, Debug)]
pub struct NodeSummary {
    /// Node id.
    pub id: String,
    /// Records in (for sources: records read).
    pub records_in: u64,
    /// Records out.
    pub records_out: u64,
    /// Highest watermark reached.
    pub watermark: Millis,
    /// Guest metrics, merged over subtasks.
    pub metrics: OperatorMetrics,
    /// Records sent to side outputs the job does not connect.
    pub dropped_side_records: u64,
    /// Bytes of keyed state held at the end, over all subtasks.
    pub state_bytes: u64,
    /// Records a source skipped because they could not be decoded.
    pub records_skipped: u64,
}

/// A job that is loaded and checked, ready to run.
pub struct Job {
    shared: Arc<JobShared>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.shared.spec.spec.name)
            .finish()
    }
}

impl Job {
    /// Plans the job and loads every module, so a missing or broken module
    /// fails here, before anything runs.
    pub fn prepare(engine: &WasmEngine, spec: LoadedSpec, options: &RunOptions) -> Result<Job> {
        let plan = ExecutionPlan::new(&spec.spec);
        let mut modules = HashMap::new();
        for op in &spec.spec.operators {
            let path = resolve_module(&spec, &op.id, &op.module, &options.module_path)?;
            let module = engine
                .load_file(&path)
                .map_err(|error| RuntimeError::Module {
                    operator: op.id.clone(),
                    error,
                })?;
            tracing::info!(operator = %op.id, module = %path.display(), world = %module.world(), hash = %&module.hash_hex()[..12], "module loaded");
            modules.insert(op.id.clone(), module);
        }
        let counters = JobCounters {
            nodes: spec
                .spec
                .topological_order()
                .into_iter()
                .map(|id| (id.to_owned(), Arc::new(NodeCounters::default())))
                .collect(),
        };
        let shared = Arc::new(JobShared {
            spec,
            plan,
            modules,
            counters,
            cancel: Arc::new(AtomicBool::new(false)),
        });
        // Open one instance of every operator with its config, so a config
        // the guest rejects (or an `open` that traps) fails here, before any
        // source reads or any sink truncates its output.
        for op in &shared.spec.spec.operators {
            task::check_operator(&shared, &op.id, op.parallelism)?;
        }
        Ok(Job { shared })
    }

    /// Live counters, for progress displays.
    pub fn counters(&self) -> &JobCounters {
        &self.shared.counters
    }

    /// A flag that cancels the job when set.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.shared.cancel)
    }

    /// Runs the job to the end of its bounded sources, or to its first
    /// failure (every task stops, the first cause is returned).
    pub fn run(self, progress: bool) -> Result<JobSummary> {
        let shared = self.shared;
        let plan = &shared.plan;
        let max_par = shared.spec.spec.max_parallelism;
        let start = Instant::now();
        // One inbox per subtask of every task with inputs.
        let mut inboxes: Vec<Vec<Inbox>> = plan
            .tasks
            .iter()
            .map(|t| {
                if t.inputs.is_empty() {
                    Vec::new()
                } else {
                    (0..t.parallelism).map(|_| Inbox::new()).collect()
                }
            })
            .collect();
        let mut setups = Vec::new();
        for (ti, t) in plan.tasks.iter().enumerate() {
            for s in 0..t.parallelism {
                let outputs = t
                    .outputs
                    .iter()
                    .map(|o| {
                        let input = &plan.tasks[o.to_task].inputs[o.input_index];
                        let senders: Vec<Box<dyn ElementSender>> = inboxes[o.to_task]
                            .iter()
                            .map(|inbox| {
                                Box::new(inbox.sender(input.first_channel + s))
                                    as Box<dyn ElementSender>
                            })
                            .collect();
                        let name = format!(
                            "{} → {}",
                            t.chain.last().expect("chains are not empty"),
                            plan.tasks[o.to_task].chain[0]
                        );
                        OutputEdge::new(
                            name,
                            o.side_output.clone(),
                            o.partitioning,
                            o.key_by.clone(),
                            max_par,
                            s,
                            senders,
                        )
                    })
                    .collect();
                setups.push((ti, s, outputs));
            }
        }
        let mut receivers: Vec<Vec<Option<_>>> = inboxes
            .iter_mut()
            .map(|v| v.drain(..).map(|i| Some(i.into_receiver())).collect())
            .collect();
        let first_error: Arc<Mutex<Option<RuntimeError>>> = Arc::new(Mutex::new(None));
        let reports = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for (ti, s, outputs) in setups {
            let inbox = receivers[ti].get_mut(s as usize).and_then(Option::take);
            let setup = TaskSetup {
                shared: Arc::clone(&shared),
                task: ti,
                subtask: s,
                inbox,
                outputs,
            };
            let name = setup.name();
            let first_error = Arc::clone(&first_error);
            let reports = Arc::clone(&reports);
            let cancel = Arc::clone(&shared.cancel);
            let handle = std::thread::Builder::new()
                .name(format!("weir-{name}"))
                .spawn(move || {
                    let task_name = setup.name();
                    match task::run(setup) {
                        Ok(r) => reports.lock().expect("reports").push(r),
                        Err(e) => {
                            if !e.is_secondary() {
                                tracing::error!(task = %task_name, error = %e, "task failed");
                            }
                            cancel.store(true, Ordering::Relaxed);
                            record_error(&first_error, e);
                        }
                    }
                })
                .map_err(|error| RuntimeError::Spawn {
                    task: name.clone(),
                    error,
                })?;
            handles.push((name, handle));
        }
        let progress = progress.then(|| Progress::start(shared.counters.clone()));
        for (name, handle) in handles {
            if let Err(panic) = handle.join() {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                shared.cancel.store(true, Ordering::Relaxed);
                record_error(
                    &first_error,
                    RuntimeError::Panicked {
                        task: name,
                        message,
                    },
                );
            }
        }
        if let Some(p) = progress {
            p.stop();
        }
        if let Some(e) = first_error.lock().expect("error slot").take() {
            return Err(e);
        }
        let duration = start.elapsed();
        let mut merged: HashMap<String, (OperatorMetrics, u64, u64)> = HashMap::new();
        for task_reports in reports.lock().expect("reports").iter() {
            for (id, r) in task_reports {
                let m = merged.entry(id.clone()).or_default();
                m.0.merge(&r.metrics);
                m.1 += r.dropped_side_records;
                m.2 += r.state_bytes;
            }
        }
        let nodes = shared
            .counters
            .nodes
            .iter()
            .map(|(id, c)| {
                let (metrics, dropped, state_bytes) = merged.remove(id).unwrap_or_default();
                NodeSummary {
                    id: id.clone(),
                    records_in: c.records_in.load(Ordering::Relaxed),
                    records_out: c.records_out.load(Ordering::Relaxed),
                    watermark: c.watermark.load(Ordering::Relaxed),
                    metrics,
                    dropped_side_records: dropped,
                    state_bytes,
                    records_skipped: c.records_skipped.load(Ordering::Relaxed),
                }
            })
            .collect();
        Ok(JobSummary {
            job: shared.spec.spec.name.clone(),
            duration,
            nodes,
        })
    }
}

fn record_error(slot: &Mutex<Option<RuntimeError>>, e: RuntimeError) {
    let mut slot = slot.lock().expect("error slot");
    match &*slot {
        None => *slot = Some(e),
        Some(prev) if prev.is_secondary() && !e.is_secondary() => *slot = Some(e),
        Some(_) => {}
    }
}

/// Finds an operator's module: relative to the spec's folder first, then
/// by file name on the module path.
pub fn resolve_module(
    spec: &LoadedSpec,
    operator: &str,
    module: &str,
    module_path: &[PathBuf],
) -> Result<PathBuf> {
    let direct = spec.dir.join(module);
    if direct.is_file() {
        return Ok(direct);
    }
    let mut searched = vec![direct];
    let name = Path::new(module).file_name().map(PathBuf::from);
    if let Some(name) = name {
        for dir in module_path {
            let candidate = dir.join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
            searched.push(candidate);
        }
    }
    Err(RuntimeError::ModuleNotFound {
        operator: operator.to_owned(),
        module: module.to_owned(),
        searched: searched
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Loads, checks and runs a job in one call.
pub fn run_job(engine: &WasmEngine, spec: LoadedSpec, options: &RunOptions) -> Result<JobSummary> {
    Job::prepare(engine, spec, options)?.run(options.progress)
}
