//! Finding guest packages with `cargo metadata`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{BuildError, Toolchain};

/// A package that declares `[package.metadata.weir] world`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestPackage {
    /// The package name, e.g. `minimal-udf`.
    pub name: String,
    /// The declared world, e.g. `udf`.
    pub world: String,
    /// The package's `Cargo.toml`.
    pub manifest_path: PathBuf,
    /// Cargo's package id, used to find its artifacts in build messages.
    pub(crate) id: String,
}

/// The part of `cargo metadata --format-version 1` this crate reads.
#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    id: String,
    manifest_path: PathBuf,
    #[serde(default)]
    metadata: serde_json::Value,
}

impl Package {
    fn world(&self) -> Option<&str> {
        self.metadata.get("weir")?.get("world")?.as_str()
    }
}

/// The packages of a manifest's workspace, guests or not.
#[derive(Debug)]
pub(crate) struct Packages {
    manifest: PathBuf,
    packages: Vec<Package>,
}

impl Packages {
    /// Runs `cargo metadata --no-deps` on `manifest`.
    pub(crate) fn load(toolchain: &Toolchain, manifest: &Path) -> Result<Packages, BuildError> {
        let mut command = toolchain.cargo_command();
        command
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .arg(manifest);
        let output = command
            .output()
            .map_err(|e| BuildError::spawn(toolchain.cargo().display(), e))?;
        let error = |message: String| BuildError::Metadata {
            manifest: manifest.to_path_buf(),
            message,
        };
        if !output.status.success() {
            return Err(error(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Self::parse(manifest, &output.stdout).map_err(|e| error(e.to_string()))
    }

    fn parse(manifest: &Path, json: &[u8]) -> serde_json::Result<Packages> {
        let metadata: Metadata = serde_json::from_slice(json)?;
        Ok(Packages {
            manifest: manifest.to_path_buf(),
            packages: metadata.packages,
        })
    }

    /// Every guest, sorted by name.
    pub(crate) fn guests(&self) -> Vec<GuestPackage> {
        let mut guests: Vec<_> = self
            .packages
            .iter()
            .filter_map(|package| Self::guest(package).ok())
            .collect();
        guests.sort_by(|a, b| a.name.cmp(&b.name));
        guests
    }

    /// The guest named `name`.
    pub(crate) fn by_name(&self, name: &str) -> Result<GuestPackage, BuildError> {
        let package = self
            .packages
            .iter()
            .find(|package| package.name == name)
            .ok_or_else(|| BuildError::UnknownPackage {
                name: name.to_string(),
                root: self.manifest.parent().unwrap_or(Path::new(".")).into(),
            })?;
        Self::guest(package)
    }

    /// The guest whose manifest is `manifest`.
    pub(crate) fn by_manifest(&self, manifest: &Path) -> Result<GuestPackage, BuildError> {
        let wanted = canonical(manifest);
        let package = self
            .packages
            .iter()
            .find(|package| canonical(&package.manifest_path) == wanted)
            .ok_or_else(|| BuildError::Metadata {
                manifest: manifest.to_path_buf(),
                message: "cargo metadata lists no package with this manifest".into(),
            })?;
        Self::guest(package)
    }

    fn guest(package: &Package) -> Result<GuestPackage, BuildError> {
        let world = package.world().ok_or_else(|| BuildError::NotAGuest {
            name: package.name.clone(),
        })?;
        Ok(GuestPackage {
            name: package.name.clone(),
            world: world.to_string(),
            manifest_path: package.manifest_path.clone(),
            id: package.id.clone(),
        })
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{
        "packages": [
            {"name": "weir-types", "id": "path+file:///w/host/types#0.1.0",
             "manifest_path": "/w/host/types/Cargo.toml", "metadata": null},
            {"name": "zeta-op", "id": "path+file:///w/g/zeta#0.1.0",
             "manifest_path": "/w/g/zeta/Cargo.toml",
             "metadata": {"weir": {"world": "operator"}}},
            {"name": "alpha-udf", "id": "path+file:///w/g/alpha#0.1.0",
             "manifest_path": "/w/g/alpha/Cargo.toml",
             "metadata": {"weir": {"world": "udf"}, "docs": {}}},
            {"name": "other-meta", "id": "path+file:///w/g/other#0.1.0",
             "manifest_path": "/w/g/other/Cargo.toml", "metadata": {"docs": {}}}
        ],
        "workspace_root": "/w"
    }"#;

    fn packages() -> Packages {
        Packages::parse(Path::new("/w/Cargo.toml"), METADATA.as_bytes()).unwrap()
    }

    #[test]
    fn guests_are_packages_with_a_weir_world_sorted_by_name() {
        let guests = packages().guests();
        let names: Vec<_> = guests
            .iter()
            .map(|g| (g.name.as_str(), g.world.as_str()))
            .collect();
        assert_eq!(names, [("alpha-udf", "udf"), ("zeta-op", "operator")]);
        assert_eq!(guests[0].id, "path+file:///w/g/alpha#0.1.0");
    }

    #[test]
    fn by_name_tells_unknown_packages_from_non_guests() {
        let packages = packages();
        assert_eq!(packages.by_name("zeta-op").unwrap().world, "operator");
        assert!(matches!(
            packages.by_name("weir-types"),
            Err(BuildError::NotAGuest { name }) if name == "weir-types"
        ));
        assert!(matches!(
            packages.by_name("missing"),
            Err(BuildError::UnknownPackage { name, .. }) if name == "missing"
        ));
    }

    #[test]
    fn by_manifest_finds_the_package_of_a_crate_folder() {
        let guest = packages()
            .by_manifest(Path::new("/w/g/alpha/Cargo.toml"))
            .unwrap();
        assert_eq!(guest.name, "alpha-udf");
    }
}
