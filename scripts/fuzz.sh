#!/usr/bin/env bash
# Fuzzes everything that reads untrusted bytes with libFuzzer (+ AddressSanitizer):
#   scripts/fuzz.sh [SECONDS_EACH] [TARGET...]
#   targets (default: all): bundle manifest challenge reference folder-tar seek-table
#     folder-tar   a folder artifact's archive (tar or tar+gzip) as extract decides, stages and moves it
#     seek-table   a seek table's JSON as both readers bound and decode it and the verifier checks it
#                  against fixtures/tiny.bundle
# The long run, one process per target on both cores, after a short run has built .build-fuzz:
#   scripts/fuzz.sh 10 folder-tar
#   nice -n 19 scripts/fuzz.sh 4500 folder-tar & nice -n 19 scripts/fuzz.sh 4500 seek-table & wait
#   (at least 10^7 executions each; CONTRIBUTING.md, "Fuzz")
# Builds in .build-fuzz (first build: several minutes). Seeds come from fixtures/ and
# Tests/FuzzRegressions/; the growing corpus stays in .build-fuzz/corpus. A crash leaves its input
# in .build-fuzz/crashes/TARGET/: fix the bug, then copy the input to Tests/FuzzRegressions/TARGET/
# so the test suite replays it forever (FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
EACH="${1:-60}"; shift || true
TARGETS=("$@"); ((${#TARGETS[@]})) || TARGETS=(bundle manifest challenge reference folder-tar seek-table)
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
    folder-tar)  # folders below the root extract is given ("folder"): a normal one, and refusals
      python3 - "$out" <<'PY'
import gzip, io, sys, tarfile
tarfile.RECORDSIZE = 512  # no padding to 10 KiB: small inputs
def tar(members, name, gz=False):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, kind, value in members:
            info = tarfile.TarInfo(path)
            info.mtime, info.mode = 0, 0o755 if kind == "dir" or path.endswith(".sh") else 0o644
            if kind == "dir": info.type = tarfile.DIRTYPE
            elif kind == "link": info.type, info.linkname = tarfile.SYMTYPE, value
            elif kind == "hard": info.type, info.linkname = tarfile.LNKTYPE, value
            else: info.size = len(value)
            t.addfile(info, io.BytesIO(value) if kind == "file" else None)
    raw = data.getvalue()
    open(f"{sys.argv[1]}/{name}", "wb").write(gzip.compress(raw, mtime=0) if gz else raw)
normal = [("folder", "dir", None), ("folder/a.txt", "file", b"hello\n"), ("folder/sub", "dir", None),
          ("folder/sub/run.sh", "file", b"#!/bin/sh\n"), ("folder/sub/up", "link", "../a.txt"), ("folder/here", "link", "sub")]
tar(normal, "normal.tar"); tar(normal, "normal.tar.gz", gz=True)
tar([("folder", "dir", None), ("folder/out", "link", "../../etc/passwd")], "link-escapes.tar")
tar([("folder", "dir", None), ("folder/l", "link", "sub"), ("folder/sub", "link", "../.."), ("folder/l/x", "file", b"x")], "below-link.tar")
tar([("folder/a", "file", b"1"), ("folder/a", "file", b"2")], "duplicate.tar")
tar([("folder/../x", "file", b"x")], "dotdot.tar")
tar([("folder/a", "file", b"1"), ("folder/h", "hard", "folder/a")], "hardlink.tar")
PY
      ;;
    seek-table)  # the table of fixtures/tiny.bundle (its JSON, without the footer), and variants
      python3 - "$out" <<'PY'
import json, sys
data = open("fixtures/tiny.bundle", "rb").read()
table = data[-12 - int.from_bytes(data[-12:-4], "little"):-12]
out = sys.argv[1]
open(f"{out}/tiny.json", "wb").write(table)
parsed = json.loads(table)
def write(name, value): open(f"{out}/{name}.json", "w").write(json.dumps(value, separators=(",", ":"), sort_keys=True))
write("unescaped", parsed)
write("extra-member", dict(parsed, note="x"))
write("no-trailer", dict(parsed, frames=parsed["frames"][:-1]))
write("big-numbers", dict(parsed, dataOffset=2**62, frames=[[2**62, 2**62]] + parsed["frames"][1:]))
open(f"{out}/duplicate.json", "wb").write(table[:-1] + b',"seekTable":2}')
PY
      ;;
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
