#!/usr/bin/env bash
# GeoLedger's test command (README "Tests"): builds and tests everything this machine can build,
# then runs a bounded fault-injection run and the sabotage run that proves the checker can fail.
set -euo pipefail
cd "$(dirname "$0")"

pulumi=true
if ! scripts/pulumi-available.sh; then
  pulumi=false
  echo "test.sh: leaving out the Pulumi program and its stack tests (Infra.Tests/Stack): this NuGet source does not serve Pulumi 3.112.1 / Pulumi.AzureNative 3.28.0; everything else, the Infra plan tests included, runs."
fi

# Build everything first: `dotnet test` alone builds only the test projects and what they reference.
dotnet build GeoLedger.slnx -p:GeoLedgerPulumi="$pulumi"
dotnet test GeoLedger.slnx --no-build -p:GeoLedgerPulumi="$pulumi" "$@"

# The fault suite (docs/durability.md): partitions need root and nftables; the run says what it left out.
faults=(dotnet run --project faults/Faults --no-build -p:GeoLedgerPulumi="$pulumi" --)
"${faults[@]}" run --seconds "${GEOLEDGER_FAULT_SECONDS:-150}"
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
  "${faults[@]}" run --seconds 30 --sabotage --check-seconds 60
else
  echo "test.sh: leaving out the sabotage run: it needs partitions, which need root and nftables."
fi
