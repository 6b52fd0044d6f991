#!/bin/sh
# An arm64 Debian 12 filesystem with libc and ffmpeg, unpacked (not installed) from Debian's own
# arm64 packages, for the release smoke tests: qemu-aarch64-static -L SYSROOT runs the arm64 binary and
# arm64 ffmpeg with it, and the container image's assemble step runs against it. Needs root (it adds
# arm64 as a foreign dpkg architecture). Cheap when SYSROOT is already there.
#
# usage: arm64-sysroot.sh SYSROOT
set -eu
sysroot=$1
[ -x "$sysroot/usr/bin/ffmpeg" ] && [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && exit 0

dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
debs=$(mktemp -d)
# ffmpeg and everything it depends on, for arm64 only (no maintainer scripts run: dpkg -x just unpacks).
packages=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
  ffmpeg:arm64 libc6:arm64 | grep -E '^[a-z0-9].*:arm64$' | sort -u)
(cd "$debs" && apt-get download -qq $packages)
mkdir -p "$sysroot"
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$sysroot"; done
rm -rf "$debs"
# What update-alternatives would have linked when installing libblas3 and liblapack3.
ln -sf blas/libblas.so.3 "$sysroot/usr/lib/aarch64-linux-gnu/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$sysroot/usr/lib/aarch64-linux-gnu/liblapack.so.3"
echo "arm64 sysroot in $sysroot: $(du -sh "$sysroot" | cut -f1)"
