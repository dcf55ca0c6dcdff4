#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test of the workspace,
# including end-to-end tests that build every guest from source and run the
# real `weir` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/install-toolchain.sh
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
