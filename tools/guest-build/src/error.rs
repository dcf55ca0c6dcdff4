//! The one error type of this crate.

use std::path::PathBuf;

/// Why a guest could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No toolchain on this machine can compile `wasm32-unknown-unknown`.
    /// The message lists what was checked and what to install.
    #[error("{0}")]
    NoToolchain(String),

    /// A program (cargo, rustc, rustup) could not be started.
    #[error("could not run `{program}`: {source}")]
    Spawn {
        /// The program that was started.
        program: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// `cargo metadata` failed or printed something that could not be parsed.
    #[error("cargo metadata for {}: {message}", manifest.display())]
    Metadata {
        /// The manifest that was inspected.
        manifest: PathBuf,
        /// What went wrong, with cargo's stderr when it failed.
        message: String,
    },

    /// No package of that name in the workspace.
    #[error("no package `{name}` in the workspace at {}", root.display())]
    UnknownPackage {
        /// The requested package name.
        name: String,
        /// The workspace that was searched.
        root: PathBuf,
    },

    /// The package exists but does not declare `[package.metadata.weir] world`.
    #[error(
        "package `{name}` is not a guest: add `[package.metadata.weir] world = \"operator\"` \
         (or \"udf\") to its Cargo.toml"
    )]
    NotAGuest {
        /// The package name.
        name: String,
    },

    /// `cargo build` of a guest failed.
    #[error("building guest `{package}` failed ({status}); cargo said:\n{stderr_tail}")]
    Cargo {
        /// The guest package.
        package: String,
        /// Cargo's exit status.
        status: String,
        /// The last lines cargo wrote to stderr.
        stderr_tail: String,
    },

    /// Cargo succeeded but reported no `.wasm` file for the package's library.
    #[error(
        "building guest `{package}` produced no .wasm file: does its `[lib]` have \
         `crate-type = [\"cdylib\", \"rlib\"]`?"
    )]
    NoArtifact {
        /// The guest package.
        package: String,
    },

    /// The core module's embedded world is not the world the package declares.
    #[error("guest `{package}` declares world `{declared}` but {detail}")]
    WorldMismatch {
        /// The guest package.
        package: String,
        /// The world named in `[package.metadata.weir]`.
        declared: String,
        /// What the module or component contains instead.
        detail: String,
    },

    /// `wit-component` could not turn the core module into a valid component.
    #[error("turning guest `{package}` into a component failed: {message}")]
    Componentize {
        /// The guest package.
        package: String,
        /// wit-component's error chain.
        message: String,
    },
}

impl BuildError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn spawn(program: impl std::fmt::Display, source: std::io::Error) -> Self {
        BuildError::Spawn {
            program: program.to_string(),
            source,
        }
    }
}
