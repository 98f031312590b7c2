#!/usr/bin/env bash
# Debian's Chromium for the browser tests: `chromium.sh start|stop|status`. Nothing runs in the background (each
# test launches its own headless browser), so start only installs the package when missing and prints
# {"url","started"} as its last line, the URL being the browser's path; stop has nothing to stop.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"

# Debian installs /usr/bin/chromium; Ubuntu's package of the same browser is named chromium-browser.
browser() {
  local b
  for b in /usr/bin/chromium /usr/bin/chromium-browser; do
    [[ -x "$b" ]] && { echo "$b"; return 0; }
  done
  return 1
}

case "$action" in
  start)
    path="$(browser)" || { apt_install chromium; path="$(browser)"; } || die "no Chromium after installing the chromium package"
    echo "{\"url\":\"$path\",\"started\":false}"
    ;;
  stop) ;;
  status)
    if path="$(browser)"; then echo "{\"url\":\"$path\",\"running\":true}"; else echo '{"running":false}'; exit 1; fi
    ;;
  *) die "usage: chromium.sh start|stop|status" ;;
esac
