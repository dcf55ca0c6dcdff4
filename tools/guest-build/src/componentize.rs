//! Turning a core module into a component, checking its world on the way.

use std::collections::BTreeSet;

use wit_component::{ComponentEncoder, DecodedWasm};
use wit_parser::{Resolve, WorldId};

use crate::BuildError;

/// Encodes `module` (a core module with a `component-type` section, as
/// wit-bindgen embeds it) as a validated component whose exports are exactly
/// those of world `declared`.
///
/// `declared` is a world name (`udf`) or a qualified one
/// (`weir:operator/udf@0.1.0`), looked up among the worlds the module was
/// bound against.
pub fn componentize(package: &str, declared: &str, module: &[u8]) -> Result<Vec<u8>, BuildError> {
    let mismatch = |detail: String| BuildError::WorldMismatch {
        package: package.to_string(),
        declared: declared.to_string(),
        detail,
    };
    let componentize_error = |error| failed(package, error);

    let (_, bindgen) = wit_component::metadata::decode(module).map_err(componentize_error)?;
    let resolve = &bindgen.resolve;
    let bound: Vec<WorldId> = resolve
        .worlds
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != bindgen.world)
        .collect();
    if bound.is_empty() {
        return Err(mismatch(
            "the module embeds no WIT world (was it built with wit-bindgen?)".into(),
        ));
    }
    let Some(world) = bound
        .iter()
        .copied()
        .find(|id| world_matches(resolve, *id, declared))
    else {
        return Err(mismatch(format!(
            "the module was bound against {}",
            names(bound.iter().map(|id| qualified_name(resolve, *id)))
        )));
    };
    let expected = export_names(resolve, world);
    let embedded = export_names(resolve, bindgen.world);
    if embedded != expected {
        return Err(mismatch(format!(
            "the module's bindings export {} while `{}` exports {}; it was bound against {} \
             (a guest links the bindings of exactly one world)",
            names(embedded),
            qualified_name(resolve, world),
            names(expected),
            names(bound.iter().map(|id| qualified_name(resolve, *id)))
        )));
    }

    let component = ComponentEncoder::default()
        .validate(true)
        .module(module)
        .and_then(|encoder| encoder.encode())
        .map_err(componentize_error)?;

    let actual = component_exports(&component).map_err(|message| BuildError::Componentize {
        package: package.to_string(),
        message,
    })?;
    if actual != expected {
        return Err(mismatch(format!(
            "the component exports {} while the world exports {}",
            names(actual),
            names(expected)
        )));
    }
    Ok(component)
}

/// The export names of a component's world (`open`, `transform`, or
/// `ns:pkg/iface@v` for exported interfaces).
pub fn component_exports(component: &[u8]) -> Result<BTreeSet<String>, String> {
    match wit_component::decode(component) {
        Ok(DecodedWasm::Component(resolve, world)) => Ok(export_names(&resolve, world)),
        Ok(DecodedWasm::WitPackage(..)) => Err("expected a component, found a WIT package".into()),
        Err(error) => Err(format!("{error:#}")),
    }
}

/// A wit-component error (an `anyhow` chain) as a [`BuildError::Componentize`].
fn failed(package: &str, error: impl std::fmt::Display) -> BuildError {
    BuildError::Componentize {
        package: package.to_string(),
        message: format!("{error:#}"),
    }
}

fn export_names(resolve: &Resolve, world: WorldId) -> BTreeSet<String> {
    resolve.worlds[world]
        .exports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect()
}

fn world_matches(resolve: &Resolve, world: WorldId, declared: &str) -> bool {
    if declared.contains(':') {
        qualified_name(resolve, world) == declared
    } else {
        resolve.worlds[world].name == declared
    }
}

/// `ns:pkg/world@version`, or the bare name of a world outside any package.
fn qualified_name(resolve: &Resolve, world: WorldId) -> String {
    let world = &resolve.worlds[world];
    match world.package {
        Some(package) => resolve.id_of_name(package, &world.name),
        None => world.name.clone(),
    }
}

fn names(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<_> = items.into_iter().map(|item| format!("`{item}`")).collect();
    if items.is_empty() {
        "nothing".into()
    } else {
        format!("{{{}}}", items.join(", "))
    }
}
