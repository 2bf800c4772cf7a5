#!/usr/bin/env bash
# peer.sh ORG ARGS... runs Fabric's peer CLI as ORG's admin (ORG is 1 or 2)
# against that org's peer, with the network's TLS settings. ARGS may use
# the words ORDERER and BOTH_PEERS, for example:
#   network/fabric/peer.sh 1 chaincode invoke ORDERER BOTH_PEERS -C mychannel -n medledger -c '{"Args":["WhoAmI"]}'
# ORDERER and BOTH_PEERS, as whole arguments, expand to the orderer's TLS
# flags and the two peers' addresses (what a two-org endorsement needs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_network
org=${1:?usage: peer.sh ORG(1|2) PEER-CLI-ARGS...}
[ "$org" = 1 ] || [ "$org" = 2 ] || die "ORG must be 1 or 2, not '$org'"
shift
args=()
for a in "$@"; do
  case "$a" in
  ORDERER) read -r -a more <<<"$(orderer_flags)"; args+=("${more[@]}") ;;
  BOTH_PEERS) read -r -a more <<<"$(both_peers_flags)"; args+=("${more[@]}") ;;
  *) args+=("$a") ;;
  esac
done
FABRIC_CLI_LOGGING_SPEC=${FABRIC_CLI_LOGGING_SPEC:-grpc=error:info} peer_cli "$org" "${args[@]}"
