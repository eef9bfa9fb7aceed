#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: Chromium (the CRM journal
# page is checked in a real headless browser) and the npm packages from the lockfile
# (which include Node 22 itself, so the machine's own Node version does not matter).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian's chromium (headless browser for the CRM journal page test)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup: chromium is missing and this user cannot install it; run: apt-get install chromium" >&2
    exit 1
  fi
fi

# `npm install` rather than `npm ci`: every dependency is pinned exactly and the lockfile is
# committed, so both install the same versions; but the lockfile cannot list the optional
# platform packages of biome that the registry this project builds from does not carry, and
# `npm ci` refuses a lockfile with such gaps.
npm install --no-audit --no-fund
