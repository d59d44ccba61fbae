#!/bin/sh
# Installs what the browser tests of internal/web need when it is missing:
# Debian's chromium at /usr/bin/chromium, and a Japanese font (fonts-noto-cjk)
# so that Japanese pages render in screenshots. Installing needs root;
# without it, this says what to run and exits 0: the browser tests then
# skip (they fail under CI).
set -eu
pkgs=""
[ -x /usr/bin/chromium ] || pkgs="chromium"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
	pkgs="$pkgs fonts-noto-cjk"
fi
[ -n "$pkgs" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "chromium.sh: missing for the browser tests:$pkgs; install with: sudo apt-get install -y$pkgs" >&2
	exit 0
fi
echo "chromium.sh: installing$pkgs for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq $pkgs >&2
