#!/usr/bin/env bash
# GeoLedger vs etcd on loopback (docs/performance.md): installs what is missing, builds Release,
# starts a 3-node GeoLedger cluster and a 3-member etcd cluster in turn, prints one table and
# writes bench/results/<timestamp>.json; the geo section (--only geo) runs both again with every
# link delayed by Azure's round trips between regions. Options: bench/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

# etcd (server and etcdctl) is the comparison; wrk and hey are for cross-checking by hand.
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v wrk >/dev/null || missing+=(wrk)
command -v hey >/dev/null || missing+=(hey)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Pulumi packages are not needed here (and not served everywhere): build without them.
dotnet build bench/Bench/Bench.csproj -c Release -p:GeoLedgerPulumi=false -nologo -v q -clp:ErrorsOnly
export GEOLEDGER_NODE_DLL="$PWD/Service/bin/Release/net10.0/GeoLedger.dll"
exec dotnet bench/Bench/bin/Release/net10.0/GeoLedger.Bench.dll "$@"
