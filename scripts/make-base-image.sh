#!/usr/bin/env bash
# Make a local stand-in for python:3.11-slim-bookworm where no registry can be reached:
# Debian bookworm from debootstrap, this machine's CPython 3.11 under /usr/local (as in the
# official image) and this machine's CA bundle (so pip reaches PyPI from inside a build).
#
#   scripts/make-base-image.sh [IMAGE]     (default localhost/repolens-base:bookworm)
#
# Needs root, debootstrap and podman. WORK (default /var/tmp/repolens-base) keeps the
# debootstrap tree between runs; MIRROR picks the Debian mirror.
set -euo pipefail

IMAGE=${1:-localhost/repolens-base:bookworm}
WORK=${WORK:-/var/tmp/repolens-base}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-python3}

log() { printf 'base-image: %s\n' "$*" >&2; }

if podman image exists "$IMAGE"; then
  log "$IMAGE exists"
  exit 0
fi

prefix=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ "$version" != 3.11 ]]; then
  log "need CPython 3.11 on this machine, found $version at $prefix"
  exit 1
fi

rootfs="$WORK/rootfs"
if [[ ! -x "$rootfs/bin/bash" ]]; then
  log "debootstrap bookworm into $rootfs"
  rm -rf "$rootfs"
  mkdir -p "$WORK"
  # The libraries CPython's extension modules link against, as the official image has them.
  debootstrap --variant=minbase \
    --include=ca-certificates,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libexpat1,libuuid1,libreadline8,libncursesw6,libgdbm6,tar \
    bookworm "$rootfs" "$MIRROR"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # As debian:bookworm-slim, which the official image builds on: no manuals, docs or locales.
  rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/*
fi

log "copying CPython $version from $prefix into /usr/local"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib"
cp -a "$prefix/bin/python$version" "$rootfs/usr/local/bin/"
ln -sf "python$version" "$rootfs/usr/local/bin/python3"
ln -sf python3 "$rootfs/usr/local/bin/python"
cp -a "$prefix"/lib/libpython3*.so* "$rootfs/usr/local/lib/"
tar -C "$prefix/lib" \
  --exclude="python$version/site-packages/*" --exclude="python$version/test" \
  --exclude='__pycache__' --exclude="python$version/idlelib" --exclude="python$version/tkinter" \
  --exclude="python$version/config-*/*.a" \
  -cf - "python$version" | tar -C "$rootfs/usr/local/lib" -xf -
mkdir -p "$rootfs/usr/local/lib/python$version/site-packages"
chroot "$rootfs" /sbin/ldconfig

log "installing this machine's CA bundle"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

log "importing as $IMAGE"
tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
log "done: $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes"
