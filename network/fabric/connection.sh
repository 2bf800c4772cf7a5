#!/usr/bin/env bash
# connection.sh writes $WORK/connection.json, the connection file the SDK,
# the examples and the test suite read (same format as network/devnet's),
# and prints its path.
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
    printf '\n        "%s": "%s"' "$(echo "$name" | tr 'A-Z' 'a-z')" "$u/msp"
  done
  printf '\n      }'
}

org_json() {
  local org=$1
  cat <<JSON
    {
      "mspId": "$(org_msp "$org")",
      "endpoint": "127.0.0.1:$(peer_port "$org")",
      "tlsCACert": "$(peer_tls_ca "$org")",
      "serverNameOverride": "$(peer_host "$org")",
      "identities": $(identities "$org")
    }
JSON
}

cat >"$WORK/connection.json" <<JSON
{
  "network": "fabric",
  "endpoint": "127.0.0.1:$PEER1_PORT",
  "tlsCACert": "$(peer_tls_ca 1)",
  "serverNameOverride": "$(peer_host 1)",
  "channel": "$CHANNEL",
  "chaincode": "medledger",
  "orgs": [
$(org_json 1),
$(org_json 2)
  ]
}
JSON
echo "$WORK/connection.json"
