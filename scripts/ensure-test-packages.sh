#!/bin/sh
# What npm test needs from Debian: prometheus and promtool (the monitoring tests run a real
# Prometheus); python3-torch, python3-torchvision and python3-scipy for Debian's own python3 (the
# PyTorch import tests compare lth with PyTorch; the dataset tests write SVHN's .mat files), and
# chromium (the report test opens the HTML report in a real browser, driven by playwright-core).
# Installs the missing ones when root with apt-get, or says exactly what to install.
set -e
missing=""
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  missing="$missing prometheus"
fi
# Debian's python3, not the one first on PATH (another build, without Debian's packages).
if ! /usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
  missing="$missing python3-torch python3-torchvision"
fi
if ! /usr/bin/python3 -c 'import scipy.io' >/dev/null 2>&1; then
  missing="$missing python3-scipy"
fi
if ! command -v chromium >/dev/null 2>&1; then
  missing="$missing chromium"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for the tests:$missing ..."
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi
echo "npm test needs Debian packages:$missing (sudo apt-get install$missing)" >&2
exit 1
