#!/usr/bin/env bash
# Debian's Chromium for the browser tests: `chromium.sh start|stop|status`. Nothing runs in the background (each
# test launches its own headless browser), so start only installs the package when missing and prints
# {"url","started"} as its last line, the URL being the browser's path; stop has nothing to stop.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
browser=/usr/bin/chromium

case "$action" in
  start)
    [[ -x "$browser" ]] || apt_install chromium
    [[ -x "$browser" ]] || die "the chromium package did not install $browser"
    echo "{\"url\":\"$browser\",\"started\":false}"
    ;;
  stop) ;;
  status)
    if [[ -x "$browser" ]]; then echo "{\"url\":\"$browser\",\"running\":true}"; else echo '{"running":false}'; exit 1; fi
    ;;
  *) die "usage: chromium.sh start|stop|status" ;;
esac
