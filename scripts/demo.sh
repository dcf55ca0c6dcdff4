#!/usr/bin/env bash
# The main demo: fraud detection with keyed state and event-time timers in a
# Wasm operator. Installs the guest toolchain if missing, builds `weir` and the
# operator from source, runs the job and shows the alerts it raised.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/install-toolchain.sh
echo "==> building weir (first time: ~15 min on 2 cores)"
cargo build --release -p weir-cli
weir="$CARGO_TARGET_DIR/release/weir"
echo "==> building the fraud-detection operator into a Wasm component"
"$weir" build -p fraud-detection
echo "==> running examples/fraud-detection/job.yaml"
"$weir" run examples/fraud-detection/job.yaml
echo "==> alerts (examples/fraud-detection/out/alerts.jsonl):"
cat examples/fraud-detection/out/alerts.jsonl
