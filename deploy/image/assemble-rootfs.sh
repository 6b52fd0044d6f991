#!/bin/sh
# Assembles the runtime filesystem of the container image into ROOT: the camera-recorder binary,
# ffmpeg, and exactly the shared libraries they load (from ldd), plus the default config and the spool volume. The Dockerfile runs this on
# Debian 12 and copies ROOT's usr/, etc/ and var/ onto distroless/cc-debian12; the tests run it
# here and start the binary inside ROOT with chroot, proving that nothing else is needed.
#
# usage: assemble-rootfs.sh ROOT [BINARY]
set -eu
root=$1
binary=${2:-dist/camera-recorder}
here=$(dirname "$0")
ffmpeg=$(command -v ffmpeg)
libdir=/usr/lib/x86_64-linux-gnu

install -D -m 0755 "$binary" "$root/usr/local/bin/camera-recorder"
install -D -m 0755 "$ffmpeg" "$root/usr/bin/ffmpeg"

# Every library by the name the loader looks for, in the one directory the loader always searches.
for lib in $(ldd "$binary" "$ffmpeg" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
  install -D -m 0644 "$(readlink -f "$lib")" "$root$libdir/$(basename "$lib")"
done
# The loader itself: distroless/cc has it; a bare chroot needs it too.
install -D -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$root/lib64/ld-linux-x86-64.so.2"

install -D -m 0644 "$here/config.toml" "$root/etc/camera-recorder/config.toml"
install -d -m 0755 "$root/var/lib/camera-recorder"
install -d -m 1777 "$root/tmp"
echo "assembled $root: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
