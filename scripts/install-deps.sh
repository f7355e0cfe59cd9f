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
  # The live view's tests: TLS material (openssl), $2y$ bcrypt hashes (htpasswd), netmon tail in a
  # pseudo-terminal (tmux), the status page in a headless browser (chromium, driven by playwright-core).
  packages+=(openssl apache2-utils tmux chromium)
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

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "netmon: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm ci only when the lockfile or the patches changed since the last install.
stamp=node_modules/.netmon-install-stamp
want=$(cat package-lock.json patches/* 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
npm run --silent build
