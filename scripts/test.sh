#!/usr/bin/env bash
# The whole test suite, once on each Node.js release of scripts/node-versions (26, then 24), each
# from .cache/node/ with the cap addon built for it: installs what the tests need (Debian packages,
# npm dependencies), builds, and runs every test file (unit and integration; integration tests need
# root for network namespaces). Prints how long each run took; fails if any run failed, and then
# repeats each failed run's failing tests with their errors at the very end, where a log's tail shows.
# NETMON_NODE_VERSION=X runs it on release X only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node.sh
if [ -n "${NETMON_NODE_VERSION:-}" ]; then
  versions=("$NETMON_NODE_VERSION")
else
  mapfile -t versions < <(netmon_pinned_nodes)
fi
status=0
summary=()
built_at=$(mktemp)
logs=$(mktemp -d)
trap 'rm -rf "$built_at" "$logs"' EXIT
for version in "${versions[@]}"; do
  start=$SECONDS
  echo "$start" > "$built_at"
  # A subshell per release, so that its PATH and nodedir do not leak into the next one; errexit is
  # set inside it because bash ignores it in a subshell that is an `if` or `||` condition.
  set +e
  (
    set -e
    netmon_use_node "$version"
    bash scripts/install-deps.sh test
    echo "$SECONDS" > "$built_at"
    mapfile -t files < <(find dist/test -name '*.test.js' | sort)
    node --test --test-reporter=spec "${files[@]}" 2>&1 | tee "$logs/$version"
  )
  rc=$?
  set -e
  result=passed
  [ "$rc" -eq 0 ] || { result="failed (exit $rc)"; status=1; }
  built=$(cat "$built_at")
  summary+=("netmon: the suite on Node.js v$version $result: tests $((SECONDS - built)) s, install and build $((built - start)) s")
  echo "${summary[-1]}"
done
for version in "${versions[@]}"; do
  if [ -f "$logs/$version" ] && grep -q '^✖ failing tests:' "$logs/$version"; then
    echo "netmon: the failing tests on Node.js v$version:"
    sed -n '/^✖ failing tests:/,$p' "$logs/$version" | head -n 300
  fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
