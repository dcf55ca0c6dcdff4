//! [`GuestBuilder`]: guest crates in, component files out.

use std::path::{Path, PathBuf};

use crate::cargo_build::build_core_module;
use crate::componentize::componentize;
use crate::workspace::Packages;
use crate::{BuildError, GuestPackage, Toolchain};

/// A guest built into a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltGuest {
    /// The package name, e.g. `minimal-udf`.
    pub name: String,
    /// The world it implements, as declared in `[package.metadata.weir]`.
    pub world: String,
    /// The component file, `<out_dir>/<name_with_underscores>.wasm`.
    pub component: PathBuf,
    /// The component's size in bytes.
    pub bytes: u64,
}

/// Builds guest crates into components.
///
/// Each guest is built by its own `cargo build` (so features of one guest
/// never leak into another) with the same environment, so the standard
/// library is compiled only once per target directory. Cargo's own
/// incremental build makes an unchanged guest cheap; the component is then
/// re-encoded and written only when its bytes changed.
#[derive(Debug, Clone)]
pub struct GuestBuilder {
    root: PathBuf,
    toolchain: Toolchain,
    target_dir: PathBuf,
    out_dir: PathBuf,
    echo: bool,
}

impl GuestBuilder {
    /// A builder for the workspace (or single crate) at `workspace_root`.
    /// Guests compile into `<workspace_root>/target/weir-guests` and
    /// components go to `<target_dir>/components` unless set otherwise.
    pub fn new(workspace_root: impl Into<PathBuf>, toolchain: Toolchain) -> GuestBuilder {
        let root = workspace_root.into();
        let target_dir = root.join("target").join("weir-guests");
        GuestBuilder {
            out_dir: target_dir.join("components"),
            root,
            toolchain,
            target_dir,
            echo: false,
        }
    }

    /// The cargo target directory for guest builds. Keep one per machine (or
    /// per checkout) so `std` is built once; it must differ from the host
    /// build's target directory when called from a build script, or the two
    /// cargos wait on each other's lock.
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> GuestBuilder {
        let dir = dir.into();
        if self.out_dir == self.target_dir.join("components") {
            self.out_dir = dir.join("components");
        }
        self.target_dir = dir;
        self
    }

    /// Where component files are written.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> GuestBuilder {
        self.out_dir = dir.into();
        self
    }

    /// Whether cargo's progress and diagnostics are copied to stderr as they
    /// come (they are always kept for errors).
    pub fn echo_cargo(mut self, echo: bool) -> GuestBuilder {
        self.echo = echo;
        self
    }

    /// The toolchain in use.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// The directory components are written to.
    pub fn component_dir(&self) -> &Path {
        &self.out_dir
    }

    /// The guest packages of the workspace, sorted by name.
    pub fn guests(&self) -> Result<Vec<GuestPackage>, BuildError> {
        Ok(self.workspace()?.guests())
    }

    /// Builds the workspace package `name`.
    pub fn build_package(&self, name: &str) -> Result<BuiltGuest, BuildError> {
        let guest = self.workspace()?.by_name(name)?;
        self.build(&guest)
    }

    /// Builds every guest of the workspace, in name order, stopping at the
    /// first failure.
    pub fn build_all(&self) -> Result<Vec<BuiltGuest>, BuildError> {
        self.guests()?
            .iter()
            .map(|guest| self.build(guest))
            .collect()
    }

    /// Builds the guest crate in `crate_dir`, which need not belong to this
    /// builder's workspace (a crate made from the starter template).
    pub fn build_dir(&self, crate_dir: impl AsRef<Path>) -> Result<BuiltGuest, BuildError> {
        let manifest = crate_dir.as_ref().join("Cargo.toml");
        let guest = Packages::load(&self.toolchain, &manifest)?.by_manifest(&manifest)?;
        self.build(&guest)
    }

    fn workspace(&self) -> Result<Packages, BuildError> {
        Packages::load(&self.toolchain, &self.root.join("Cargo.toml"))
    }

    fn build(&self, guest: &GuestPackage) -> Result<BuiltGuest, BuildError> {
        let module_path = build_core_module(&self.toolchain, guest, &self.target_dir, self.echo)?;
        let module = std::fs::read(&module_path).map_err(|e| BuildError::io(&module_path, e))?;
        let component = componentize(&guest.name, &guest.world, &module)?;

        std::fs::create_dir_all(&self.out_dir).map_err(|e| BuildError::io(&self.out_dir, e))?;
        let path = self
            .out_dir
            .join(format!("{}.wasm", guest.name.replace('-', "_")));
        write_if_changed(&path, &component)?;
        tracing::info!(
            package = %guest.name,
            world = %guest.world,
            bytes = component.len(),
            path = %path.display(),
            "built guest component"
        );
        Ok(BuiltGuest {
            name: guest.name.clone(),
            world: guest.world.clone(),
            component: path,
            bytes: component.len() as u64,
        })
    }
}

/// Writes `bytes` unless the file already holds them, so an unchanged
/// component keeps its modification time.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(|e| BuildError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_file_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wasm");
        write_if_changed(&path, b"one").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        write_if_changed(&path, b"one").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), old);
        write_if_changed(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }
}
