#!/usr/bin/env bash
# down.sh stops exactly the processes that up.sh and deploy.sh started (by the
# pid files in the work folder: chaincode servers and their supervisors,
# peers, orderer) and removes the work folder. With --keep-work it leaves the
# folder (logs, ledgers) for inspection. Safe to run twice.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

keep=false
[ "${1:-}" = "--keep-work" ] && keep=true

if [ ! -d "$WORK" ]; then
  log "nothing to stop: $WORK does not exist"
  exit 0
fi
[ -f "$WORK/$WORK_MARKER" ] || die "$WORK has no $WORK_MARKER marker: not removing a folder up.sh did not create"

if [ -d "$WORK/pids" ]; then
  # Supervisors first, so none restarts the chaincode server it is told to stop.
  for f in "$WORK"/pids/cc-*-supervisor.pid "$WORK"/pids/cc-*-server.pid "$WORK"/pids/peer*.pid "$WORK"/pids/orderer.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    if pid_alive "$name"; then
      log "stopping $name (pid $(cat "$f"))"
    fi
    stop_process "$name"
  done
fi

if [ "$keep" = true ]; then
  log "processes stopped; work folder kept at $WORK"
else
  rm -rf "$WORK"
  log "network stopped and $WORK removed"
fi
