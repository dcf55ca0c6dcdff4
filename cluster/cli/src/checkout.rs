//! Where the Weir checkout this `weir` comes from is, for commands that
//! default to files in it (`weir new`'s SDK path, `weir bench`'s guests).

use std::path::{Path, PathBuf};

/// The checkout's root. Under `cargo run` or `cargo test` this is taken
/// from `CARGO_MANIFEST_DIR` at run time when it names this crate's
/// folder: a binary built once and reused from a target directory shared
/// between checkouts would otherwise point at the checkout it was first
/// compiled in. Else the folder it was compiled from.
pub(crate) fn root() -> PathBuf {
    let is_cli = |dir: &Path| dir.join("src/checkout.rs").is_file();
    let compiled = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cli = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| is_cli(dir))
        .unwrap_or(compiled);
    cli.join("../..")
}
