#!/usr/bin/env bash
# Makes sure this machine can build Weir's Wasm guests (wasm32-unknown-unknown).
#
# Two routes work (weir-guest-build detects which one exists):
#   1. a rustc on PATH with the wasm32-unknown-unknown std
#      (`rustup target add wasm32-unknown-unknown`);
#   2. Debian's rustc-web building std from source with -Zbuild-std:
#      rustc-web cargo-web rust-web-src lld-15.
# When neither exists this installs route 2 (as root, or prints the command).
# Idempotent, and a fast no-op when a route exists.
set -euo pipefail
command -v moto_server >/dev/null 2>&1 || python3 -m pip install --quiet 'moto[server]' || echo "warning: could not install moto[server]; weir-checkpoint's S3 tests need moto_server" >&2

DEBIAN_PACKAGES=(rustc-web cargo-web rust-web-src lld-15)

have_prebuilt() {
    command -v rustc >/dev/null 2>&1 || return 1
    local sysroot
    sysroot=$(rustc --print sysroot 2>/dev/null) || return 1
    [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}

have_debian() {
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || return 1
    command -v wasm-ld-15 >/dev/null 2>&1 || [ -x /usr/bin/wasm-ld-15 ] || return 1
    local sysroot release
    release=$(/usr/bin/rustc -vV 2>/dev/null | sed -n 's/^release: //p') || return 1
    # rustc-web is recent; Debian's plain rustc (1.63 on bookworm) is too old.
    [ "$(printf '%s\n%s\n' "1.85.0" "$release" | sort -V | head -n1)" = "1.85.0" ] || return 1
    sysroot=$(/usr/bin/rustc --print sysroot 2>/dev/null) || return 1
    [ -d "$sysroot/lib/rustlib/src/rust/library/std" ]
}

# weir-state-rocksdb links the system RocksDB (headers for bindgen, which
# needs libclang); see host/state-rocksdb/README.md. weir-connectors-kafka
# builds librdkafka from the sources rdkafka-sys bundles, with TLS from the
# system OpenSSL (found by pkg-config).
NATIVE_PACKAGES=(librocksdb-dev libclang-dev libssl-dev pkg-config make)
if ! dpkg -s "${NATIVE_PACKAGES[@]}" >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "RocksDB and Kafka connectors need (as root): apt-get install -y ${NATIVE_PACKAGES[*]}" >&2
        exit 1
    fi
    echo "Installing ${NATIVE_PACKAGES[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${NATIVE_PACKAGES[@]}"
fi

if have_prebuilt; then
    echo "wasm toolchain: rustc on PATH has the wasm32-unknown-unknown std"
    exit 0
fi
if have_debian; then
    echo "wasm toolchain: Debian rustc-web with rust-web-src and wasm-ld-15"
    exit 0
fi

command="apt-get update && apt-get install -y ${DEBIAN_PACKAGES[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "No wasm toolchain. Either run (as root):" >&2
    echo "    $command" >&2
    echo "or, with rustup: rustup target add wasm32-unknown-unknown" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "No wasm toolchain and no apt-get: run rustup target add wasm32-unknown-unknown" >&2
    exit 1
fi

echo "Installing ${DEBIAN_PACKAGES[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${DEBIAN_PACKAGES[@]}"

if have_debian; then
    echo "wasm toolchain: Debian rustc-web with rust-web-src and wasm-ld-15"
else
    echo "Installed ${DEBIAN_PACKAGES[*]} but the toolchain is still incomplete" >&2
    exit 1
fi
