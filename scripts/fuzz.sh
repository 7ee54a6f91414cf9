#!/usr/bin/env bash
# Fuzzes everything that reads untrusted bytes with libFuzzer (+ AddressSanitizer):
#   scripts/fuzz.sh [SECONDS_EACH] [TARGET...]     targets: bundle manifest challenge reference
# Builds in .build-fuzz (first build: several minutes). Seeds come from fixtures/ and
# Tests/FuzzRegressions/; the growing corpus stays in .build-fuzz/corpus. A crash leaves its input
# in .build-fuzz/crashes/TARGET/: fix the bug, then copy the input to Tests/FuzzRegressions/TARGET/
# so the test suite replays it forever (FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
EACH="${1:-60}"; shift || true
TARGETS=("$@"); ((${#TARGETS[@]})) || TARGETS=(bundle manifest challenge reference)
SCRATCH=.build-fuzz

echo "fuzz: building (libFuzzer + ASan) in $SCRATCH" >&2
# Optimized: a debug build spends most of each run in unoptimized byte loops (about 10x fewer runs).
swift build -c release --scratch-path "$SCRATCH" --product airlock-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -E "error|Build complete" >&2 || true
BIN="$SCRATCH/release/airlock-fuzz"
[[ -x "$BIN" ]] || { echo "fuzz: build failed; rerun the swift build line above to see why" >&2; exit 1; }

seeds() {  # seeds for one target, into $1
  local out="$1" target="$2" work
  mkdir -p "$out"
  cp -f Tests/FuzzRegressions/"$target"/* "$out"/ 2>/dev/null || true
  case "$target" in
    bundle)  # the fixture, and a 67 KiB re-signed copy with tiny layers (most runs start small)
      cp -f fixtures/tiny.bundle "$out/tiny.bundle"
      work="$(mktemp -d)"
      python3 scripts/bad-bundles.py fixtures/tiny.bundle fixtures/keys/test-ed25519.key "$work" >/dev/null
      cp -f "$work/small-layers-accepted.bundle" "$out/small.bundle"; rm -rf "$work" ;;
    manifest)
      work="$(mktemp -d)"; zstd -dc fixtures/tiny.bundle | tar -x -C "$work"
      cp -f "$work/airlock-bundle.json" "$out/bundle-manifest.json"; cp -f "$work/index.json" "$out/index.json"
      for f in "$work"/blobs/sha256/*; do head -c 1 "$f" | grep -q '{' && cp -f "$f" "$out/$(basename "$f").json"; done
      rm -rf "$work" ;;
    challenge)
      printf '%s' 'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:acme/app:pull,push"' > "$out/bearer"
      printf '%s' 'Basic realm="x", Bearer realm="https://a/t",error="insufficient_scope",scope="a b"' > "$out/two" ;;
    reference)
      printf '%s' 'registry.example.com:5000/acme/app:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' > "$out/full"
      printf '%s' 'ubuntu' > "$out/short" ;;
  esac
}

total=0
for target in "${TARGETS[@]}"; do
  corpus="$SCRATCH/corpus/$target"; crashes="$SCRATCH/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  seeds "$SCRATCH/seeds/$target" "$target"
  log="$SCRATCH/fuzz-$target.log"
  echo "fuzz: $target for ${EACH}s" >&2
  set +e
  AIRLOCK_FUZZ_TARGET="$target" "$BIN" "$corpus" "$SCRATCH/seeds/$target" \
    -max_total_time="$EACH" -max_len="$([[ $target == bundle ]] && echo 131072 || echo 65536)" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  total=$((total + ${runs:-0}))
  if ((status != 0)); then
    echo "fuzz: $target FOUND A CRASH after ${runs:-?} runs (status $status); input in $crashes/, log $log" >&2
    grep -E "ERROR|Fatal|SUMMARY" "$log" | head -5 >&2
  else
    echo "fuzz: $target: ${runs:-?} runs, no crash" >&2
  fi
done
echo "fuzz: $total executions in total" >&2
