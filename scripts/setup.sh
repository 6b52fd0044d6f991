#!/bin/sh
# Installs what camera-recorder needs on a Debian machine that has node and npm:
# bun and ffmpeg always; with "test", also the fake IP camera (GStreamer's RTSP server) and the
# tools the deployment tests run. Installs only what is missing, so running it again is cheap.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if ! command -v bun >/dev/null 2>&1; then
  echo "setup: installing bun from npm"
  $SUDO npm install -g --silent bun@1.4.5
fi

packages="ffmpeg"
if [ "${1:-}" = "test" ]; then
  # The fake IP camera (GStreamer RTSP server), promtool for the alert rules, systemd-analyze,
  # chromium for the playback test (driven by playwright-core, which downloads no browser).
  packages="$packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly prometheus systemd chromium"
fi
missing=""
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

bun install --frozen-lockfile --silent
