#!/usr/bin/env bash
# Runs the real desktop app under Xvfb, the way a person would, in one of two modes:
#   smoke  creates a stream through the in-app Kinesis API, opens the sample hot-shard demo's dashboard with its
#          producer running, takes a screenshot and fails if the window is blank (make smoke, run by make test).
#   bench  measures the app's CPU with no traffic and its CPU and RSS with a 20,000 records/s producer
#          (make bench-gui; figures in BENCHMARKS.md).
set -euo pipefail
mode=${1:-smoke}
BIN=${BIN:-bin/shardlab}
SHOT=${SHOT:-bin/smoke.png}

work=$(mktemp -d -t shardlab-gui-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Fyne scales by the display's DPI; pin it so screenshots and measurements do not depend on the machine.
export FYNE_SCALE=1
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# A free display and a free port, so a developer's own X server or `shardlab serve` is never touched.
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
port=$((20000 + RANDOM % 20000))
Xvfb ":$display" -screen 0 1280x720x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done

api=http://127.0.0.1:$port
kinesis() { # kinesis ACTION JSON: one call to the in-app API; prints the answer, fails on a non-200
  curl -sS --fail-with-body -X POST "$api/" -H "X-Amz-Target: Kinesis_20131202.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' -d "$2"
}
wait_api() {
  for _ in $(seq 300); do curl -sf "$api/_shardlab/health" >/dev/null && return 0; sleep 0.1; done
  echo "the app's API never answered at $api; app log:" >&2; cat "$work/app.log" >&2; return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

case $mode in
smoke)
  "$BIN" gui --data "$work/data" --api "127.0.0.1:$port" --show clickstream --start-producers >"$work/app.log" 2>&1 &
  app=$!
  pids+=($app)
  wait_api
  kinesis CreateStream '{"StreamName":"orders","ShardCount":2}' >/dev/null
  put='{"StreamName":"orders","PartitionKey":"order-1","Data":"eyJpZCI6MX0="}'
  for _ in $(seq 50); do kinesis PutRecord "$put" >/dev/null 2>&1 && break; sleep 0.2; done # CREATING lasts 0.5 s
  kinesis PutRecord "$put" >/dev/null
  kinesis ListStreams '{}' | grep -q '"orders"' || { echo "orders is not listed by the API" >&2; exit 1; }
  # The dashboard needs some seconds of traffic before the heat tells the story.
  sleep 20
  kill -0 "$app" || { echo "the app exited; log:" >&2; cat "$work/app.log" >&2; exit 1; }
  xdotool search --name '^Shardlab$' >/dev/null || { echo "no window titled Shardlab" >&2; exit 1; }
  mkdir -p "$(dirname "$SHOT")"
  xdotool mousemove 1279 0 # off the heatmap, so its hover line shows the legend text
  sleep 0.5
  import -window root "$SHOT"
  colours=$(convert "$SHOT" -format %k info:)
  echo "smoke: screenshot $SHOT has $colours colours"
  if [ "$colours" -lt 200 ]; then echo "the window looks blank ($colours colours)" >&2; exit 1; fi
  ;;
bench)
  # A producer of 20,000 records/s of 1 KiB into a stream of SHARDS shards (default 32, what 20 MiB/s needs with
  # headroom; 400 makes a tall heatmap) with limits on, written before the app starts.
  shards=${SHARDS:-32}
  mkdir -p "$work/data"
  cat >"$work/data/generators.json" <<JSON
{"version": 1, "generators": [{"name": "load", "stream": "load", "template": "clickstream", "rate": 20000,
  "recordSize": 1024, "keys": {"kind": "uniform", "keys": 100000}}]}
JSON
  "$BIN" gui --data "$work/data" --api "127.0.0.1:$port" --show load >"$work/app.log" 2>&1 &
  app=$!
  pids+=($app)
  wait_api
  kinesis CreateStream "{\"StreamName\":\"load\",\"ShardCount\":$shards}" >/dev/null
  echo "bench: $shards shards, uniform keys, limits on"
  sleep 15 # start-up, first frames
  hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks "$app"); sleep 30; t1=$(cpu_ticks "$app")
  idle=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz / 30 * 100}')
  echo "idle (dashboard open, no traffic, 30 s): CPU ${idle} % of one core, RSS $(rss_kib "$app") KiB"
  # Ctrl+G starts the dashboard's producers, as a person would.
  xdotool key ctrl+g
  sleep 10
  peak=0; t0=$(cpu_ticks "$app")
  for _ in $(seq 60); do r=$(rss_kib "$app"); [ "$r" -gt "$peak" ] && peak=$r; sleep 1; done
  t1=$(cpu_ticks "$app")
  load=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / 60 * 100}')
  echo "20,000 records/s (60 s): CPU ${load} % of one core, peak RSS ${peak} KiB ($((peak / 1024)) MiB)"
  import -window root "${SHOT%.png}-bench.png"
  ;;
*)
  echo "usage: $0 smoke|bench" >&2; exit 2 ;;
esac
