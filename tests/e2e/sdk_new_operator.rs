//! A user's path: `weir new` makes a crate outside this workspace, `weir build`
//! turns it into a component, `weir run` runs its job.

#[path = "support/mod.rs"]
mod support;

use support::{describe, weir};

#[test]
fn new_build_run_outside_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("my-op");
    let out = weir().arg("new").arg(&crate_dir).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    for f in ["Cargo.toml", "src/lib.rs", "job.yaml", "README.md"] {
        assert!(crate_dir.join(f).is_file(), "missing {f}");
    }
    // A second `new` on the same folder refuses instead of overwriting.
    let again = weir().arg("new").arg(&crate_dir).output().unwrap();
    assert!(!again.status.success());

    let out = weir()
        .current_dir(&crate_dir)
        .args(["build", "."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("my_op.wasm"), "{stdout}");

    // `weir run` finds the component where `weir build` put it.
    let mut run = weir();
    run.current_dir(&crate_dir)
        .args(["run", "job.yaml", "--progress", "never"]);
    if let Some(guests) = std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        run.arg("--module-path")
            .arg(std::path::Path::new(&guests).join("components"));
    }
    let out = run.output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let mut lines: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    let expected: Vec<String> = (0..10).map(|k| format!("{k} seen 50 times")).collect();
    assert_eq!(lines, expected, "{}", describe(&out));
}
