#!/usr/bin/env bash
# Installs what Tideline needs from Debian when it is missing: librdkafka-dev and libsqlite3-dev (build), and
# kcat and chromium (tests: the dashboard is checked in headless Chromium).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

need=()
pkg-config --exists rdkafka 2>/dev/null || need+=(librdkafka-dev)
pkg-config --exists sqlite3 2>/dev/null || [ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
if [ "${1:-}" = "--test" ]; then
  command -v kcat >/dev/null 2>&1 || need+=(kcat)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: missing ${need[*]} and no apt-get here; install librdkafka (>= 2.0), SQLite 3 headers and kcat with your package manager" >&2
  exit 1
fi
echo "bootstrap: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
pkg-config --exists rdkafka || { echo "bootstrap: librdkafka-dev installed but pkg-config cannot find rdkafka" >&2; exit 1; }
