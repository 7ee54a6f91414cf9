#!/usr/bin/env bash
# Runs the whole test suite (unit, integration against loopback registries, CLI).
# Needs the packages from scripts/setup.sh. Extra arguments go to `swift test` (e.g. --filter Registry).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --no-build
swift build --build-tests
exec swift test --skip-build "$@"
