//! Builds every guest of the workspace into a component and writes
//! `$OUT_DIR/artifacts.rs` with one path constant per guest.
//!
//! Guests compile in their own cargo target directory so the nested cargo
//! never waits on the lock of the build that runs this script:
//! `$WEIR_GUEST_TARGET_DIR` if set, else `<CARGO_TARGET_DIR or
//! <workspace>/target>/weir-guests`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use weir_guest_build::{BuiltGuest, GuestBuilder, Toolchain};

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists");
    let out_dir = PathBuf::from(env("OUT_DIR"));

    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!("cargo:rerun-if-changed={}", root.join("sdk").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=WEIR_GUEST_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    let toolchain = Toolchain::detect().unwrap_or_else(|error| fail(&error));
    let builder = GuestBuilder::new(&root, toolchain)
        .target_dir(guest_target_dir(&root))
        .out_dir(out_dir.join("components"));
    let guests = builder.guests().unwrap_or_else(|error| fail(&error));
    for guest in &guests {
        if let Some(dir) = guest.manifest_path.parent() {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
    }
    let built = builder.build_all().unwrap_or_else(|error| fail(&error));
    std::fs::write(out_dir.join("artifacts.rs"), constants(&built)).expect("writing artifacts.rs");
}

/// `$WEIR_GUEST_TARGET_DIR`, else `weir-guests` inside the outer target directory.
fn guest_target_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        return root.join(dir);
    }
    let outer = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"));
    outer.join("weir-guests")
}

/// The Rust source of the constants.
fn constants(guests: &[BuiltGuest]) -> String {
    let mut source = String::new();
    let mut all = String::new();
    for guest in guests {
        let constant = guest.name.to_uppercase().replace('-', "_");
        let path = guest.component.display().to_string();
        writeln!(
            source,
            "/// Component of guest `{}` (world `{}`, {} bytes).\n\
             pub const {constant}: &str = {path:?};",
            guest.name, guest.world, guest.bytes
        )
        .unwrap();
        writeln!(all, "    ({:?}, {constant}),", guest.name).unwrap();
    }
    writeln!(
        source,
        "/// Every guest as `(package name, component path)`, sorted by name.\n\
         pub const ALL: &[(&str, &str)] = &[\n{all}];"
    )
    .unwrap();
    source
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"))
}

/// Stops the build with the error on stderr, which cargo shows.
fn fail(error: &dyn std::fmt::Display) -> ! {
    eprintln!("weir-test-artifacts: cannot build the test guests:\n{error}");
    std::process::exit(1)
}
