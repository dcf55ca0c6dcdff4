//! `weir-guest-build [--all | -p NAME... | PATH] [--out DIR] [--target-dir DIR]`

use std::path::PathBuf;
use std::process::ExitCode;

use weir_guest_build::{BuildError, BuiltGuest, GuestBuilder, Toolchain};

const USAGE: &str =
    "usage: weir-guest-build [--all | -p NAME... | PATH] [--out DIR] [--target-dir DIR]

Builds Weir guest crates into Wasm components and prints one line per component.
  --all            every guest of the workspace in the current directory (default)
  -p NAME          the workspace guest NAME (repeatable)
  PATH             the guest crate in folder PATH (may be outside the workspace)
  --out DIR        where components go (default: <target-dir>/components)
  --target-dir DIR cargo target directory for guests
                   (default: $WEIR_GUEST_TARGET_DIR, else <workspace>/target/weir-guests)";

/// What to build.
#[derive(Debug, PartialEq)]
enum Selection {
    All,
    Packages(Vec<String>),
    Dir(PathBuf),
}

#[derive(Debug, PartialEq)]
struct Args {
    selection: Selection,
    out: Option<PathBuf>,
    target_dir: Option<PathBuf>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut all = false;
    let mut packages = Vec::new();
    let mut dir = None;
    let mut out = None;
    let mut target_dir = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--all" => all = true,
            "-p" | "--package" => packages.push(value("-p")?),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--target-dir" => target_dir = Some(PathBuf::from(value("--target-dir")?)),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if dir.is_none() => dir = Some(PathBuf::from(path)),
            path => return Err(format!("unexpected argument {path}")),
        }
    }
    let selection = match (all, packages.is_empty(), dir) {
        (false, true, None) | (true, true, None) => Selection::All,
        (false, false, None) => Selection::Packages(packages),
        (false, true, Some(dir)) => Selection::Dir(dir),
        _ => return Err("give one of --all, -p NAME..., or PATH".into()),
    };
    Ok(Args {
        selection,
        out,
        target_dir,
    })
}

fn run(args: Args) -> Result<Vec<BuiltGuest>, BuildError> {
    let toolchain = Toolchain::detect()?;
    eprintln!("toolchain: {toolchain}");
    let root = match &args.selection {
        Selection::Dir(dir) => dir.clone(),
        _ => PathBuf::from("."),
    };
    let mut builder = GuestBuilder::new(&root, toolchain).echo_cargo(true);
    let target_dir = args
        .target_dir
        .or_else(|| std::env::var_os("WEIR_GUEST_TARGET_DIR").map(PathBuf::from));
    if let Some(dir) = target_dir {
        builder = builder.target_dir(dir);
    }
    if let Some(out) = args.out {
        builder = builder.out_dir(out);
    }
    match args.selection {
        Selection::All => builder.build_all(),
        Selection::Packages(names) => names
            .iter()
            .map(|name| builder.build_package(name))
            .collect(),
        Selection::Dir(dir) => builder.build_dir(dir).map(|guest| vec![guest]),
    }
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match run(args) {
        Ok(guests) => {
            for guest in guests {
                println!(
                    "{}\t{}\t{} bytes\t{}",
                    guest.name,
                    guest.world,
                    guest.bytes,
                    guest.component.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Args, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn selections_are_parsed() {
        assert_eq!(parse_str("").unwrap().selection, Selection::All);
        assert_eq!(parse_str("--all").unwrap().selection, Selection::All);
        assert_eq!(
            parse_str("-p a -p b --out o").unwrap(),
            Args {
                selection: Selection::Packages(vec!["a".into(), "b".into()]),
                out: Some("o".into()),
                target_dir: None,
            }
        );
        assert_eq!(
            parse_str("guests/x --target-dir t").unwrap(),
            Args {
                selection: Selection::Dir("guests/x".into()),
                out: None,
                target_dir: Some("t".into()),
            }
        );
    }

    #[test]
    fn conflicting_or_unknown_arguments_are_refused() {
        assert!(parse_str("--all -p a").is_err());
        assert!(parse_str("-p a some/dir").is_err());
        assert!(parse_str("a b").is_err());
        assert!(parse_str("--frobnicate").is_err());
        assert!(parse_str("--out").is_err());
    }
}
