#!/usr/bin/env bash
# Installs what netmon needs (libpcap, npm dependencies), builds it, and runs it with the given arguments.
#   npm start -- run --interface eth0
set -euo pipefail
cd "$(dirname "$0")/.."
# The Node.js that builds and runs it (scripts/node.sh); install-deps.sh uses the same one.
source scripts/node.sh
netmon_use_node
bash scripts/install-deps.sh run >&2
exec node bin/netmon.js "$@"
