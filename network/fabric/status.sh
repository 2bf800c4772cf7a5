#!/usr/bin/env bash
# status.sh reports the network: each process up.sh/deploy.sh started (alive
# or not, by its pid file), the health of the orderer and peers (operations
# endpoints), the channel height on each peer, the committed chaincodes and
# each chaincode server with its restart count. Exit status 0 when everything
# is up, 1 when something is down (a crashed chaincode server the supervisor
# has not restarted yet counts as down).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ ! -f "$WORK/network.env" ]; then
  echo "network: not running (no $WORK)"
  exit 1
fi
load_network
problems=0
bad() { problems=$((problems + 1)); }

echo "network: Fabric $(fabric_version) from $FABRIC_BIN_DIR; work folder $WORK"
echo "batch timeout $BATCH_TIMEOUT, at most $BATCH_MAX_MESSAGES tx per block; chaincode TLS $CC_TLS"
node() {
  local name=$1 what=$2 ops=$3
  local state=down health=-
  pid_alive "$name" && state="running (pid $(cat "$WORK/pids/$name.pid"))"
  if healthy "$ops"; then health=OK; else health=FAILING; fi
  printf '  %-8s %-40s %-26s health %s\n' "$name" "$what" "$state" "$health"
  if [ "$state" = down ] || [ "$health" != OK ]; then bad; fi
}
echo "nodes:"
node orderer "orderer0 127.0.0.1:$ORDERER_PORT admin :$ORDERER_ADMIN_PORT" "$ORDERER_OPS_PORT"
node peer1 "peer0.org1 (Org1MSP) 127.0.0.1:$PEER1_PORT" "$PEER1_OPS_PORT"
node peer2 "peer0.org2 (Org2MSP) 127.0.0.1:$PEER2_PORT" "$PEER2_OPS_PORT"

echo "channel $CHANNEL:"
for org in 1 2; do
  if info=$(peer_cli "$org" channel getinfo -c "$CHANNEL" 2>&1); then
    printf '  peer0.org%s height %s\n' "$org" "$(grep -o '"height":[0-9]*' <<<"$info" | cut -d: -f2)"
  else
    printf '  peer0.org%s: %s\n' "$org" "$(tail -1 <<<"$info")"
    bad
  fi
done

echo "chaincodes:"
committed=$(peer_cli 1 lifecycle chaincode querycommitted -C "$CHANNEL" 2>&1 || true)
grep '^Name:' <<<"$committed" | sed 's/^/  committed: /' || echo "  none committed"
for d in "$WORK"/chaincode/*/; do
  [ -d "$d" ] || continue
  name=$(basename "$d")
  [ -f "$d/server.env" ] || continue
  # shellcheck disable=SC1091
  pkgid=$(. "$d/server.env" && echo "$CC_PACKAGE_ID")
  # shellcheck disable=SC1091
  addr=$(. "$d/server.env" && echo "$CC_ADDRESS")
  restarts=$(cat "$d/restarts" 2>/dev/null || echo 0)
  sup=down srv=down
  pid_alive "cc-$name-supervisor" && sup=running
  pid_alive "cc-$name-server" && srv="running (pid $(cat "$WORK/pids/cc-$name-server.pid"))"
  printf '  server %-10s %s on %s: %s, supervisor %s, %s restart(s)\n' "$name" "$pkgid" "$addr" "$srv" "$sup" "$restarts"
  if [ "$restarts" != 0 ]; then
    echo "    last exits: $(tail -3 "$d/exits" | tr '\n' ';')"
  fi
  if [ "$srv" = down ] || [ "$sup" != running ]; then bad; fi
done

if [ "$problems" -eq 0 ]; then
  echo "status: OK"
else
  echo "status: $problems problem(s); logs in $WORK/logs"
  exit 1
fi
