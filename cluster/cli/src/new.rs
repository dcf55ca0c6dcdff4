//! `weir new`: a starter operator crate from `sdk/template`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

const LIB_RS: &str = include_str!("../../../sdk/template/src/lib.rs");
const JOB_YAML: &str = include_str!("../../../sdk/template/job.yaml");

/// Arguments of `weir new`.
#[derive(clap::Args, Debug)]
pub(crate) struct NewArgs {
    /// Folder to create; its name becomes the package name.
    path: PathBuf,
    /// Path of the `weir-sdk` crate to depend on (default: the one in the
    /// checkout this `weir` was built from).
    #[arg(long)]
    sdk: Option<PathBuf>,
}

fn default_sdk() -> PathBuf {
    crate::checkout::root().join("sdk/rust")
}

pub(crate) fn new(args: NewArgs) -> anyhow::Result<()> {
    let name = args
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .context("the folder needs a name")?
        .to_owned();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("`{name}` is not a valid package name (letters, digits, - and _)");
    }
    if args.path.exists() {
        bail!("{} already exists", args.path.display());
    }
    let sdk = args.sdk.unwrap_or_else(default_sdk);
    let sdk = sdk
        .canonicalize()
        .with_context(|| format!("the SDK is not at {}", sdk.display()))?;
    std::fs::create_dir_all(args.path.join("src"))?;
    let module = format!("{}.wasm", name.replace('-', "_"));
    let files = [
        ("Cargo.toml", cargo_toml(&name, &sdk)),
        ("src/lib.rs", LIB_RS.to_owned()),
        ("job.yaml", JOB_YAML.replace("weir_template.wasm", &module)),
        ("README.md", readme(&name, &module)),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (file, text) in files {
        std::fs::write(args.path.join(file), text)?;
    }
    println!("created {} ({module})", args.path.display());
    println!("  cargo test                # test it natively");
    println!(
        "  weir build {}   # build the component",
        args.path.display()
    );
    println!("  weir run {}/job.yaml", args.path.display());
    Ok(())
}

fn cargo_toml(name: &str, sdk: &Path) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[package.metadata.weir]
world = "operator"

[dependencies]
weir-sdk = {{ path = "{sdk}" }}
serde = {{ version = "1", features = ["derive"] }}

# A crate of its own, not part of an enclosing workspace.
[workspace]
"#,
        sdk = sdk.display()
    )
}

fn readme(name: &str, module: &str) -> String {
    format!(
        "# {name}\n\nA Weir operator made by `weir new`.\n\n```sh\ncargo test           # the harness test, natively\nweir build .         # builds target/weir-guests/components/{module}\nweir run job.yaml    # runs it on generated records\n```\n"
    )
}
