#!/usr/bin/env bash
# test.sh (make test-fabric) runs the SDK's end-to-end suite (./test/...) and
# then the quickstart (./examples/quickstart) against the real Fabric
# network, each on a fresh network (the two play the same people, so one
# would see the other's grants): up, deploy medledger, run, status, down —
# and down also when a step fails. Without Fabric binaries it prints why it
# skips and exits 0 (it is not part of .ci/run). FABRIC_TEST_FLAGS are extra
# `go test` flags (for example -v or -run).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ! msg=$( (find_binaries) 2>&1); then
  echo "SKIP test-fabric: ${msg#*ERROR: }"
  exit 0
fi
find_binaries
trap '"$FABRIC_DIR/down.sh"' EXIT
cd "$REPO_ROOT"
read -r -a flags <<<"${FABRIC_TEST_FLAGS:-}"
export MEDLEDGER_CONNECTION=$WORK/connection.json

# on_fresh_network NAME CMD...: runs CMD on a new network, then takes it down.
failed=()
on_fresh_network() {
  local name=$1
  shift
  "$FABRIC_DIR/up.sh"
  "$FABRIC_DIR/deploy.sh" medledger
  log "$name: $*"
  if "$@"; then
    log "$name: PASS"
  else
    log "$name: FAIL"
    failed+=("$name")
  fi
  "$FABRIC_DIR/status.sh" || failed+=("$name: network status after the run")
  "$FABRIC_DIR/down.sh"
}

on_fresh_network "end-to-end suite" go test -count=1 "${flags[@]}" ./test/...
if [ -d examples/quickstart ]; then
  on_fresh_network "quickstart" go run ./examples/quickstart -connection "$MEDLEDGER_CONNECTION"
else
  log "quickstart: examples/quickstart not found, not run"
fi

if [ "${#failed[@]}" -eq 0 ]; then
  log "test-fabric: PASS on Fabric $(fabric_version)"
else
  log "test-fabric: FAIL on Fabric $(fabric_version): ${failed[*]}"
  exit 1
fi
