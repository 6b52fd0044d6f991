#!/usr/bin/env bash
# scripts/fresh-debian.sh COMMAND...
#
# Runs COMMAND (e.g. `npm test`) in a copy of this clone inside a brand-new Debian 12 root that has
# nothing but Debian's own node and npm (`apt-get install nodejs npm`), the way a newcomer's machine
# starts out. Whatever COMMAND needs beyond that must be installed by the project's own scripts, so a
# missing install step fails here instead of on the newcomer's machine. CI runs `npm test` this way
# (.ci/run); run it by hand before changing setup. Needs root (debootstrap, chroot, mounts) and
# about 3 GB in $FRESH_DEBIAN_DIR (default /var/tmp).
#
# The root reaches the same package registries as this host: its apt sources and apt proxy
# settings, ~/.npmrc, the npm registry, NODE_EXTRA_CA_CERTS / SSL_CERT_FILE and *_proxy are passed
# in. Nothing is cached between runs: each run bootstraps, installs and downloads everything anew,
# and the root is deleted afterwards (FRESH_DEBIAN_KEEP=1 keeps it for a look).
#
#   FRESH_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the host's apt sources, else deb.debian.org)
#   FRESH_DEBIAN_DIR     where the root is made (default /var/tmp)
#   FRESH_DEBIAN_KEEP=1  keep the root afterwards (it is still unmounted)
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: scripts/fresh-debian.sh COMMAND...   (e.g. scripts/fresh-debian.sh npm test)" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "fresh-debian: needs root for debootstrap, chroot and mounts; run it with sudo" >&2
  exit 2
fi
for tool in debootstrap chroot git; do
  command -v "$tool" >/dev/null || { echo "fresh-debian: $tool is missing (apt-get install debootstrap git)" >&2; exit 2; }
done

here="$(cd "$(dirname "$0")/.." && pwd)"
started=$SECONDS
say() { echo "fresh-debian [$((SECONDS - started))s]: $*" >&2; }

# The host's Debian mirror: the first deb URI of its apt sources (deb822 or one-line style).
host_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }')
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror="${FRESH_DEBIAN_MIRROR:-$(host_mirror)}"

root="$(mktemp -d "${FRESH_DEBIAN_DIR:-/var/tmp}/fresh-debian.XXXXXX")"
mounted=()

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  # Whatever COMMAND left running inside the root (a server, a camera) holds the mounts: end it by pid.
  local pids=() p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids+=("${p#/proc/}")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    say "ending ${#pids[@]} process(es) left in the root: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 1
  fi
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || echo "fresh-debian: could not unmount ${mounted[i]}" >&2
  done
  # Anything else mounted under the root (debootstrap's own /proc and /sys when it was interrupted).
  local left
  for left in $(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount "$left" 2>/dev/null || umount -l "$left"
  done
  if grep -q " $root/" /proc/mounts; then
    echo "fresh-debian: something is still mounted under $root; not deleting it" >&2
  elif [ "${FRESH_DEBIAN_KEEP:-}" = 1 ]; then
    say "kept the root at $root"
  else
    rm -rf --one-file-system "$root"
  fi
  say "done, exit $status"
  exit "$status"
}
trap cleanup EXIT
# Ctrl-C reaches COMMAND too (same process group); its own exit status is what this script returns.
trap 'say "interrupted"' INT
trap 'exit 143' TERM

mountin() { # mountin TARGET mount-args...: mounts and remembers it for the cleanup
  local target="$root$1"
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

say "debootstrap bookworm (minbase) from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
  tail -n 30 "$root.debootstrap.log" >&2
  echo "fresh-debian: debootstrap failed (log above; mirror $mirror)" >&2
  rm -f "$root.debootstrap.log"
  exit 1
}
rm -f "$root.debootstrap.log"

# dpkg without an fsync per file, as Debian's container images do: the same packages, installed faster.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/fresh-debian-unsafe-io"

mountin /proc -t proc proc
mountin /sys -t sysfs sysfs
mountin /dev --bind /dev
mountin /dev/pts -t devpts -o newinstance,ptmxmode=0666 devpts
mountin /dev/shm -t tmpfs -o mode=1777 shm
chmod 1777 "$root/tmp"

# The host's way to its registries: apt sources and apt's network settings, CA bundles, npm config.
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp /etc/hosts "$root/etc/hosts" 2>/dev/null || true
# The host's apt sources replace debootstrap's one-line sources.list.
copied=0
if [ -f /etc/apt/sources.list ] && grep -q '^deb' /etc/apt/sources.list; then cp /etc/apt/sources.list "$root/etc/apt/sources.list"; copied=1; fi
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  cp "$f" "$root/etc/apt/sources.list.d/"
  copied=1
  # Keyrings these sources name that a plain Debian root lacks.
  for key in $(awk '/^Signed-By:/ { print $2 } /signed-by=/ { match($0, /signed-by=[^] ]+/); print substr($0, RSTART + 10, RLENGTH - 10) }' "$f"); do
    if [ -f "$key" ] && [ ! -e "$root$key" ]; then mkdir -p "$root$(dirname "$key")" && cp "$key" "$root$key"; fi
  done
done
if [ "$copied" = 1 ] && ! grep -qs '^deb' /etc/apt/sources.list; then rm -f "$root/etc/apt/sources.list"; fi
# apt's network settings (proxies, date checks of snapshot mirrors): the files that set Acquire::.
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
  if [ -f "$f" ] && grep -qi 'Acquire::' "$f"; then cp "$f" "$root/etc/apt/apt.conf.d/"; fi
done

env_in=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive CI="${CI:-}")
mkdir -p "$root/etc/fresh-debian"
for var in NODE_EXTRA_CA_CERTS SSL_CERT_FILE; do
  file="${!var:-}"
  if [ -n "$file" ] && [ -f "$file" ]; then
    # A path of its own, so that installing ca-certificates in the root cannot replace it.
    cp "$file" "$root/etc/fresh-debian/$var.pem"
    env_in+=("$var=/etc/fresh-debian/$var.pem")
  fi
done
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!var:-}" ]; then env_in+=("$var=${!var}"); fi
done
npmrc="${SUDO_USER:+$(getent passwd "$SUDO_USER" | cut -d: -f6)}"
npmrc="${npmrc:-${HOME:-/root}}/.npmrc"
if [ -f "$npmrc" ]; then cp "$npmrc" "$root/root/.npmrc"; fi
if command -v npm >/dev/null; then
  registry="$(npm config get registry 2>/dev/null || true)"
  # npm reads the lower-case form, bun the upper-case one.
  if [ -n "$registry" ]; then env_in+=("npm_config_registry=$registry" "NPM_CONFIG_REGISTRY=$registry"); fi
fi
commit="$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
env_in+=("GIT_COMMIT=$commit")

# The clone: tracked and new (not ignored) files, so no node_modules, dist or build output comes along.
say "copying the clone ($commit and uncommitted changes) to /src"
mkdir -p "$root/src"
git -C "$here" ls-files -z --cached --others --exclude-standard | (cd "$here" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$root/src"

inroot() { chroot "$root" /usr/bin/env -i "${env_in[@]}" "$@"; }

say "installing Debian's node and npm in the root (apt-get install nodejs npm)"
inroot sh -c 'apt-get update -q && apt-get install -y -q nodejs npm' >"$root/tmp/node-install.log" 2>&1 || {
  tail -n 30 "$root/tmp/node-install.log" >&2
  echo "fresh-debian: apt-get install nodejs npm failed in the root (log above)" >&2
  exit 1
}
say "the root has node $(inroot node --version) and npm $(inroot npm --version); running: $*"

set +e
inroot sh -c 'cd /src && exec "$@"' fresh-debian "$@"
status=$?
set -e
say "'$*' exited $status"
exit "$status"
