#!/usr/bin/env bash
# Installs Debian's Chromium (and a colour emoji font, for faithful screenshots) for the browser
# tests when missing. Playwright's own `playwright install` downloads browsers and cannot be used
# here; the tests drive this Chromium through `executable_path` instead.
set -eu
have_font() { dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; }
if command -v chromium >/dev/null 2>&1 && have_font; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser: install Debian's chromium, chromium-driver and fonts-noto-color-emoji (as root)" >&2
  command -v chromium >/dev/null 2>&1 || exit 1
  exit 0
fi
echo "browser: installing Chromium for the simulator's browser test"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q chromium chromium-driver fonts-noto-color-emoji >/dev/null
command -v chromium >/dev/null
