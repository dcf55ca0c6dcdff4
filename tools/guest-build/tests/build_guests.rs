//! Real builds of the workspace's `minimal-udf` guest (and of a broken crate
//! outside the workspace). They skip, saying why, only when this machine has
//! no toolchain route at all.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use weir_guest_build::{BuildError, GuestBuilder, Toolchain, component_exports, componentize};

/// From `CARGO_MANIFEST_DIR` as `cargo test` sets it when running the test
/// (the compile-time value can name another checkout when a target
/// directory is shared).
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.join("../..")
}

/// The guest target directory: `$WEIR_GUEST_TARGET_DIR`, else the builder's default.
fn builder(toolchain: Toolchain, out: &Path) -> GuestBuilder {
    let builder = GuestBuilder::new(workspace_root(), toolchain).out_dir(out);
    match std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        Some(dir) => builder.target_dir(dir),
        None => builder,
    }
}

fn toolchain_or_skip(test: &str) -> Option<Toolchain> {
    match Toolchain::detect() {
        Ok(toolchain) => Some(toolchain),
        Err(BuildError::NoToolchain(why)) => {
            eprintln!("skipping {test}: {why}");
            None
        }
        Err(other) => panic!("detecting the toolchain failed: {other}"),
    }
}

fn udf_exports() -> BTreeSet<String> {
    ["open", "transform"].map(String::from).into()
}

fn assert_valid_udf_component(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .unwrap();
    assert!(wasmparser::Parser::is_component(&bytes));
    assert_eq!(component_exports(&bytes).unwrap(), udf_exports());
}

#[test]
fn build_package_makes_a_udf_component() {
    let Some(toolchain) = toolchain_or_skip("build_package_makes_a_udf_component") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let guest = builder(toolchain, out.path())
        .build_package("minimal-udf")
        .unwrap();
    assert_eq!(guest.name, "minimal-udf");
    assert_eq!(guest.world, "udf");
    assert_eq!(guest.component, out.path().join("minimal_udf.wasm"));
    assert_eq!(
        guest.bytes,
        std::fs::metadata(&guest.component).unwrap().len()
    );
    assert_valid_udf_component(&guest.component);
}

#[test]
fn build_all_builds_every_guest_of_a_workspace_and_nothing_else() {
    let Some(toolchain) =
        toolchain_or_skip("build_all_builds_every_guest_of_a_workspace_and_nothing_else")
    else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"beta\", \"alpha\", \"plain\"]\n",
    )
    .unwrap();
    pin_dependencies(root.path());
    write_crate(
        &root.path().join("alpha"),
        "alpha-udf",
        Some("udf"),
        &udf_source(false),
    );
    write_crate(
        &root.path().join("beta"),
        "beta-udf",
        Some("udf"),
        &udf_source(false),
    );
    write_crate(&root.path().join("plain"), "plain", None, "");

    let out = tempfile::tempdir().unwrap();
    let builder = GuestBuilder::new(root.path(), toolchain).out_dir(out.path());
    let builder = match std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        Some(dir) => builder.target_dir(dir),
        None => builder,
    };
    let built = builder.build_all().unwrap();
    let names: Vec<_> = built
        .iter()
        .map(|g| (g.name.as_str(), g.world.as_str()))
        .collect();
    assert_eq!(names, [("alpha-udf", "udf"), ("beta-udf", "udf")]);
    for guest in &built {
        assert_valid_udf_component(&guest.component);
    }
    assert_eq!(built[1].component, out.path().join("beta_udf.wasm"));
}

#[test]
fn the_workspace_lists_minimal_udf_as_a_guest() {
    let Some(toolchain) = toolchain_or_skip("the_workspace_lists_minimal_udf_as_a_guest") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let guests = builder(toolchain, out.path()).guests().unwrap();
    let minimal = guests.iter().find(|g| g.name == "minimal-udf").unwrap();
    assert_eq!(minimal.world, "udf");
    assert!(!guests.iter().any(|g| g.name == "weir-guest-build"));
}

#[test]
fn build_dir_builds_a_crate_by_folder() {
    let Some(toolchain) = toolchain_or_skip("build_dir_builds_a_crate_by_folder") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let guest = builder(toolchain, out.path())
        .build_dir(workspace_root().join("tests/guests/minimal-udf"))
        .unwrap();
    assert_eq!(
        (guest.name.as_str(), guest.world.as_str()),
        ("minimal-udf", "udf")
    );
    assert_valid_udf_component(&guest.component);
}

#[test]
fn a_package_that_is_not_a_guest_is_refused_by_name() {
    let Some(toolchain) = toolchain_or_skip("a_package_that_is_not_a_guest_is_refused_by_name")
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let builder = builder(toolchain, out.path());
    let error = builder.build_package("weir-types").unwrap_err();
    assert!(matches!(&error, BuildError::NotAGuest { name } if name == "weir-types"));
    assert!(error.to_string().contains("[package.metadata.weir]"));
    let error = builder.build_package("no-such-guest").unwrap_err();
    assert!(matches!(error, BuildError::UnknownPackage { .. }));
}

#[test]
fn a_module_declared_with_the_wrong_world_is_refused() {
    let Some(toolchain) = toolchain_or_skip("a_module_declared_with_the_wrong_world_is_refused")
    else {
        return;
    };
    let target = tempfile::tempdir().unwrap();
    let target_dir = std::env::var_os("WEIR_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/weir-guests"));
    builder(toolchain, target.path())
        .build_package("minimal-udf")
        .unwrap();
    let module =
        std::fs::read(target_dir.join("wasm32-unknown-unknown/release/minimal_udf.wasm")).unwrap();

    let error = componentize("minimal-udf", "operator", &module).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, BuildError::WorldMismatch { .. }),
        "{message}"
    );
    assert!(message.contains("declares world `operator`"), "{message}");
    assert!(message.contains("weir:operator/udf@0.1.0"), "{message}");

    let qualified = componentize("minimal-udf", "weir:operator/udf@0.1.0", &module).unwrap();
    assert_eq!(component_exports(&qualified).unwrap(), udf_exports());
}

/// A crate that links the bindings of both worlds but exports only `udf`:
/// the module's embedded world then asks for `operator`'s exports too.
#[test]
fn a_crate_linking_two_worlds_gets_a_clear_error() {
    let Some(toolchain) = toolchain_or_skip("a_crate_linking_two_worlds_gets_a_clear_error") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("two-worlds");
    write_crate(&krate, "two-worlds", Some("udf"), &udf_source(true));
    let manifest = krate.join("Cargo.toml");
    let standalone = std::fs::read_to_string(&manifest).unwrap() + "\n[workspace]\n";
    std::fs::write(&manifest, standalone).unwrap();
    pin_dependencies(&krate);

    let out = tempfile::tempdir().unwrap();
    let error = builder(toolchain, out.path())
        .build_dir(&krate)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, BuildError::WorldMismatch { .. }),
        "{message}"
    );
    assert!(message.contains("`process`"), "{message}");
    assert!(
        message.contains("weir:operator/operator@0.1.0"),
        "{message}"
    );
    assert!(!out.path().join("two_worlds.wasm").exists());
}

/// Copies the workspace's lock file so a scratch crate uses the same
/// dependency versions, already compiled in the shared guest target directory.
fn pin_dependencies(dir: &Path) {
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

/// Writes a crate; with a `world` it is a guest using wit-bindgen.
fn write_crate(dir: &Path, name: &str, world: Option<&str>, source: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let guest = match world {
        Some(world) => format!(
            "[lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
             [package.metadata.weir]\nworld = \"{world}\"\n\n\
             [dependencies]\nwit-bindgen = {{ version = \"0.63\", default-features = false, \
             features = [\"macros\", \"realloc\"] }}\n"
        ),
        None => String::new(),
    };
    let manifest =
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{guest}");
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/lib.rs"), source).unwrap();
}

/// A pass-through `udf`; with `link_operator`, the `operator` world's
/// bindings are linked in as well (but not exported).
fn udf_source(link_operator: bool) -> String {
    let wit = workspace_root()
        .join("wit/operator@0.1.0")
        .canonicalize()
        .unwrap();
    let mut source = format!(
        r#"
mod udf {{
    wit_bindgen::generate!({{ world: "udf", path: {wit:?} }});
    pub struct Udf;
    impl Guest for Udf {{
        fn open(_: String) -> Result<(), String> {{ Ok(()) }}
        fn transform(batch: Vec<Record>) -> Result<Vec<Record>, String> {{ Ok(batch) }}
    }}
    export!(Udf);
}}
"#
    );
    if link_operator {
        source.push_str(&format!(
            r#"
mod operator {{
    wit_bindgen::generate!({{ world: "operator", path: {wit:?} }});
    pub fn touch() {{ weir::operator::log::log(weir::operator::log::Level::Info, "linked"); }}
}}
#[unsafe(no_mangle)]
pub extern "C" fn keep_operator_linked() {{ operator::touch() }}
"#
        ));
    }
    source
}
