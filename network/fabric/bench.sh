#!/usr/bin/env bash
# bench.sh (make bench-fabric) brings up a fresh network, deploys medledger
# and the baseline chaincode beside it, runs ./network/fabric/bench (flags
# pass through, e.g. -duration 20s) and takes the network down again. It
# needs Fabric binaries; without them it says so and fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
find_binaries

"$FABRIC_DIR/up.sh"
trap '"$FABRIC_DIR/down.sh"' EXIT
"$FABRIC_DIR/deploy.sh" medledger
"$FABRIC_DIR/deploy.sh" baseline
log "benchmark on Fabric $(fabric_version), batch timeout ${FABRIC_BATCH_TIMEOUT:-10ms}"
cd "$REPO_ROOT"
go run ./network/fabric/bench -connection "$WORK/connection.json" -pids "$WORK/pids" "$@"
