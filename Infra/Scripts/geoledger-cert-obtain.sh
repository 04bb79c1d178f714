#!/bin/bash
# First boot: gets this node's certificate from the ACME CA by HTTP-01 on port 80, answered by
# certbot's own listener (the node serves only 443). Retries while DNS and the firewall settle.
# certbot's timer renews it unattended and runs the deploy hook; the node reloads the file.
#   geoledger-cert-obtain FQDN ACME_DIRECTORY_URL EMAIL [more certbot arguments]   (EMAIL may be '')
set -euo pipefail
fqdn="$1" server="$2" email="$3"
shift 3
config_dir="${GEOLEDGER_CERTBOT_CONFIG_DIR:-/etc/letsencrypt}"
hook="${GEOLEDGER_CERT_DEPLOY_HOOK:-/usr/local/sbin/geoledger-cert-deploy}"
attempts="${GEOLEDGER_CERT_ATTEMPTS:-10}"
pause="${GEOLEDGER_CERT_RETRY_SECONDS:-60}"
contact=(--register-unsafely-without-email)
if [ -n "$email" ]; then contact=(--email "$email"); fi

for ((attempt = 1; ; attempt++)); do
  if certbot certonly --standalone --non-interactive --agree-tos "${contact[@]}" --server "$server" \
      --config-dir "$config_dir" --cert-name geoledger -d "$fqdn" --keep-until-expiring \
      --deploy-hook "$hook" "$@"; then
    break
  fi
  if [ "$attempt" -ge "$attempts" ]; then
    echo "geoledger: no certificate for $fqdn from $server after $attempts attempts" >&2
    exit 1
  fi
  sleep "$pause"
done
# certbot skips the hook when it keeps an existing certificate: write the node's file anyway.
RENEWED_LINEAGE="$config_dir/live/geoledger" "$hook"
