#!/usr/bin/env bash
# Installs what netmon needs on Debian/Ubuntu, then its npm dependencies, then builds it.
#   scripts/install-deps.sh run    libpcap and a compiler (the cap addon builds against libpcap)
#   scripts/install-deps.sh test   the above plus the real tools the tests compare against
# Idempotent and quick when everything is already there. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

packages=(libpcap-dev build-essential python3 iproute2)
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  packages+=(tcpdump tcpreplay tshark prometheus prometheus-alertmanager curl)
  # setpriv, unshare, findmnt: test/deploy/capabilities.test.ts runs netmon with the DaemonSet's privileges.
  packages+=(util-linux mount)
  # The live view's tests: TLS material (openssl), $2y$ bcrypt hashes (htpasswd), netmon tail in a
  # pseudo-terminal (tmux), the status page in a headless browser (chromium, driven by playwright-core).
  packages+=(openssl apache2-utils tmux chromium)
fi
# The PostgreSQL sink's tests and benchmark start throw-away servers with this package's initdb and
# pg_ctl (in temp dirs on free loopback ports; the system service is not used).
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  packages+=(postgresql)
fi
# The benchmarks also count instructions (bench/filter-instructions.ts), which a shared machine's load does not skew.
if [ "$mode" = bench ]; then
  packages+=(valgrind)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "netmon: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Node.js that builds and runs netmon (scripts/node.sh): a supported one already on PATH, else
# the primary release of scripts/node-versions, fetched into .cache/node/. Says which in one line.
source scripts/node.sh
netmon_use_node

# npm ci only when the lockfile or the patches changed since the last install.
stamp=node_modules/.netmon-install-stamp
want=$(cat package-lock.json patches/* 2>/dev/null | sha256sum | cut -d' ' -f1)
fresh=
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -f "$stamp"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
  fresh=1
fi
# The cap addon, built for this Node.js's ABI against its headers (npm_config_nodedir), is kept as
# node_modules/cap/abi/<NODE_MODULE_VERSION>/cap.node, which the patched lib/Cap.js loads: one build
# per ABI, so switching Node.js (npm test runs 26 then 24, npm start then runs 26) builds each once,
# and a process already running on one Node.js keeps its file while the other is built. Any npm
# install or ci removes them all (postinstall), since it may have changed the patched sources.
abi=$(node -p process.versions.modules)
capdir=node_modules/cap/abi/$abi
if [ ! -f "$capdir/cap.node" ]; then
  [ -n "$fresh" ] || npm rebuild cap # after npm ci its postinstall has just built it with this Node.js
  mkdir -p "$capdir"
  cp node_modules/cap/build/Release/cap.node "$capdir/cap.node.tmp"
  echo "$(node --version) $npm_config_nodedir" > "$capdir/built-with"
  mv "$capdir/cap.node.tmp" "$capdir/cap.node"
fi
npm run --silent build
