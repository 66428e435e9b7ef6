#!/usr/bin/env bash
# Runs a command with every Go program it builds seeing its wall clock DAYS days off (negative goes back), to find
# tests that depend on today's date:   bash scripts/shifted-clock.sh 400 make test
#
# faketime cannot do this for Go: Go reads the clock through the vDSO, never through libc, so LD_PRELOAD tricks do
# not reach it. Instead this writes a copy of the Go installation's time.Now that adds the offset, and hands it to
# the go command as a build overlay (-overlay, through GOFLAGS), so the standard library is rebuilt with it in a
# build cache of its own. Only wall-clock readings move; monotonic time, timers and sleeps are untouched. Programs
# that are not Go (node, python, the shell) run under faketime with the same offset when faketime is installed.
set -euo pipefail
days=${1:?usage: shifted-clock.sh DAYS COMMAND [ARG...]}
shift
[ $# -gt 0 ] || { echo "usage: shifted-clock.sh DAYS COMMAND [ARG...]" >&2; exit 2; }
case $days in ''|*[!0-9-]*) echo "DAYS must be a whole number, got $days" >&2; exit 2 ;; esac
goroot=$(go env GOROOT)
work=$(mktemp -d -t shardlab-clock-XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$goroot/src/time/time.go
grep -q '^	sec, nsec, mono := runtimeNow()$' "$src" || { echo "$src: time.Now is not shaped as this script expects" >&2; exit 1; }
sed 's/^	sec, nsec, mono := runtimeNow()$/&\n	sec += clockShiftSeconds/' "$src" >"$work/time.go"
cat >"$work/clockshift.go" <<GO
package time

// clockShiftSeconds moves every wall-clock reading, set by scripts/shifted-clock.sh.
const clockShiftSeconds = ${days} * 86400
GO
printf '{"Replace":{"%s":"%s","%s":"%s"}}\n' "$src" "$work/time.go" "$goroot/src/time/clockshift.go" "$work/clockshift.go" >"$work/overlay.json"
export GOFLAGS="${GOFLAGS:-} -overlay=$work/overlay.json"
export GOCACHE=${SHIFTED_GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shardlab-shifted-go-build} # the normal cache stays lean
if command -v faketime >/dev/null; then
  faketime "${days} days" "$@"
else
  "$@"
fi
