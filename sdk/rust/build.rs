//! Writes the macro through which a guest crate generates the bindings of its
//! world's exports: wit-bindgen resolves `path` against the *guest's*
//! manifest folder, so the SDK hands it the absolute paths of the WIT
//! packages (`weir:operator@0.1.0` and `@0.2.0`).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let packages: Vec<String> = ["operator@0.1.0", "operator@0.2.0"]
        .iter()
        .map(|name| {
            let wit = manifest.join("../../wit").join(name);
            let wit = wit
                .canonicalize()
                .unwrap_or_else(|e| panic!("the WIT package {}: {e}", wit.display()));
            println!("cargo:rerun-if-changed={}", wit.display());
            wit.to_str()
                .expect("a UTF-8 path to the WIT package")
                .to_owned()
        })
        .collect();
    println!("cargo:rerun-if-changed=build.rs");
    let path = format!("[{:?}, {:?}]", packages[0], packages[1]);
    let source = format!(
        r#"/// Runs `wit_bindgen::generate!` on the `weir:operator` WIT packages with
/// the SDK's runtime path; the rest of the options are the arguments.
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_generate {{
    ($($options:tt)*) => {{
        $crate::__private::wit_bindgen::generate!({{
            path: {path},
            runtime_path: "weir_sdk::__private::wit_bindgen::rt",
            $($options)*
        }});
    }};
}}
"#
    );
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out.join("generate.rs"), source).expect("writing generate.rs");
}
