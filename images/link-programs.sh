#!/bin/sh
# Puts every lth program on PATH: the manifests run them by these names (their `command`).
set -eu
cd /opt/lth
link() { chmod +x "apps/$2/dist/main.js"; ln -sf "/opt/lth/apps/$2/dist/main.js" "/usr/local/bin/$1"; }
link lth cli
link lth-controller controller
link lth-driver driver
for service in data pruning finetune evaluation; do link "lth-$service" "$service"; done
