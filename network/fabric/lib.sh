# shellcheck shell=bash disable=SC2034
# Shared by up.sh, down.sh, deploy.sh, status.sh and peer.sh; sourced, never run.
# It only defines variables and functions: every side effect is in the scripts.

FABRIC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$FABRIC_DIR/../.." && pwd)
WORK=${FABRIC_WORK:-$FABRIC_DIR/work}
# down.sh removes $WORK only when this marker is in it, so a mistyped
# FABRIC_WORK can never delete anything else.
WORK_MARKER=.medledger-fabric-work
CHANNEL=mychannel
CRYPTO=$WORK/crypto
ORDERER_DOMAIN=orderer.medledger.local
ORDERER_HOST=orderer0.$ORDERER_DOMAIN

log() { printf '%s [fabric] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '%s [fabric] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

# Ports: every one can be changed through the environment of up.sh, which
# records the values in $WORK/network.env for the other scripts.
default_ports() {
  ORDERER_PORT=${FABRIC_ORDERER_PORT:-7050}
  ORDERER_ADMIN_PORT=${FABRIC_ORDERER_ADMIN_PORT:-7053}
  ORDERER_OPS_PORT=${FABRIC_ORDERER_OPS_PORT:-9443}
  PEER1_PORT=${FABRIC_PEER1_PORT:-7051}
  PEER1_CC_PORT=${FABRIC_PEER1_CC_PORT:-7052}
  PEER1_OPS_PORT=${FABRIC_PEER1_OPS_PORT:-9444}
  PEER2_PORT=${FABRIC_PEER2_PORT:-9051}
  PEER2_CC_PORT=${FABRIC_PEER2_CC_PORT:-9052}
  PEER2_OPS_PORT=${FABRIC_PEER2_OPS_PORT:-9445}
  MEDLEDGER_CC_PORT=${FABRIC_MEDLEDGER_CC_PORT:-9999}
  BASELINE_CC_PORT=${FABRIC_BASELINE_CC_PORT:-9998}
  BATCH_TIMEOUT=${FABRIC_BATCH_TIMEOUT:-10ms}
  BATCH_MAX_MESSAGES=${FABRIC_BATCH_MAX_MESSAGES:-100}
  USERS=${FABRIC_USERS:-5}
  CC_TLS=${FABRIC_CC_TLS:-false}
}

# load_network reads what up.sh recorded; every script but up.sh needs it.
load_network() {
  [ -f "$WORK/network.env" ] || die "no network at $WORK: run network/fabric/up.sh (make network-up) first"
  # shellcheck disable=SC1091
  . "$WORK/network.env"
}

# find_binaries sets FABRIC_BIN_DIR and CFG_DIR: binaries from FABRIC_BIN or
# PATH, configuration (core.yaml, orderer.yaml) from FABRIC_CFG_PATH or the
# binaries' ../config, the layout Fabric's install script creates.
find_binaries() {
  local b p
  if [ -n "${FABRIC_BIN:-}" ]; then
    FABRIC_BIN_DIR=$(cd "$FABRIC_BIN" 2>/dev/null && pwd) || die "FABRIC_BIN=$FABRIC_BIN is not a folder"
  else
    p=$(command -v peer 2>/dev/null) ||
      die "Fabric binaries not found: put peer, orderer, configtxgen, cryptogen and osnadmin on PATH or set FABRIC_BIN (install them with Fabric's install script, see network/fabric/README.md)"
    FABRIC_BIN_DIR=$(cd "$(dirname "$p")" && pwd)
  fi
  for b in peer orderer configtxgen cryptogen osnadmin; do
    [ -x "$FABRIC_BIN_DIR/$b" ] || die "$FABRIC_BIN_DIR/$b is missing or not executable"
  done
  if [ -n "${FABRIC_CFG_PATH:-}" ]; then
    CFG_DIR=$FABRIC_CFG_PATH
  else
    CFG_DIR=$FABRIC_BIN_DIR/../config
  fi
  { [ -f "$CFG_DIR/core.yaml" ] && [ -f "$CFG_DIR/orderer.yaml" ]; } ||
    die "core.yaml and orderer.yaml not found in $CFG_DIR: set FABRIC_CFG_PATH to Fabric's config folder"
  CFG_DIR=$(cd "$CFG_DIR" && pwd)
}

fabric_version() { "$FABRIC_BIN_DIR/peer" version 2>/dev/null | awk '/^ Version:/ {print $2; exit}'; }

# Paths of the two peer organisations, by number (1 or 2).
org_domain() { echo "org$1.medledger.local"; }
org_msp() { echo "Org$1MSP"; }
org_dir() { echo "$CRYPTO/peerOrganizations/$(org_domain "$1")"; }
peer_host() { echo "peer0.$(org_domain "$1")"; }
peer_dir() { echo "$(org_dir "$1")/peers/$(peer_host "$1")"; }
peer_port() { if [ "$1" = 1 ]; then echo "$PEER1_PORT"; else echo "$PEER2_PORT"; fi; }
peer_ops_port() { if [ "$1" = 1 ]; then echo "$PEER1_OPS_PORT"; else echo "$PEER2_OPS_PORT"; fi; }
peer_cc_port() { if [ "$1" = 1 ]; then echo "$PEER1_CC_PORT"; else echo "$PEER2_CC_PORT"; fi; }
peer_tls_ca() { echo "$(peer_dir "$1")/tls/ca.crt"; }
admin_msp() { echo "$(org_dir "$1")/users/Admin@$(org_domain "$1")/msp"; }
orderer_dir() { echo "$CRYPTO/ordererOrganizations/$ORDERER_DOMAIN/orderers/$ORDERER_HOST"; }
orderer_tls_ca() { echo "$(orderer_dir)/tls/ca.crt"; }
orderer_admin_dir() { echo "$CRYPTO/ordererOrganizations/$ORDERER_DOMAIN/users/Admin@$ORDERER_DOMAIN"; }

# peer_cli ORG ARGS... runs the peer CLI as ORG's admin against ORG's peer,
# with an explicit environment so nothing leaks in from the caller's shell.
peer_cli() {
  local org=$1
  shift
  env -i PATH="$FABRIC_BIN_DIR:/usr/bin:/bin" HOME="${HOME:-/tmp}" \
    FABRIC_CFG_PATH="$CFG_DIR" \
    FABRIC_LOGGING_SPEC="${FABRIC_CLI_LOGGING_SPEC:-grpc=error:warn}" \
    FABRIC_LOGGING_FORMAT="%{time:15:04:05.000} %{level:.4s} %{message}" \
    CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(peer_tls_ca "$org")" \
    CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$org")" \
    CORE_PEER_LOCALMSPID="$(org_msp "$org")" \
    CORE_PEER_MSPCONFIGPATH="$(admin_msp "$org")" \
    "$FABRIC_BIN_DIR/peer" "$@"
}

# Orderer and both-peer flags for transactions that need both endorsements.
orderer_flags() { echo "-o 127.0.0.1:$ORDERER_PORT --tls --cafile $(orderer_tls_ca)"; }
both_peers_flags() {
  echo "--peerAddresses 127.0.0.1:$PEER1_PORT --tlsRootCertFiles $(peer_tls_ca 1)" \
    "--peerAddresses 127.0.0.1:$PEER2_PORT --tlsRootCertFiles $(peer_tls_ca 2)"
}

# start_process NAME ENV... -- CMD ARGS... starts CMD in its own session with
# exactly the given environment, output in $WORK/logs/NAME.log, pid in
# $WORK/pids/NAME.pid.
start_process() {
  local name=$1
  shift
  local envs=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  shift
  mkdir -p "$WORK/logs" "$WORK/pids"
  setsid env -i "${envs[@]}" "$@" >>"$WORK/logs/$name.log" 2>&1 </dev/null &
  echo "$!" >"$WORK/pids/$name.pid"
}

# pid_alive NAME: the process recorded for NAME is still running.
pid_alive() {
  local f="$WORK/pids/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_process NAME...: TERM the processes recorded for the NAMEs, all at
# once, then KILL any that still runs after 10 s; removes their pid files.
stop_process() {
  local name f pid i alive
  local pids=() names=()
  for name in "$@"; do
    f="$WORK/pids/$name.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    fi
  done
  for i in $(seq 1 100); do
    alive=false
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=true
    done
    $alive || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      log "${names[$i]} (pid ${pids[$i]}) ignored TERM for 10 s: killing it"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$WORK/pids/$name.pid"; done
}

# wait_for SECONDS DESCRIPTION CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  log "$what: ready"
}

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$1/healthz" | grep -q '"status":"OK"'; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
