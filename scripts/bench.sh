#!/usr/bin/env bash
# Runs every benchmark and prints a table (figures are ratios against references from the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench
exec node dist/bench/run-all.js "$@"
