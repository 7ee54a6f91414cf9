#!/usr/bin/env bash
# The main job end to end on an embedded default: two loopback registries (a vendor's source and an
# air-gapped target) with sample images, and every role's commands between them.
# Sets the machine up first (scripts/setup.sh), so this is the one command for a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
scripts/setup.sh
AIRLOCK="$ROOT/.build/debug/airlock"
SRC_PORT="${DEMO_PORT:-5070}"
DST_PORT="$((SRC_PORT + 1))"
WORK="$(mktemp -d /tmp/airlock-demo.XXXXXX)"

cleanup() {
  "$ROOT/scripts/dev-registry.sh" stop demo-src >/dev/null 2>&1 || true
  "$ROOT/scripts/dev-registry.sh" stop demo-dst >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/dev-registry.sh start demo-src "$SRC_PORT"
scripts/dev-registry.sh start demo-dst "$DST_PORT"
scripts/seed.sh "127.0.0.1:$SRC_PORT" --plain-http >/dev/null
SRC="127.0.0.1:$SRC_PORT" DST="127.0.0.1:$DST_PORT"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
cd "$WORK"
cat > spec.yaml <<SPEC
name: acme-platform
version: 2.10.2
images:
  - ref: $SRC/acme/runtime
    tags: ["8.12.*", "7.23.6.*"]
  - ref: $SRC/acme/operator:2.10.2
  - ref: $SRC/acme/agent:1.4.0
SPEC

echo "== vendor: preview, keys, pack"
step "$AIRLOCK" tags "$SRC/acme/runtime:8.12.*, 7.23.6.*"
step "$AIRLOCK" keygen --out vendor
step "$AIRLOCK" pack spec.yaml -o acme-2.10.2.tar.zst --key vendor.key

echo; echo "== security team: inspect, verify, countersign"
step "$AIRLOCK" inspect acme-2.10.2.tar.zst --key vendor.pub
step "$AIRLOCK" verify acme-2.10.2.tar.zst --key vendor.pub
step "$AIRLOCK" keygen --out security --type ed25519
step "$AIRLOCK" sign acme-2.10.2.tar.zst --key security.key

echo; echo "== air-gapped admin: push with both keys, then unpack"
step "$AIRLOCK" push acme-2.10.2.tar.zst --to "$DST/vendor" --key vendor.pub --key security.pub --mapping mapping.json
step "$AIRLOCK" push acme-2.10.2.tar.zst --to "$DST/vendor" --key vendor.pub --key security.pub
step "$AIRLOCK" unpack acme-2.10.2.tar.zst --to-dir layout --key vendor.pub
step skopeo inspect --tls-verify=false "docker://$DST/vendor/acme/runtime:8.12.10" --format '{{.Digest}} {{.Architecture}}'

echo
echo "demo: done; files in $WORK (registries stopped on exit)"
