#!/bin/sh
# Installs what camera-recorder needs on a Debian machine that has node and npm (Debian's own
# node 18/npm 9 or newer): bun and ffmpeg always; with "test", also everything the test suite uses.
# Installs only what is missing, so running it again is cheap; then checks that each tool and each
# GStreamer element the tests use really works. Says what each step installs; a failing step is named.
#   sh scripts/setup.sh          what `npm run demo` needs
#   sh scripts/setup.sh test     what `npm test` needs
set -eu
cd "$(dirname "$0")/.."
started=$(date +%s)

# The Bun of package.json's engines.bun: it builds the releases, and its runtime is in every binary.
BUN_VERSION=$(node -p 'require("./package.json").engines.bun')

# The Debian packages: one per line, "package  profile  commands it provides  # who needs it".
# profile: "run" (always), "test" (setup.sh test) or "release" (setup.sh release, for release:test),
# or several, comma-separated.
# Commands listed are checked after installing.
PACKAGES='
ffmpeg                       run   ffmpeg,ffprobe   # records every camera; the tests probe and decode segments with ffprobe/ffmpeg
python3-gi                   test  -                # the fake IP camera (test/fixtures/fake-camera.py) is a Python GStreamer program
gir1.2-gst-rtsp-server-1.0   test  -                # fake camera: GStreamer RTSP server
gstreamer1.0-plugins-base    test  -                # fake camera: videotestsrc, audiotestsrc
gstreamer1.0-plugins-good    test  -                # fake camera: rtph264pay, rtppcmapay, alawenc
gstreamer1.0-plugins-bad     test  -                # fake camera: h264parse
gstreamer1.0-plugins-ugly    test  -                # fake camera: x264enc
gstreamer1.0-x               test  -                # fake camera: clockoverlay (the pango plugin)
prometheus                   test  promtool         # test/deploy: promtool checks the alert rules
systemd                      test  systemd-analyze  # test/deploy: systemd-analyze verifies the unit file
faketime                     test  faketime         # clock tests: the binary under a shifted wall clock
chromium                     test  chromium         # browser tests of the web UI
binutils                     test  as,ld            # test/recorder: the tie (src/recorder/tie) is what its x86-64 source assembles to
binutils-aarch64-linux-gnu   test  aarch64-linux-gnu-as,aarch64-linux-gnu-ld  # test/recorder: the same for arm64
qemu-user-static             test,release qemu-aarch64-static,qemu-x86_64-static  # the arm64 tie on an emulated CPU; release:test: release binaries on emulated CPUs
musl                         release -              # release:test: the musl loader accepts the musl binaries
gcc                          release gcc            # release:test: the ffmpeg wrapper of the arm64 image root, the AVX2 control program
libc6-dev                    release -              # release:test: headers for those
'

profile="${1:-run}"
case "$profile" in
  run | test | release) ;;
  *) echo "usage: sh scripts/setup.sh [test|release]" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: not root and no sudo: run this as root" >&2; exit 1; }
  SUDO="sudo"
fi

# step "what it does" command...: runs one step; a failure says which step, and its output stays visible.
step() {
  what="$1"
  shift
  echo "setup: $what"
  "$@" || {
    status=$?
    echo "setup: FAILED (exit $status): $what" >&2
    exit 1
  }
}

# The packages for this profile: "run" ones always, plus those of the profile asked for.
wanted() {
  echo "$PACKAGES" | sed 's/#.*//' | awk -v profile="$profile" 'NF >= 2 && ($2 == "run" || index("," $2 ",", "," profile ",")) { print $1 }'
}
commands() {
  echo "$PACKAGES" | sed 's/#.*//' | awk -v profile="$profile" 'NF >= 3 && $3 != "-" && ($2 == "run" || index("," $2 ",", "," profile ",")) { print $3 }' | tr ',' ' '
}

# bun, from npm (works with Debian's npm 9 / node 18 and newer): its postinstall puts the binary
# for this platform (@oven/bun-linux-x64, ...) from the npm registry in place. It never picks the
# "baseline" build that CPUs without AVX2 need, so on those it is installed and put in place here.
if ! command -v bun >/dev/null 2>&1; then
  step "installing bun $BUN_VERSION from npm (npm install -g bun@$BUN_VERSION)" $SUDO npm install -g --no-fund --no-audit "bun@$BUN_VERSION"
  if [ "$(uname -m)" = x86_64 ] && ! grep -qw avx2 /proc/cpuinfo; then
    step "installing bun's baseline build for this CPU without AVX2 (@oven/bun-linux-x64-baseline@$BUN_VERSION)" \
      $SUDO npm install -g --no-fund --no-audit "@oven/bun-linux-x64-baseline@$BUN_VERSION"
    root="$(npm root -g)"
    step "putting bun's baseline build in place of $root/bun/bin/bun.exe" $SUDO cp "$root/@oven/bun-linux-x64-baseline/bin/bun" "$root/bun/bin/bun.exe"
  fi
  hash -r 2>/dev/null || true
  command -v bun >/dev/null 2>&1 || { echo "setup: FAILED: npm installed bun but 'bun' is not on PATH (add $(npm prefix -g)/bin to PATH)" >&2; exit 1; }
fi
step "checking bun works ($(command -v bun))" sh -c 'v=$(bun --version) && echo "setup: bun $v"'

missing=""
for package in $(wanted); do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -n "$missing" ]; then
  step "updating the apt package lists" $SUDO apt-get update -q
  step "installing Debian packages:$missing" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

for command in $(commands); do
  command -v "$command" >/dev/null 2>&1 || { echo "setup: FAILED: '$command' is not on PATH after installing the Debian packages" >&2; exit 1; }
done
if [ "$profile" = test ]; then
  # Every GStreamer element of the fake camera, built and run for a few frames.
  step "checking the fake camera's GStreamer elements" /usr/bin/python3 test/fixtures/fake-camera.py --check
fi

step "installing the npm dependencies (bun install --frozen-lockfile)" bun install --frozen-lockfile
echo "setup: done in $(($(date +%s) - started)) s"
