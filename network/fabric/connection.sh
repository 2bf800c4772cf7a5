#!/usr/bin/env bash
# connection.sh writes $WORK/connection.json, the connection file the SDK,
# the examples and the test suite read (same format as network/devnet's),
# and prints its path. up.sh and deploy.sh call it. Identity names: "admin"
# (Admin@orgN, NodeOU admin) and "user1".."userN" (NodeOU client), each an
# MSP folder written by cryptogen.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_network

identities() {
  local org=$1 d first=true name
  d=$(org_dir "$org")/users
  printf '{'
  for u in "$d"/*; do
    name=$(basename "$u")
    name=${name%@*}
    $first || printf ','
    first=false
    printf '\n        "%s": "%s"' "$(echo "$name" | tr '[:upper:]' '[:lower:]')" "$u/msp"
  done
  printf '\n      }'
}

org_json() {
  local org=$1
  cat <<JSON
    {
      "mspId": "$(org_msp "$org")",
      "peer": "127.0.0.1:$(peer_port "$org")",
      "endpoint": "127.0.0.1:$(peer_port "$org")",
      "tlsCACert": "$(peer_tls_ca "$org")",
      "serverNameOverride": "$(peer_host "$org")",
      "identities": $(identities "$org")
    }
JSON
}

# Deployed chaincodes (deploy.sh records a sequence file once one is
# committed), medledger first: it is the default chaincode.
chaincodes=()
[ -f "$WORK/chaincode/medledger/sequence" ] && chaincodes+=(medledger)
for f in "$WORK"/chaincode/*/sequence; do
  [ -f "$f" ] || continue
  n=$(basename "$(dirname "$f")")
  [ "$n" = medledger ] || chaincodes+=("$n")
done
list=
for n in "${chaincodes[@]}"; do list="$list${list:+, }\"$n\""; done

cat >"$WORK/connection.json" <<JSON
{
  "network": "fabric",
  "endpoint": "127.0.0.1:$PEER1_PORT",
  "tlsCACert": "$(peer_tls_ca 1)",
  "serverNameOverride": "$(peer_host 1)",
  "channel": "$CHANNEL",
  "chaincode": "medledger",
  "chaincodes": [$list],
  "orgs": [
$(org_json 1),
$(org_json 2)
  ]
}
JSON
echo "$WORK/connection.json"
