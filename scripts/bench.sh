#!/usr/bin/env bash
# Runs every benchmark and prints a table (figures are ratios against references from the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node.sh
netmon_use_node
bash scripts/install-deps.sh bench
exec node dist/bench/run-all.js "$@"
