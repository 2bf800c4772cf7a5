#!/usr/bin/env bash
# up.sh starts the MedLedger development network from Fabric release binaries:
# one Raft orderer (OrdererMSP), one peer for Org1MSP and one for Org2MSP, TLS
# everywhere, all on 127.0.0.1, channel "mychannel" created through the
# orderer's channel participation API. Everything it writes is under
# network/fabric/work/ (or $FABRIC_WORK); down.sh stops it and removes that.
# It returns only when every node reports healthy and each peer sees the
# other organisation's peer through gossip (so two-org endorsement works).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

default_ports
find_binaries

if [ -e "$WORK" ]; then
  die "$WORK already exists: run network/fabric/down.sh (make network-down) first"
fi
for p in "$ORDERER_PORT" "$ORDERER_ADMIN_PORT" "$ORDERER_OPS_PORT" \
  "$PEER1_PORT" "$PEER1_CC_PORT" "$PEER1_OPS_PORT" \
  "$PEER2_PORT" "$PEER2_CC_PORT" "$PEER2_OPS_PORT"; do
  port_free "$p" || die "port $p on 127.0.0.1 is in use: stop what holds it or choose other FABRIC_*_PORT values (see README.md)"
done

mkdir -p "$WORK"/{logs,pids,data,channel}
touch "$WORK/$WORK_MARKER"
# If anything below fails, stop what was started so no process is orphaned.
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "up failed (exit $rc); stopping what was started; logs in $WORK/logs"
    "$FABRIC_DIR/down.sh" --keep-work || true
  fi
}
trap on_exit EXIT

log "Fabric $(fabric_version) from $FABRIC_BIN_DIR, config from $CFG_DIR, work folder $WORK"

cat >"$WORK/network.env" <<EOF
# Written by up.sh; read by the other scripts. Not meant to be edited.
FABRIC_BIN_DIR=$FABRIC_BIN_DIR
CFG_DIR=$CFG_DIR
ORDERER_PORT=$ORDERER_PORT
ORDERER_ADMIN_PORT=$ORDERER_ADMIN_PORT
ORDERER_OPS_PORT=$ORDERER_OPS_PORT
PEER1_PORT=$PEER1_PORT
PEER1_CC_PORT=$PEER1_CC_PORT
PEER1_OPS_PORT=$PEER1_OPS_PORT
PEER2_PORT=$PEER2_PORT
PEER2_CC_PORT=$PEER2_CC_PORT
PEER2_OPS_PORT=$PEER2_OPS_PORT
MEDLEDGER_CC_PORT=$MEDLEDGER_CC_PORT
BASELINE_CC_PORT=$BASELINE_CC_PORT
BATCH_TIMEOUT=$BATCH_TIMEOUT
BATCH_MAX_MESSAGES=$BATCH_MAX_MESSAGES
USERS=$USERS
CC_TLS=$CC_TLS
EOF

fill() {
  sed -e "s|@WORK@|$WORK|g" -e "s|@USERS@|$USERS|g" \
    -e "s|@ORDERER_PORT@|$ORDERER_PORT|g" -e "s|@PEER1_PORT@|$PEER1_PORT|g" -e "s|@PEER2_PORT@|$PEER2_PORT|g" \
    -e "s|@BATCH_TIMEOUT@|$BATCH_TIMEOUT|g" -e "s|@BATCH_MAX_MESSAGES@|$BATCH_MAX_MESSAGES|g" "$1"
}

log "crypto material (cryptogen, NodeOUs on, $USERS users per org)"
fill "$FABRIC_DIR/templates/crypto-config.yaml" >"$WORK/crypto-config.yaml"
"$FABRIC_BIN_DIR/cryptogen" generate --config="$WORK/crypto-config.yaml" --output="$CRYPTO" >"$WORK/logs/cryptogen.log" 2>&1 ||
  die "cryptogen failed: see $WORK/logs/cryptogen.log"

log "genesis block of $CHANNEL (etcdraft, batch timeout $BATCH_TIMEOUT, at most $BATCH_MAX_MESSAGES tx per block)"
fill "$FABRIC_DIR/templates/configtx.yaml" >"$WORK/channel/configtx.yaml"
"$FABRIC_BIN_DIR/configtxgen" -configPath "$WORK/channel" -profile MedLedgerChannel -channelID "$CHANNEL" \
  -outputBlock "$WORK/channel/$CHANNEL.block" >"$WORK/logs/configtxgen.log" 2>&1 ||
  die "configtxgen failed: see $WORK/logs/configtxgen.log"

# Fabric's default log format has terminal colour codes; the logs go to files.
LOG_FORMAT='%{time:2006-01-02 15:04:05.000 MST} %{level:.4s} [%{module}] %{shortfunc} -> %{message}'

# --- orderer ---------------------------------------------------------------
od=$(orderer_dir)
oadmin=$(orderer_admin_dir)
log "starting orderer on 127.0.0.1:$ORDERER_PORT (admin $ORDERER_ADMIN_PORT, operations $ORDERER_OPS_PORT)"
start_process orderer \
  PATH=/usr/bin:/bin HOME="$WORK/data" FABRIC_CFG_PATH="$CFG_DIR" \
  FABRIC_LOGGING_SPEC="${FABRIC_LOGGING_SPEC:-INFO}" FABRIC_LOGGING_FORMAT="$LOG_FORMAT" \
  ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
  ORDERER_GENERAL_LISTENPORT="$ORDERER_PORT" \
  ORDERER_GENERAL_LOCALMSPID=OrdererMSP \
  ORDERER_GENERAL_LOCALMSPDIR="$od/msp" \
  ORDERER_GENERAL_TLS_ENABLED=true \
  ORDERER_GENERAL_TLS_PRIVATEKEY="$od/tls/server.key" \
  ORDERER_GENERAL_TLS_CERTIFICATE="$od/tls/server.crt" \
  ORDERER_GENERAL_TLS_ROOTCAS="$od/tls/ca.crt" \
  ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$od/tls/server.crt" \
  ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$od/tls/server.key" \
  ORDERER_GENERAL_CLUSTER_ROOTCAS="$od/tls/ca.crt" \
  ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
  ORDERER_CHANNELPARTICIPATION_ENABLED=true \
  ORDERER_FILELEDGER_LOCATION="$WORK/data/orderer" \
  ORDERER_CONSENSUS_WALDIR="$WORK/data/orderer/etcdraft/wal" \
  ORDERER_CONSENSUS_SNAPDIR="$WORK/data/orderer/etcdraft/snap" \
  ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$ORDERER_OPS_PORT" \
  ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$ORDERER_ADMIN_PORT" \
  ORDERER_ADMIN_TLS_ENABLED=true \
  ORDERER_ADMIN_TLS_PRIVATEKEY="$od/tls/server.key" \
  ORDERER_ADMIN_TLS_CERTIFICATE="$od/tls/server.crt" \
  ORDERER_ADMIN_TLS_ROOTCAS="$od/tls/ca.crt" \
  ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
  ORDERER_ADMIN_TLS_CLIENTROOTCAS="$od/tls/ca.crt" \
  -- "$FABRIC_BIN_DIR/orderer"
wait_for 30 "orderer health" healthy "$ORDERER_OPS_PORT" || die "orderer not healthy after 30 s: see $WORK/logs/orderer.log"

# --- peers -----------------------------------------------------------------
# CORE_VM_ENDPOINT="": without a Docker daemon the peer's Docker health check
# never passes otherwise. The only builder is our ccaas one, given through the
# environment so the stock core.yaml is used unchanged. Gossip: each peer
# bootstraps from itself (one peer per org), is reachable by the other org at
# its external endpoint (learned from the anchor peers in the genesis block),
# and retries a lost peer every FABRIC_GOSSIP_RECONNECT (default 2s, Fabric's
# default is 25s, which delays the second endorsement by half a minute).
# State info (ledger height, installed chaincodes: what the gateway uses to
# pick endorsers) and the membership metric we wait on are refreshed every
# second instead of every 4 s / 5 s. Alive messages go every 2 s, but a peer
# is declared dead only after Fabric's default 25 s without one: with 10 s, a
# 16-client benchmark saturating both cores once lost the other org's peer
# from the gateway's view ("no combination of peers can be derived").
# Fabric 2.5 ignores an empty CORE_VM_ENDPOINT (its configuration loader
# drops empty variables; 3.x keeps them), so for 2.x the peers get a copy of
# core.yaml whose vm.endpoint line is emptied: the only change made to it.
PEER_CFG_DIR=$CFG_DIR
if [ "$(fabric_version | cut -d. -f1)" = 2 ]; then
  PEER_CFG_DIR=$WORK/peer-config
  mkdir -p "$PEER_CFG_DIR"
  sed -E 's|^([[:space:]]*endpoint:[[:space:]]*)unix:///var/run/docker.sock[[:space:]]*$|\1""|' \
    "$CFG_DIR/core.yaml" >"$PEER_CFG_DIR/core.yaml"
  grep -Eq '^[[:space:]]*endpoint:[[:space:]]*""$' "$PEER_CFG_DIR/core.yaml" ||
    die "could not empty vm.endpoint in a copy of $CFG_DIR/core.yaml (Fabric 2.x needs it empty without Docker)"
  log "Fabric 2.x: peers use $PEER_CFG_DIR/core.yaml (vm.endpoint emptied)"
fi

start_peer() {
  local org=$1 pd port ccport ops
  pd=$(peer_dir "$org")
  port=$(peer_port "$org")
  ccport=$(peer_cc_port "$org")
  ops=$(peer_ops_port "$org")
  log "starting $(peer_host "$org") ($(org_msp "$org")) on 127.0.0.1:$port (operations $ops)"
  mkdir -p "$WORK/data/peer$org"
  start_process "peer$org" \
    PATH=/usr/bin:/bin HOME="$WORK/data/peer$org" FABRIC_CFG_PATH="$PEER_CFG_DIR" \
    FABRIC_LOGGING_SPEC="${FABRIC_LOGGING_SPEC:-INFO}" FABRIC_LOGGING_FORMAT="$LOG_FORMAT" \
    CORE_VM_ENDPOINT= \
    CORE_PEER_ID="$(peer_host "$org")" \
    CORE_PEER_LOCALMSPID="$(org_msp "$org")" \
    CORE_PEER_MSPCONFIGPATH="$pd/msp" \
    CORE_PEER_LISTENADDRESS="127.0.0.1:$port" \
    CORE_PEER_ADDRESS="127.0.0.1:$port" \
    CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$ccport" \
    CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$ccport" \
    CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_CERT_FILE="$pd/tls/server.crt" \
    CORE_PEER_TLS_KEY_FILE="$pd/tls/server.key" \
    CORE_PEER_TLS_ROOTCERT_FILE="$pd/tls/ca.crt" \
    CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$port" \
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$port" \
    CORE_PEER_GOSSIP_USELEADERELECTION=false \
    CORE_PEER_GOSSIP_ORGLEADER=true \
    CORE_PEER_GOSSIP_RECONNECTINTERVAL="${FABRIC_GOSSIP_RECONNECT:-2s}" \
    CORE_PEER_GOSSIP_ALIVETIMEINTERVAL=2s \
    CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=25s \
    CORE_PEER_GOSSIP_MEMBERSHIPTRACKERINTERVAL=1s \
    CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s \
    CORE_PEER_FILESYSTEMPATH="$WORK/data/peer$org" \
    CORE_LEDGER_SNAPSHOTS_ROOTDIR="$WORK/data/peer$org/snapshots" \
    CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$ops" \
    CORE_METRICS_PROVIDER=prometheus \
    CORE_CHAINCODE_EXTERNALBUILDERS="[{name: ccaas, path: $FABRIC_DIR/builders/ccaas}]" \
    -- "$FABRIC_BIN_DIR/peer" node start
}
start_peer 1
start_peer 2
wait_for 60 "peer0.org1 health" healthy "$PEER1_OPS_PORT" || die "peer0.org1 not healthy after 60 s: see $WORK/logs/peer1.log"
wait_for 60 "peer0.org2 health" healthy "$PEER2_OPS_PORT" || die "peer0.org2 not healthy after 60 s: see $WORK/logs/peer2.log"

# --- channel ---------------------------------------------------------------
log "orderer joins $CHANNEL (osnadmin, channel participation API)"
"$FABRIC_BIN_DIR/osnadmin" channel join --channelID "$CHANNEL" --config-block "$WORK/channel/$CHANNEL.block" \
  -o "127.0.0.1:$ORDERER_ADMIN_PORT" --ca-file "$od/tls/ca.crt" \
  --client-cert "$oadmin/tls/client.crt" --client-key "$oadmin/tls/client.key" >"$WORK/logs/osnadmin.log" 2>&1 ||
  die "osnadmin channel join failed: see $WORK/logs/osnadmin.log"

orderer_has_leader() {
  "$FABRIC_BIN_DIR/osnadmin" channel list --channelID "$CHANNEL" -o "127.0.0.1:$ORDERER_ADMIN_PORT" \
    --ca-file "$od/tls/ca.crt" --client-cert "$oadmin/tls/client.crt" --client-key "$oadmin/tls/client.key" |
    grep -q '"status": *"active"' &&
    grep -q 'Raft leader changed: 0 -> ' "$WORK/logs/orderer.log"
}
wait_for 30 "orderer Raft leader for $CHANNEL" orderer_has_leader || die "orderer elected no Raft leader: see $WORK/logs/orderer.log"

for org in 1 2; do
  log "peer0.org$org joins $CHANNEL"
  peer_cli "$org" channel join -b "$WORK/channel/$CHANNEL.block" >>"$WORK/logs/channel-join.log" 2>&1 ||
    die "peer0.org$org could not join $CHANNEL: see $WORK/logs/channel-join.log and $WORK/logs/peer$org.log"
done

# Each peer must know the other organisation's peer (gossip, through the
# anchor peers) before the gateway can collect both endorsements.
sees_other_org() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" |
    grep -Eq "^gossip_membership_total_peers_known\{channel=\"$CHANNEL\"\} [1-9]"
}
wait_for 60 "peer0.org1 sees peer0.org2 (gossip)" sees_other_org "$PEER1_OPS_PORT" || die "peer0.org1 never saw peer0.org2 through gossip: see $WORK/logs/peer1.log"
wait_for 60 "peer0.org2 sees peer0.org1 (gossip)" sees_other_org "$PEER2_OPS_PORT" || die "peer0.org2 never saw peer0.org1 through gossip: see $WORK/logs/peer2.log"

"$FABRIC_DIR/connection.sh" >/dev/null
log "network ready: channel $CHANNEL, connection file $WORK/connection.json; next: network/fabric/deploy.sh"
