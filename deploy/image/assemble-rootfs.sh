#!/bin/sh
# Assembles the runtime filesystem of the container image into ROOT: the camera-recorder binary,
# ffmpeg, and exactly the shared libraries they load (from ldd), plus the default config and the spool volume. The Dockerfile runs this on
# Debian 12 of the image's own platform (amd64 or arm64) and copies ROOT's usr/, etc/ and var/ onto
# distroless/cc-debian12; the tests run it here and start the binary inside ROOT with chroot, proving
# that nothing else is needed.
#
# usage: assemble-rootfs.sh ROOT [BINARY]
# The release smoke test assembles an arm64 ROOT on an x86-64 machine: FFMPEG is then the arm64 ffmpeg,
# LDD lists a foreign program's libraries (its loader under qemu with --list), and the paths LDD prints
# are inside SYSROOT.
set -eu
root=$1
binary=${2:-dist/camera-recorder}
here=$(dirname "$0")
ffmpeg=${FFMPEG:-$(command -v ffmpeg)}
ldd=${LDD:-ldd}
sysroot=${SYSROOT:-}

listing=$(for program in "$binary" "$ffmpeg"; do $ldd "$program"; done)
# Libraries go where this platform's libc lives (/usr/lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu):
# the one directory the loader always searches, and under usr/, which is what the image copies.
libc=$(echo "$listing" | awk '$1 == "libc.so.6" { print $3; exit }')
libdir=/usr/lib/$(basename "$(dirname "$libc")")
# The loader by the path programs ask for (/lib64/ld-linux-x86-64.so.2, /lib/ld-linux-aarch64.so.1).
loader=$(echo "$listing" | awk '$1 ~ /^\/.*\/ld-linux/ { print $1; exit }')

install -D -m 0755 "$binary" "$root/usr/local/bin/camera-recorder"
install -D -m 0755 "$ffmpeg" "$root/usr/bin/ffmpeg"

# Every library by the name the loader looks for, in the one directory the loader always searches.
for lib in $(echo "$listing" | awk '$2 == "=>" && $1 !~ /^\// && $3 ~ /^\// { print $3 }' | sort -u); do
  install -D -m 0644 "$(readlink -f "$sysroot$lib")" "$root$libdir/$(basename "$lib")"
done
# The loader itself: distroless/cc has it; a bare chroot needs it too.
install -D -m 0755 "$(readlink -f "$sysroot$loader")" "$root$loader"

install -D -m 0644 "$here/config.toml" "$root/etc/camera-recorder/config.toml"
install -d -m 0755 "$root/var/lib/camera-recorder"
install -d -m 1777 "$root/tmp"
echo "assembled $root ($libdir): $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
