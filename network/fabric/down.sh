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

# names PATTERN...: the process names whose pid files match.
names() {
  local f
  for f in "$@"; do
    [ -e "$f" ] && basename "$f" .pid
  done
  return 0
}
if [ -d "$WORK/pids" ]; then
  # Supervisors first, so none restarts the chaincode server it is told to
  # stop; then the servers; then the nodes.
  for group in "cc-*-supervisor" "cc-*-server" "peer* orderer"; do
    list=()
    for pattern in $group; do
      # shellcheck disable=SC2086 # the pattern is a glob on purpose
      while read -r n; do [ -n "$n" ] && list+=("$n"); done < <(names "$WORK"/pids/$pattern.pid)
    done
    [ "${#list[@]}" -gt 0 ] || continue
    for n in "${list[@]}"; do
      pid_alive "$n" && log "stopping $n (pid $(cat "$WORK/pids/$n.pid"))"
    done
    stop_process "${list[@]}"
  done
fi

if [ "$keep" = true ]; then
  log "processes stopped; work folder kept at $WORK"
else
  rm -rf "$WORK"
  log "network stopped and $WORK removed"
fi
