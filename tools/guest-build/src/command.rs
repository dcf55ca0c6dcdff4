//! The environment of the nested `cargo`: nothing leaks in from an outer
//! cargo, and the size settings are the same for every guest so `std` is
//! compiled once per target directory.

use std::ffi::OsStr;
use std::process::Command;

use crate::toolchain::{Route, Toolchain, WASM_TARGET};

/// Release-profile settings for guests, passed as environment variables so
/// they apply to crates outside this workspace too. Changing any of them
/// rebuilds `std` on the Debian route.
///
/// `opt-level = 3` is used: `"s"` saved nothing measurable on the test guests
/// (see the crate README), and guests run per record batch.
pub const PROFILE_ENV: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3"),
    ("CARGO_PROFILE_RELEASE_LTO", "true"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
    ("CARGO_PROFILE_RELEASE_STRIP", "true"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "false"),
    ("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "false"),
    ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
    // Fixed (empty) flags: a `build.rustflags` in some config must not
    // change how one guest is built compared to another.
    ("CARGO_ENCODED_RUSTFLAGS", ""),
];

/// Variables that an outer cargo (running a build script) or the user's
/// shell may set and that would change or break the nested build.
const REMOVED: &[&str] = &[
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_BOOTSTRAP",
    "RUSTC_LINKER",
    "RUSTDOC",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
];

/// `CARGO_*` variables that only say where and how to fetch crates; all other
/// `CARGO_*` variables are removed (`CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET`,
/// `CARGO_MAKEFLAGS`, `CARGO_ENCODED_RUSTFLAGS`, `CARGO_PROFILE_*`, the
/// `CARGO_PKG_*`/`CARGO_CFG_*`/`CARGO_FEATURE_*` of a build script, ...).
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_BUILD_JOBS",
];

/// Whether a variable of the current environment must not reach the nested cargo.
pub(crate) fn is_leaked(name: &str) -> bool {
    if REMOVED.contains(&name) || name.starts_with("__CARGO") || name.starts_with("DEP_") {
        return true;
    }
    name.starts_with("CARGO")
        && !KEPT_CARGO_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Removes every leaked variable of the current environment from `command`.
pub(crate) fn clean_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_none_or(is_leaked) {
            command.env_remove(&name);
        }
    }
}

impl Toolchain {
    /// A `cargo` command with a clean environment and, for the Debian route,
    /// the compiler, linker and `RUSTC_BOOTSTRAP` it needs.
    pub(crate) fn cargo_command(&self) -> Command {
        let mut command = Command::new(self.cargo());
        clean_env(&mut command);
        if self.route() == Route::DebianBuildStd {
            command
                .env("RUSTC", self.rustc())
                .env("RUSTC_BOOTSTRAP", "1");
            if let Some(linker) = self.linker() {
                command.env(linker_var(), linker);
            }
        }
        command
    }

    /// `cargo build` arguments (after `build`) for the wasm target.
    pub(crate) fn build_args(&self) -> Vec<&'static str> {
        let mut args = vec!["--release", "--target", WASM_TARGET];
        if self.route() == Route::DebianBuildStd {
            args.push("-Zbuild-std=std,panic_abort");
        }
        args
    }

    /// A `cargo build` command for guests: [`Toolchain::cargo_command`] with
    /// [`PROFILE_ENV`].
    pub(crate) fn build_command(&self) -> Command {
        let mut command = self.cargo_command();
        command.arg("build").args(self.build_args());
        command.envs(
            PROFILE_ENV
                .iter()
                .map(|(k, v)| (OsStr::new(k), OsStr::new(v))),
        );
        command
    }
}

fn linker_var() -> String {
    format!(
        "CARGO_TARGET_{}_LINKER",
        WASM_TARGET.to_uppercase().replace('-', "_")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_build_variables_are_leaks() {
        for name in [
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "CARGO_BUILD_TARGET",
            "CARGO_MAKEFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_RELEASE_LTO",
            "CARGO_PKG_NAME",
            "CARGO_CFG_TARGET_OS",
            "CARGO_MANIFEST_DIR",
            "CARGO",
            "RUSTC",
            "__CARGO_FIX_PLZ",
            "DEP_Z_INCLUDE",
            "TARGET",
        ] {
            assert!(is_leaked(name), "{name} should be removed");
        }
    }

    #[test]
    fn fetching_and_user_variables_are_kept() {
        for name in [
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "CARGO_HTTP_TIMEOUT",
            "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
            "CARGO_BUILD_JOBS",
            "PATH",
            "HOME",
            "RUSTUP_TOOLCHAIN",
        ] {
            assert!(!is_leaked(name), "{name} should be kept");
        }
    }

    #[test]
    fn linker_variable_names_the_wasm_target() {
        assert_eq!(linker_var(), "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER");
    }
}
