#!/usr/bin/env bash
# Push airlock's deterministic sample images into a registry. All logic is in seed.py (stdlib only).
#   scripts/seed.sh REGISTRY_HOST:PORT [--plain-http | --ca-file F | --insecure]
#                   [--username U --password P] [--only NAME[,NAME]] [--json] [--dry-run]
set -euo pipefail
exec python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/seed.py" "$@"
