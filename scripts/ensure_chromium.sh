#!/usr/bin/env bash
# Browser tests use Debian's Chromium through Playwright's executable_path; Playwright never downloads one.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[browsers] installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "[browsers] chromium not found and cannot be installed here: browser tests will be skipped" >&2
fi
