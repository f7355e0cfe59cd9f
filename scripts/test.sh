#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Debian packages, npm dependencies), builds,
# and runs every test file (unit and integration; integration tests need root for network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-reporter=spec "${files[@]}"
