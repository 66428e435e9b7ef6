#!/usr/bin/env bash
# Installs the Debian packages Shardlab needs to build, test and run, skipping those already present.
# Fyne needs the GL/X11 headers (cgo); the smoke test and screenshots need Xvfb, Mesa, xdotool and ImageMagick;
# the video player needs libmpv and ffmpeg; -race needs gcc; the smoke test talks to the API with curl.
# Usage: system-deps.sh [--test]
set -euo pipefail

packages=(gcc libc6-dev libgl-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libmpv-dev xvfb libgl1-mesa-dri ffmpeg imagemagick xdotool xauth curl)
# --test adds what only the tests need: PostgreSQL, whose server the delivery tests start on a loopback port.
if [ "${1:-}" = "--test" ]; then
  packages+=(postgresql)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
