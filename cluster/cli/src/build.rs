//! `weir build`: guest crates into components.

use std::path::PathBuf;

use weir_guest_build::{GuestBuilder, Toolchain};

/// Arguments of `weir build`.
#[derive(clap::Args, Debug)]
pub(crate) struct BuildArgs {
    /// A guest crate's folder; without it, every guest of the workspace in
    /// the current folder.
    path: Option<PathBuf>,
    /// Build only these workspace guests.
    #[arg(short = 'p', long = "package")]
    packages: Vec<String>,
    /// Where components are written (default: <target-dir>/components).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cargo target folder for guests (default: $WEIR_GUEST_TARGET_DIR, else
    /// <workspace>/target/weir-guests).
    #[arg(long)]
    target_dir: Option<PathBuf>,
}

pub(crate) fn build(args: BuildArgs) -> anyhow::Result<()> {
    let toolchain = Toolchain::detect()?;
    eprintln!("toolchain: {toolchain}");
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut builder = GuestBuilder::new(&root, toolchain).echo_cargo(true);
    if let Some(dir) = args
        .target_dir
        .or_else(|| std::env::var_os("WEIR_GUEST_TARGET_DIR").map(PathBuf::from))
    {
        builder = builder.target_dir(dir);
    }
    if let Some(out) = args.out {
        builder = builder.out_dir(out);
    }
    let built = match (&args.path, args.packages.is_empty()) {
        (Some(dir), true) => vec![builder.build_dir(dir)?],
        (None, false) => args
            .packages
            .iter()
            .map(|p| builder.build_package(p))
            .collect::<Result<_, _>>()?,
        (None, true) => builder.build_all()?,
        (Some(_), false) => anyhow::bail!("give either a PATH or -p NAME, not both"),
    };
    for g in &built {
        println!(
            "{:<28} {:<9} {:>9} bytes  {}",
            g.name,
            g.world,
            g.bytes,
            g.component.display()
        );
    }
    Ok(())
}
