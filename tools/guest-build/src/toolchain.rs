//! Finding a toolchain that can compile `wasm32-unknown-unknown`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;
use crate::command::clean_env;

/// The wasm target every guest is compiled for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The oldest `rustc-web` accepted on the Debian route (edition 2024).
const MIN_DEBIAN_RUSTC: (u32, u32) = (1, 85);

/// What to install when no route exists.
const INSTALL_HINT: &str = "Install one of:\n  \
    - a rustup toolchain with the wasm target: `rustup target add wasm32-unknown-unknown`\n  \
    - Debian's web toolchain, which builds `std` from source: \
    `apt-get install -y rustc-web cargo-web rust-web-src lld-15`\n\
    `scripts/install-toolchain.sh` installs the Debian packages when no route exists.";

/// How guests are compiled on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The `rustc` on `PATH` (normally rustup's) has a prebuilt standard
    /// library for `wasm32-unknown-unknown`: a plain `cargo build --target`.
    Prebuilt,
    /// Debian's `rustc-web` builds `std` from `rust-web-src` with
    /// `-Zbuild-std` (unlocked by `RUSTC_BOOTSTRAP=1`) and links with
    /// `wasm-ld-15`.
    DebianBuildStd,
}

/// A toolchain able to compile guests, found by [`Toolchain::detect`].
#[derive(Debug, Clone)]
pub struct Toolchain {
    route: Route,
    cargo: PathBuf,
    rustc: PathBuf,
    linker: Option<PathBuf>,
    release: String,
}

impl Toolchain {
    /// Finds a route: first a `rustc` on `PATH` whose sysroot has the
    /// `wasm32-unknown-unknown` standard library (what
    /// `rustup target add wasm32-unknown-unknown` installs), then Debian's
    /// `/usr/bin/rustc` from `rustc-web` with `rust-web-src` and `wasm-ld-15`.
    /// Fails with [`BuildError::NoToolchain`] saying what was checked and what
    /// to install.
    pub fn detect() -> Result<Toolchain, BuildError> {
        choose(Self::detect_prebuilt(), Self::detect_debian)
    }

    /// The route this toolchain takes.
    pub fn route(&self) -> Route {
        self.route
    }

    /// The `cargo` that builds guests.
    pub fn cargo(&self) -> &Path {
        &self.cargo
    }

    /// The `rustc` that compiles guests.
    pub fn rustc(&self) -> &Path {
        &self.rustc
    }

    /// The wasm linker, when the route names one explicitly.
    pub fn linker(&self) -> Option<&Path> {
        self.linker.as_deref()
    }

    fn detect_prebuilt() -> Result<Toolchain, String> {
        let rustc = PathBuf::from("rustc");
        let sysroot = rustc_output(&rustc, &["--print", "sysroot"])?;
        let wasm_std = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .join("lib");
        if !wasm_std.is_dir() {
            return Err(format!(
                "`rustc` on PATH (sysroot {}) has no {WASM_TARGET} standard library",
                sysroot.trim()
            ));
        }
        let release = release_of(&rustc_output(&rustc, &["-vV"])?)?;
        Ok(Toolchain {
            route: Route::Prebuilt,
            cargo: PathBuf::from("cargo"),
            rustc,
            linker: None,
            release,
        })
    }

    fn detect_debian() -> Result<Toolchain, String> {
        let rustc = PathBuf::from("/usr/bin/rustc");
        if !rustc.exists() {
            return Err("/usr/bin/rustc is not installed (package rustc-web)".into());
        }
        let release = release_of(&rustc_output(&rustc, &["-vV"])?)?;
        if version_tuple(&release) < MIN_DEBIAN_RUSTC {
            return Err(format!(
                "/usr/bin/rustc is Rust {release}, too old: it is Debian's `rustc`, \
                 guests need `rustc-web`"
            ));
        }
        let sysroot = rustc_output(&rustc, &["--print", "sysroot"])?;
        let std_src = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/std");
        if !std_src.is_dir() {
            return Err(format!(
                "{} is missing (package rust-web-src)",
                std_src.display()
            ));
        }
        let cargo = PathBuf::from("/usr/bin/cargo");
        if !cargo.exists() {
            return Err("/usr/bin/cargo is not installed (package cargo-web)".into());
        }
        let linker = find_linker().ok_or("wasm-ld-15 is not installed (package lld-15)")?;
        Ok(Toolchain {
            route: Route::DebianBuildStd,
            cargo,
            rustc,
            linker: Some(linker),
            release,
        })
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.route {
            Route::Prebuilt => write!(
                f,
                "rustc {} with a prebuilt {WASM_TARGET} std",
                self.release
            ),
            Route::DebianBuildStd => write!(
                f,
                "Debian rustc-web {} building std from source, linking with {}",
                self.release,
                self.linker.as_deref().unwrap_or(Path::new("?")).display()
            ),
        }
    }
}

/// The prebuilt route if it works, else the Debian one, else an error that
/// gives both reasons and what to install.
fn choose(
    prebuilt: Result<Toolchain, String>,
    debian: impl FnOnce() -> Result<Toolchain, String>,
) -> Result<Toolchain, BuildError> {
    let prebuilt = match prebuilt {
        Ok(toolchain) => return Ok(toolchain),
        Err(why) => why,
    };
    let debian = match debian() {
        Ok(toolchain) => return Ok(toolchain),
        Err(why) => why,
    };
    Err(BuildError::NoToolchain(format!(
        "no toolchain can compile {WASM_TARGET} guests.\n\
         Checked:\n  - rustup/prebuilt: {prebuilt}\n  - Debian rustc-web: {debian}\n{INSTALL_HINT}"
    )))
}

/// Runs `rustc ARGS` with a clean environment and returns its stdout.
fn rustc_output(rustc: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new(rustc);
    clean_env(&mut command);
    let output = command
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", rustc.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{} {}` failed: {}",
            rustc.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `release: X.Y.Z` line of `rustc -vV`.
fn release_of(verbose_version: &str) -> Result<String, String> {
    verbose_version
        .lines()
        .find_map(|line| line.strip_prefix("release: "))
        .map(|release| release.trim().to_string())
        .ok_or_else(|| format!("unexpected `rustc -vV` output: {verbose_version}"))
}

/// `1.96.0` or `1.96.0-nightly` as `(1, 96)`; unparsable parts count as 0.
fn version_tuple(release: &str) -> (u32, u32) {
    let mut parts = release
        .split(['.', '-'])
        .map(|part| part.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `wasm-ld-15` on `PATH`, else where Debian's `lld-15` puts it.
fn find_linker() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("wasm-ld-15"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        ["/usr/bin/wasm-ld-15", "/usr/lib/llvm-15/bin/wasm-ld"]
            .map(PathBuf::from)
            .into_iter()
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_is_read_from_verbose_version() {
        let text = "rustc 1.96.0 (ac68faa20 2026-05-25)\nbinary: rustc\nrelease: 1.96.0\nLLVM version: 22.1.8\n";
        assert_eq!(release_of(text).unwrap(), "1.96.0");
        assert!(release_of("rustc 1.0").is_err());
    }

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(version_tuple("1.96.0"), (1, 96));
        assert_eq!(version_tuple("1.85.0-nightly"), (1, 85));
        assert!(version_tuple("1.63.0") < MIN_DEBIAN_RUSTC);
        assert!(version_tuple("1.96.0") >= MIN_DEBIAN_RUSTC);
    }

    fn toolchain(route: Route) -> Toolchain {
        Toolchain {
            route,
            cargo: "cargo".into(),
            rustc: "rustc".into(),
            linker: None,
            release: "1.96.0".into(),
        }
    }

    #[test]
    fn the_prebuilt_route_wins_and_debian_is_the_fallback() {
        let chosen = choose(Ok(toolchain(Route::Prebuilt)), || panic!("not checked")).unwrap();
        assert_eq!(chosen.route(), Route::Prebuilt);
        let chosen = choose(Err("no".into()), || Ok(toolchain(Route::DebianBuildStd))).unwrap();
        assert_eq!(chosen.route(), Route::DebianBuildStd);
    }

    #[test]
    fn without_a_route_the_error_says_why_and_what_to_install() {
        let Err(BuildError::NoToolchain(message)) = choose(Err("no wasm std".into()), || {
            Err("/usr/bin/rustc is not installed".into())
        }) else {
            panic!("expected NoToolchain");
        };
        assert!(message.contains("no wasm std"));
        assert!(message.contains("/usr/bin/rustc is not installed"));
        assert!(message.contains("rustup target add wasm32-unknown-unknown"));
        assert!(message.contains("apt-get install -y rustc-web cargo-web rust-web-src lld-15"));
        assert!(message.contains("scripts/install-toolchain.sh"));
    }

    #[test]
    fn detect_finds_a_route_or_explains_itself() {
        match Toolchain::detect() {
            Ok(toolchain) => assert!(toolchain.to_string().contains("1.")),
            Err(error) => assert!(matches!(error, BuildError::NoToolchain(_)), "{error}"),
        }
    }
}
