#!/bin/bash
# certbot deploy hook: writes the node's certificate, its chain and its key as one PEM file where the
# service reads it (it cannot read /etc/letsencrypt/live). One file renamed into place, so the
# node's reloader never sees a certificate with the wrong key. certbot runs it after every renewal.
set -euo pipefail
lineage="${RENEWED_LINEAGE:?certbot sets RENEWED_LINEAGE}"
dest="${GEOLEDGER_TLS_DIR:-/etc/geoledger/tls}"
group="${GEOLEDGER_TLS_GROUP:-geoledger}"
install -d -m 0750 -g "$group" "$dest"
tmp="$(mktemp "$dest/.node.pem.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cat "$lineage/fullchain.pem" "$lineage/privkey.pem" > "$tmp"
chgrp "$group" "$tmp"
chmod 0640 "$tmp"
mv -f "$tmp" "$dest/node.pem"
trap - EXIT
