use wasmtime::component::{Component, HasSelf, Linker};

use crate::engine::WasmEngine;
use crate::host::HostState;
use crate::{Result, WasmError};

/// Which Weir world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorldKind {
    /// Keyed process function: state, timers, side outputs.
    Operator,
    /// Records in, records out.
    Udf,
}

impl std::fmt::Display for WorldKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WorldKind::Operator => "operator",
            WorldKind::Udf => "udf",
        })
    }
}

pub(crate) enum Pre {
    Operator(weir_world::operator::OperatorPre<HostState>),
    Udf(weir_world::udf::UdfPre<HostState>),
    /// The `udf` world of `weir:operator@0.2.0`: packed batches.
    PackedUdf(weir_world::packed_udf::UdfPre<HostState>),
    /// The `operator` world of `weir:operator@0.2.0`: packed batches.
    PackedOperator(weir_world::packed_operator::OperatorPre<HostState>),
}

/// A compiled component, checked against its world and ready to instantiate.
pub struct Module {
    name: String,
    hash: [u8; 32],
    world: WorldKind,
    pub(crate) engine: WasmEngine,
    pub(crate) pre: Pre,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("world", &self.world)
            .field("hash", &self.hash_hex())
            .finish()
    }
}

/// The version field of a component binary (layer 1, version 0x0d).
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];
const CORE_VERSION: [u8; 4] = [0x01, 0x00, 0x00, 0x00];

impl Module {
    pub(crate) fn compile(
        engine: &WasmEngine,
        name: &str,
        bytes: &[u8],
        hash: [u8; 32],
    ) -> Result<Module> {
        check_header(name, bytes)?;
        let component = Component::new(engine.engine(), bytes).map_err(|e| WasmError::Compile {
            module: name.to_owned(),
            message: format!("{e:#}"),
        })?;
        let world = detect_world(engine, name, &component)?;
        let export = match world {
            WorldKind::Operator => "process",
            WorldKind::Udf => "transform",
        };
        let packed = takes_packed_batch(engine, &component, export);
        let mismatch = |e: wasmtime::Error| WasmError::WorldMismatch {
            module: name.to_owned(),
            detail: format!("it exports `{export}` like world {world}, but {e:#}"),
        };
        let mut linker = Linker::<HostState>::new(engine.engine());
        let pre = match world {
            WorldKind::Operator if packed => {
                weir_world::packed_operator::Operator::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                )
                .map_err(mismatch)?;
                let pre = linker.instantiate_pre(&component).map_err(mismatch)?;
                Pre::PackedOperator(
                    weir_world::packed_operator::OperatorPre::new(pre).map_err(mismatch)?,
                )
            }
            WorldKind::Operator => {
                weir_world::operator::Operator::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
                    .map_err(mismatch)?;
                let pre = linker.instantiate_pre(&component).map_err(mismatch)?;
                Pre::Operator(weir_world::operator::OperatorPre::new(pre).map_err(mismatch)?)
            }
            WorldKind::Udf if packed => {
                weir_world::packed_udf::Udf::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
                    .map_err(mismatch)?;
                let pre = linker.instantiate_pre(&component).map_err(mismatch)?;
                Pre::PackedUdf(weir_world::packed_udf::UdfPre::new(pre).map_err(mismatch)?)
            }
            WorldKind::Udf => {
                weir_world::udf::Udf::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
                    .map_err(mismatch)?;
                let pre = linker.instantiate_pre(&component).map_err(mismatch)?;
                Pre::Udf(weir_world::udf::UdfPre::new(pre).map_err(mismatch)?)
            }
        };
        tracing::debug!(module = name, %world, packed, "compiled component");
        Ok(Module {
            name: name.to_owned(),
            hash,
            world,
            engine: engine.clone(),
            pre,
        })
    }

    /// Where the module came from (a path or a name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The world it implements.
    pub fn world(&self) -> WorldKind {
        self.world
    }

    /// The WIT package the module's world comes from: `weir:operator@0.2.0`
    /// when it takes packed batches, else `weir:operator@0.1.0`.
    pub fn wit_package(&self) -> &'static str {
        match self.pre {
            Pre::PackedUdf(_) | Pre::PackedOperator(_) => weir_world::PACKED_WIT_PACKAGE,
            Pre::Operator(_) | Pre::Udf(_) => weir_world::WIT_PACKAGE,
        }
    }

    /// SHA-256 of the component bytes, in hex: the module's identity in
    /// checkpoints and logs.
    pub fn hash_hex(&self) -> String {
        self.hash.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn check_header(name: &str, bytes: &[u8]) -> Result<()> {
    let not = |reason: &str| WasmError::NotAComponent {
        module: name.to_owned(),
        reason: reason.to_owned(),
    };
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(not("it does not start with the Wasm magic bytes"));
    }
    let version: [u8; 4] = bytes[4..8].try_into().expect("length checked");
    if version == CORE_VERSION {
        return Err(not(
            "it is a core Wasm module; build it into a component with `weir build`",
        ));
    }
    if version != COMPONENT_VERSION {
        return Err(not(&format!("unsupported binary version {version:02x?}")));
    }
    Ok(())
}

fn detect_world(engine: &WasmEngine, name: &str, component: &Component) -> Result<WorldKind> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine.engine())
        .map(|(n, _)| n.to_owned())
        .collect();
    let has = |n: &str| exports.iter().any(|e| e == n);
    if has("process") {
        Ok(WorldKind::Operator)
    } else if has("transform") {
        Ok(WorldKind::Udf)
    } else {
        Err(WasmError::WorldMismatch {
            module: name.to_owned(),
            detail: format!(
                "it exports neither `process` (world operator) nor `transform` (world udf); its exports are [{}]",
                exports.join(", ")
            ),
        })
    }
}

/// Whether the component's `export` (`process` or `transform`) takes a
/// packed batch (a `list<u8>`, `weir:operator@0.2.0`) rather than a
/// `list<record>` (0.1.0). Anything else is left to the 0.1.0 bindings to
/// refuse with their own message.
fn takes_packed_batch(engine: &WasmEngine, component: &Component, export: &str) -> bool {
    use wasmtime::component::types::{ComponentItem, Type};
    let ty = component.component_type();
    let Some(ComponentItem::ComponentFunc(f)) = ty
        .get_export(engine.engine(), export)
        .map(|export| export.ty)
    else {
        return false;
    };
    let mut params = f.params();
    match (params.next(), params.next()) {
        (Some((_, Type::List(list))), None) => matches!(list.ty(), Type::U8),
        _ => false,
    }
}
