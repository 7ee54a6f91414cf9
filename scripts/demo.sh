#!/usr/bin/env bash
# The main job end to end on an embedded default: two loopback registries (a vendor's source and an
# air-gapped target) with sample images, and every role's commands between them.
# Sets the machine up first (scripts/setup.sh), so this is the one command for a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
scripts/setup.sh
SRC_PORT="${DEMO_PORT:-5070}"
DST_PORT="$((SRC_PORT + 1))"
WORK="$(mktemp -d /tmp/airlock-demo.XXXXXX)"

cleanup() {
  "$ROOT/scripts/dev-registry.sh" stop src >/dev/null 2>&1 || true
  "$ROOT/scripts/dev-registry.sh" stop site >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The README's "four roles" block, verbatim but for the ports and the scripts' path: the README
# cannot show a command that does not work.
awk '/<!-- roles:begin -->/{f=1; next} /<!-- roles:end -->/{f=0} f && !/^```/' README.md \
  | sed -e "s#scripts/#$ROOT/scripts/#g" -e "s/\b5000\b/$SRC_PORT/g" -e "s/\b5001\b/$DST_PORT/g" > "$WORK/roles.sh"
[[ -s "$WORK/roles.sh" ]] || { echo "demo: README has no roles block" >&2; exit 1; }

cd "$WORK"
export PATH="$ROOT/.build/debug:$PATH"
PS4=$'\n\033[1m$\033[0m ' bash -o errexit -o pipefail -o xtrace roles.sh

echo
echo "demo: done; files in $WORK (registries stopped)"
