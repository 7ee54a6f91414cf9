#!/usr/bin/env bash
# Runs the whole test suite (unit, integration against loopback registries, CLI).
# Needs the packages from scripts/setup.sh. Extra arguments go to `swift test` (e.g. --filter Registry).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --no-build
swift build --build-tests
# The whole suite includes the packaging test (scripts/package-test.sh): build its static release
# binary first, on its own, so that build does not compete with the timed tests.
if (($# == 0)) && [[ "${AIRLOCK_SKIP_PACKAGE_TEST:-}" != 1 ]]; then
  scripts/package.sh --out .build-package/dist
fi
exec swift test --skip-build "$@"
