use wasmtime::Store;
use weir_types::packed;
use weir_types::{PackedBatch, Record};
use weir_world::operator::weir::operator::types as wit;
use weir_world::packed_udf::Udf as PackedUdf;
use weir_world::udf::Udf;

use crate::host::{Batch, HostState};
use crate::module::{Module, Pre};
use crate::sandbox::{InstanceSetup, Sandboxed};
use crate::{CallKind, Result, TrapCause, WasmError};

/// One sandboxed subtask of a component implementing a `udf` world.
pub struct UdfInstance {
    inner: Inner,
}

/// The bindings of the world the module implements.
enum Inner {
    /// `weir:operator@0.1.0`: `list<record>` in and out.
    Records(Sandboxed<Udf>),
    /// `weir:operator@0.2.0`: packed batches in and out.
    Packed(Sandboxed<PackedUdf>),
}

impl std::fmt::Debug for UdfInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (task, packed) = match &self.inner {
            Inner::Records(s) => (s.task(), false),
            Inner::Packed(s) => (s.task(), true),
        };
        f.debug_struct("UdfInstance")
            .field("task", task)
            .field("packed", &packed)
            .finish()
    }
}

impl UdfInstance {
    /// Instantiates `module` (which must implement a `udf` world) under the
    /// setup's limits.
    pub fn new(module: &Module, setup: InstanceSetup) -> Result<Self> {
        let inner = match &module.pre {
            Pre::Udf(pre) => Inner::Records(Sandboxed::new(module, setup, |store| {
                pre.instantiate(store)
            })?),
            Pre::PackedUdf(pre) => Inner::Packed(Sandboxed::new(module, setup, |store| {
                pre.instantiate(store)
            })?),
            Pre::Operator(_) | Pre::PackedOperator(_) => {
                return Err(WasmError::WorldMismatch {
                    module: module.name().to_owned(),
                    detail: format!("expected world udf, found {}", module.world()),
                });
            }
        };
        Ok(UdfInstance { inner })
    }

    /// Calls the guest's `open` with the operator's config as JSON.
    pub fn open(&mut self, config_json: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Records(s) => call(s, CallKind::Open, |b, st| b.call_open(st, config_json)),
            Inner::Packed(s) => call(s, CallKind::Open, |b, st| b.call_open(st, config_json)),
        }
    }

    /// Maps a batch through the guest. Output past the sandbox's
    /// `max_output_bytes` (keys and values) fails the call and poisons the
    /// instance, as does a malformed packed batch.
    pub fn transform(&mut self, batch: Vec<Record>) -> Result<Vec<Record>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        match &mut self.inner {
            Inner::Records(s) => transform_records(s, batch),
            Inner::Packed(_) => Ok(self
                .transform_packed(&PackedBatch::from_records(&batch))?
                .to_records()),
        }
    }

    /// Whether the guest takes and returns packed batches (WIT 0.2.0), so
    /// [`UdfInstance::transform_packed`] applies and a chain can hand one
    /// udf's output to the next as it is.
    pub fn is_packed(&self) -> bool {
        matches!(self.inner, Inner::Packed(..))
    }

    /// [`UdfInstance::transform`] of a batch already packed: returns the
    /// output packed, checked (a malformed batch or one over the output cap
    /// fails the call and poisons the instance) but not decoded.
    ///
    /// # Panics
    /// If the guest is not packed ([`UdfInstance::is_packed`]).
    pub fn transform_packed(&mut self, batch: &PackedBatch) -> Result<PackedBatch> {
        let Inner::Packed(sandbox) = &mut self.inner else {
            panic!("transform_packed on a guest of weir:operator@0.1.0");
        };
        if batch.is_empty() {
            return Ok(PackedBatch::default());
        }
        let out = call(sandbox, CallKind::Process, |b, s| {
            b.call_transform(s, batch.as_vec())
        })?;
        let out = PackedBatch::parse(out).map_err(|e| malformed(sandbox, e))?;
        check_output(sandbox, out.payload_bytes())?;
        Ok(out)
    }
}

fn call<B, T>(
    sandbox: &mut Sandboxed<B>,
    kind: CallKind,
    f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<Result<T, String>>,
) -> Result<T> {
    sandbox.store.data_mut().begin(Batch::None);
    sandbox.call(kind, f, |message| message)
}

fn transform_records(sandbox: &mut Sandboxed<Udf>, batch: Vec<Record>) -> Result<Vec<Record>> {
    let batch: Vec<wit::Record> = batch
        .into_iter()
        .map(|r| wit::Record {
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
        })
        .collect();
    let out = call(sandbox, CallKind::Process, |b, s| {
        b.call_transform(s, &batch)
    })?;
    let out: Vec<Record> = out
        .into_iter()
        .map(|r| Record {
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
        })
        .collect();
    check_output(sandbox, out.iter().map(|r| r.payload_len() as u64).sum())?;
    Ok(out)
}

/// Fails (and poisons) the instance whose `transform` returned a malformed
/// packed batch.
fn malformed(sandbox: &mut Sandboxed<PackedUdf>, e: packed::PackedError) -> WasmError {
    let cause = TrapCause::Guest(format!("transform returned a {e}"));
    sandbox.fail(CallKind::Process, cause)
}

/// Fails (and poisons) the instance if `bytes` of output are over its limit.
fn check_output<B>(sandbox: &mut Sandboxed<B>, bytes: u64) -> Result<()> {
    let limit = sandbox.limits().max_output_bytes;
    if bytes > limit {
        return Err(sandbox.fail(CallKind::Process, TrapCause::OutputLimit { limit }));
    }
    Ok(())
}
