#!/usr/bin/env bash
# Make sure a Chromium for the browser tests exists: $CHROMIUM_PATH, default /usr/bin/chromium.
# Installs Debian's package when running as root with apt-get; otherwise says how to get it.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  exit 0
fi
cat >&2 <<MSG
The browser tests need Chromium at $browser, which is missing.
  Debian/Ubuntu:  sudo apt-get install chromium
  Elsewhere:      install Chromium or Chrome and set CHROMIUM_PATH=/path/to/it
  Or skip them:   make test PYTEST_ARGS="-m 'not browser'"
MSG
exit 1
