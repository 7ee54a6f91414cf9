#!/usr/bin/env bash
# The main job end to end on an embedded default: a loopback registry with sample images.
# Sets the machine up first (scripts/setup.sh), so this is the one command for a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
AIRLOCK=.build/debug/airlock
PORT="${DEMO_PORT:-5070}"
NAME=demo

trap 'scripts/dev-registry.sh stop "$NAME" >/dev/null 2>&1 || true' EXIT
scripts/dev-registry.sh start "$NAME" "$PORT"
scripts/seed.sh "127.0.0.1:$PORT" --plain-http >/dev/null
REG="127.0.0.1:$PORT"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$AIRLOCK" tags "$REG/acme/runtime:8.12.*, 7.23.6.*"
step "$AIRLOCK" tags "$REG/acme/operator" "$REG/acme/agent:1.4.0" "$REG/acme/legacy:3.0"
echo
echo "demo: done (registry stopped on exit)"
