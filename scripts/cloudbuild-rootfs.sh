#!/usr/bin/env bash
# Builds a Debian root filesystem shaped like Cloud Build's `node:22` image, for
# `npm run test:cloudbuild:debian`: Debian bookworm with what that image's base
# (buildpack-deps:bookworm) carries and the test step could use — git, curl, CA certificates,
# python3, make, g++ — and Node 22 in /usr/local (this project's pinned Node 22, node_modules/node)
# with npm. No Chromium, no node_modules: scripts/setup.sh must install them, as it does on
# Cloud Build. Needs root (debootstrap, chroot) and Debian's mirror.
#
#   bash scripts/cloudbuild-rootfs.sh <dir>
# debootstrap runs once, into <dir>.base; every call then makes <dir> a fresh copy of it, so a
# previous run's Chromium or workspace never leaks into the next.
set -euo pipefail
cd "$(dirname "$0")/.."
rootfs="${1:?usage: cloudbuild-rootfs.sh <dir>}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" -ne 0 ]; then echo "cloudbuild-rootfs: needs root (debootstrap and chroot)" >&2; exit 1; fi
command -v debootstrap >/dev/null 2>&1 || { echo "cloudbuild-rootfs: installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
[ -x node_modules/node/bin/node ] || { echo "cloudbuild-rootfs: run npm install first (Node 22 comes from node_modules/node)" >&2; exit 1; }

base="$rootfs.base"
if [ ! -e "$base/.complete" ]; then
  echo "cloudbuild-rootfs: debootstrap bookworm into $base"
  rm -rf "$base"
  mkdir -p "$base"
  debootstrap --variant=minbase --include=git,ca-certificates,curl,python3,make,g++,procps bookworm "$base" "$mirror" >/dev/null
  touch "$base/.complete"
fi
if grep -qs " $(realpath -m "$rootfs")/" /proc/mounts; then echo "cloudbuild-rootfs: something is still mounted under $rootfs" >&2; exit 1; fi
rm -rf "$rootfs"
cp -a "$base" "$rootfs"
rm -f "$rootfs/.complete"

# Node 22 where the node:22 image has it, and npm beside it.
install -D -m 0755 node_modules/node/bin/node "$rootfs/usr/local/bin/node"
npm_root="$(npm root -g)/npm"
rm -rf "$rootfs/usr/local/lib/node_modules/npm"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_root" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# How this machine reaches the registries (name resolution, its CA bundle, npm's user config):
# Cloud Build reaches them directly.
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
[ -f "$HOME/.npmrc" ] && grep -v '^nodedir=' "$HOME/.npmrc" > "$rootfs/root/.npmrc" || true
# The image lists its sources in deb822 form (bookworm, -updates, -security), as this machine does.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -f "$rootfs/etc/apt/sources.list"
fi

if chroot "$rootfs" sh -c 'command -v chromium' >/dev/null 2>&1; then
  echo "cloudbuild-rootfs: $rootfs already has chromium; remove the directory for a fresh image" >&2
  exit 1
fi
echo "cloudbuild-rootfs: ready ($(chroot "$rootfs" /usr/local/bin/node --version), npm $(chroot "$rootfs" /usr/local/bin/node /usr/local/bin/npm --version), no chromium)"
