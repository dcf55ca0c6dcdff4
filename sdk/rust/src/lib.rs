//! The Rust SDK for Weir operators: implement a trait, call one export macro.
