#!/usr/bin/env bash
# cc-supervise.sh NAME runs chaincode server NAME (as deploy.sh described it in
# $WORK/chaincode/NAME/server.env) and restarts it when it exits: after 1 s,
# doubling up to 30 s while it keeps dying within 10 s of its start. Restarts
# are counted in $WORK/chaincode/NAME/restarts for status.sh. TERM stops the
# server, then the supervisor. deploy.sh starts it; down.sh stops it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: cc-supervise.sh NAME}
dir=$WORK/chaincode/$name
# shellcheck disable=SC1091
. "$dir/server.env"

child=
stopping=false
on_term() {
  stopping=true
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  rm -f "$WORK/pids/cc-$name-server.pid"
  exit 0
}
trap on_term TERM INT

restarts=0
backoff=1
echo 0 >"$dir/restarts"
while :; do
  started=$SECONDS
  # The server's environment is exactly this list: nothing inherited (a shell
  # set up for the peer CLI would, for example, switch the server to TLS).
  # TLS is given twice: CHAINCODE_TLS_* for chaincode/cmd/medledger, CORE_*
  # for chaincodes that let the contract API start the server (test/baseline).
  env -i PATH=/usr/bin:/bin HOME="$dir" \
    CHAINCODE_SERVER_ADDRESS="$CC_ADDRESS" \
    CHAINCODE_ID="$CC_PACKAGE_ID" \
    CORE_CHAINCODE_ID_NAME="$CC_PACKAGE_ID" \
    CHAINCODE_TLS_CERT_FILE="$CC_TLS_CERT" \
    CHAINCODE_TLS_KEY_FILE="$CC_TLS_KEY" \
    CHAINCODE_TLS_CLIENT_CA_FILE="$CC_TLS_CLIENT_CA" \
    CORE_PEER_TLS_ENABLED="$CC_TLS" \
    CORE_TLS_CLIENT_CERT_FILE="$CC_TLS_CERT" \
    CORE_TLS_CLIENT_KEY_FILE="$CC_TLS_KEY" \
    CORE_PEER_TLS_ROOTCERT_FILE="$CC_TLS_CLIENT_CA" \
    "$CC_BINARY" &
  child=$!
  echo "$child" >"$WORK/pids/cc-$name-server.pid"
  log "chaincode server $name started (pid $child, $CC_PACKAGE_ID on $CC_ADDRESS)"
  rc=0
  wait "$child" || rc=$?
  $stopping && exit 0
  restarts=$((restarts + 1))
  echo "$restarts" >"$dir/restarts"
  echo "$(date -u +%FT%TZ) exit $rc" >>"$dir/exits"
  if [ $((SECONDS - started)) -ge 10 ]; then
    backoff=1
  fi
  delay=$backoff
  backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
  log "chaincode server $name exited with status $rc; restart $restarts in ${delay}s"
  sleep "$delay" &
  wait $! || true
done
