#!/usr/bin/env bash
# Prerequisites of pas-wasm's build and tests on a fresh Debian machine (root, Node 20, npm,
# rustup). Idempotent, and quick when everything is already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

rustup target add wasm32-unknown-unknown

pinned="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/Cargo.toml")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$pinned" ]; then
  # opt-level 1 without LTO: ~30 % less compile time on a 2-core machine; the CLI and the test
  # runner then take ~0.3 s instead of ~0.2 s on pas-wasm's modules, and output the same bytes.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$pinned"
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

# binaryen (wasm-opt) and zod (bench baseline), from package-lock.json.
(cd "$here" && npm ci --no-audit --no-fund)
