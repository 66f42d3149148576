# shellcheck shell=bash
# Headless Chromium for the browser tests of the status page and the check report (sourced by
# .ci/run): Debian's chromium (and chromium-driver), driven by playwright with
# executable_path=/usr/bin/chromium. Never `playwright install` (it downloads a browser build,
# which CI cannot fetch). Idempotent: installs only what is missing.

ris_chromium_setup() {
  if [ -x /usr/bin/chromium ] && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
    return 0
  fi
  echo "installing chromium and chromium-driver (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  if [ ! -x /usr/bin/chromium ]; then
    echo "chromium did not install" >&2
    return 1
  fi
  echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
}

ris_chromium_setup
