#!/usr/bin/env bash
# deploy.sh [NAME [GO_PACKAGE]] deploys a Go chaincode as a service on the
# running network, or upgrades it (same command, next sequence):
#   1. builds GO_PACKAGE (go build, from the repository root);
#   2. packages it as ccaas (connection.json + metadata.json, label NAME_SEQ)
#      and installs the package on both peers;
#   3. (re)starts the chaincode server under cc-supervise.sh with the package id;
#   4. approves the definition for Org1MSP and Org2MSP and commits it with the
#      endorsement policy AND('Org1MSP.peer','Org2MSP.peer');
#   5. waits until both peers answer a call to it.
# NAME defaults to medledger (./chaincode/cmd/medledger, port 9999);
# "baseline" is ./test/baseline on port 9998. Any other NAME needs
# GO_PACKAGE and FABRIC_CC_PORT.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_network

name=${1:-medledger}
case "$name" in
medledger)
  pkg=${2:-./chaincode/cmd/medledger}
  port=${FABRIC_CC_PORT:-$MEDLEDGER_CC_PORT}
  ;;
baseline)
  pkg=${2:-./test/baseline}
  port=${FABRIC_CC_PORT:-$BASELINE_CC_PORT}
  ;;
*)
  pkg=${2:?"usage: deploy.sh NAME GO_PACKAGE (with FABRIC_CC_PORT set) for a chaincode other than medledger or baseline"}
  port=${FABRIC_CC_PORT:?"set FABRIC_CC_PORT to the port chaincode $name listens on"}
  ;;
esac
[[ "$name" =~ ^[a-z][a-z0-9_-]*$ ]] || die "chaincode name '$name' must be lower case letters, digits, '_' or '-'"
policy="AND('Org1MSP.peer','Org2MSP.peer')"
dir=$WORK/chaincode/$name
mkdir -p "$dir"

# --- next sequence -----------------------------------------------------------
committed=$(peer_cli 1 lifecycle chaincode querycommitted -C "$CHANNEL" -n "$name" -O json 2>&1) || true
if current=$(grep -o '"sequence": *[0-9]*' <<<"$committed" | grep -o '[0-9]*$'); then
  seq=$((current + 1))
  log "$name is at sequence $current: upgrading to $seq"
else
  grep -q 'not defined\|not found\|does not exist' <<<"$committed" ||
    die "cannot read the committed definition of $name: $committed"
  seq=1
  log "$name is not deployed: deploying sequence 1"
fi
label=${name}_$seq
version=${FABRIC_CC_VERSION:-$seq}

# --- build first, so a compile error leaves the running version alone ---------
bin=$dir/bin/$name-$seq
log "building $pkg"
mkdir -p "$dir/bin"
(cd "$REPO_ROOT" && go build -o "$bin" "$pkg") || die "go build $pkg failed"

# --- package -----------------------------------------------------------------
pem_json() { awk '{printf "%s\\n", $0}' "$1"; }
ccorg=$CRYPTO/peerOrganizations/chaincode.medledger.local
srv=$ccorg/peers/$name.chaincode.medledger.local/tls
pd=$dir/pkg-$seq
rm -rf "$pd"
mkdir -p "$pd/code"
if [ "$CC_TLS" = true ]; then
  [ -d "$srv" ] || die "no TLS certificate for chaincode server $name (cryptogen issues them for medledger and baseline only); use FABRIC_CC_TLS=false"
  cli=$ccorg/users/Admin@chaincode.medledger.local/tls
  cat >"$pd/code/connection.json" <<EOF
{
  "address": "127.0.0.1:$port",
  "dial_timeout": "10s",
  "tls_required": true,
  "client_auth_required": true,
  "root_cert": "$(pem_json "$srv/ca.crt")",
  "client_cert": "$(pem_json "$cli/client.crt")",
  "client_key": "$(pem_json "$cli/client.key")"
}
EOF
else
  cat >"$pd/code/connection.json" <<EOF
{
  "address": "127.0.0.1:$port",
  "dial_timeout": "10s",
  "tls_required": false
}
EOF
fi
printf '{"type": "ccaas", "label": "%s"}\n' "$label" >"$pd/metadata.json"
tar -C "$pd/code" -czf "$pd/code.tar.gz" connection.json
tar -C "$pd" -czf "$dir/$label.tar.gz" metadata.json code.tar.gz
pkgid=$(peer_cli 1 lifecycle chaincode calculatepackageid "$dir/$label.tar.gz")
log "package $pkgid"

for org in 1 2; do
  if peer_cli "$org" lifecycle chaincode queryinstalled 2>/dev/null | grep -q "Package ID: $pkgid,"; then
    log "already installed on peer0.org$org"
  else
    log "installing on peer0.org$org"
    peer_cli "$org" lifecycle chaincode install "$dir/$label.tar.gz" >>"$WORK/logs/deploy.log" 2>&1 ||
      die "install on peer0.org$org failed: see $WORK/logs/deploy.log"
  fi
done

# --- chaincode server ------------------------------------------------------------
if pid_alive "cc-$name-supervisor"; then
  log "stopping the previous $name server"
fi
stop_process "cc-$name-supervisor"
stop_process "cc-$name-server"
wait_for 10 "port $port free" port_free "$port" || die "port $port is still in use: something else listens there"
cat >"$dir/server.env" <<EOF
CC_BINARY=$bin
CC_PACKAGE_ID=$pkgid
CC_ADDRESS=127.0.0.1:$port
CC_TLS=$CC_TLS
CC_TLS_CERT=$([ "$CC_TLS" = true ] && echo "$srv/server.crt")
CC_TLS_KEY=$([ "$CC_TLS" = true ] && echo "$srv/server.key")
CC_TLS_CLIENT_CA=$([ "$CC_TLS" = true ] && echo "$srv/ca.crt")
EOF
start_process "cc-$name-supervisor" PATH=/usr/bin:/bin HOME="$dir" FABRIC_WORK="$WORK" \
  -- "$FABRIC_DIR/cc-supervise.sh" "$name"
listening() { ! port_free "$port"; }
wait_for 30 "$name server on 127.0.0.1:$port" listening ||
  die "$name server is not listening on $port: see $WORK/logs/cc-$name-supervisor.log"

# --- approve and commit -----------------------------------------------------------
# shellcheck disable=SC2046
for org in 1 2; do
  log "approving $name sequence $seq for $(org_msp "$org")"
  peer_cli "$org" lifecycle chaincode approveformyorg $(orderer_flags) -C "$CHANNEL" -n "$name" \
    --version "$version" --package-id "$pkgid" --sequence "$seq" --signature-policy "$policy" \
    >>"$WORK/logs/deploy.log" 2>&1 || die "approve for $(org_msp "$org") failed: see $WORK/logs/deploy.log"
done
log "committing $name sequence $seq (policy $policy)"
# shellcheck disable=SC2046
peer_cli 1 lifecycle chaincode commit $(orderer_flags) -C "$CHANNEL" -n "$name" \
  --version "$version" --sequence "$seq" --signature-policy "$policy" $(both_peers_flags) \
  >>"$WORK/logs/deploy.log" 2>&1 || die "commit failed: see $WORK/logs/deploy.log"

# Every contract-api chaincode answers org.hyperledger.fabric:GetMetadata;
# asking each peer proves it reaches the server with the new package id.
for org in 1 2; do
  answers() { peer_cli "$org" chaincode query -C "$CHANNEL" -n "$name" -c '{"Args":["org.hyperledger.fabric:GetMetadata"]}'; }
  wait_for 30 "peer0.org$org calls $name" answers ||
    die "peer0.org$org cannot call $name: see $WORK/logs/peer$org.log and $WORK/logs/cc-$name-supervisor.log"
done
echo "$seq" >"$dir/sequence"
log "$name sequence $seq deployed ($pkgid)"
"$FABRIC_DIR/connection.sh" >/dev/null
