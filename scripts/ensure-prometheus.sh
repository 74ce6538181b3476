#!/bin/sh
# The monitoring tests run a real Prometheus and promtool. Install Debian's package when missing
# (as root), or say exactly what to install.
set -e
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's prometheus package (for the monitoring tests) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  exit 0
fi
echo "npm test needs prometheus and promtool on PATH: sudo apt-get install prometheus (or your system's package)" >&2
exit 1
