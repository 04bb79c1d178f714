#!/usr/bin/env bash
# GeoLedger's test command (README "Tests"): builds and tests everything this machine can build.
set -euo pipefail
cd "$(dirname "$0")"

pulumi=true
if ! scripts/pulumi-available.sh; then
  pulumi=false
  echo "test.sh: leaving out the Pulumi program and its stack tests (Infra.Tests/Stack): this NuGet source does not serve Pulumi 3.112.1 / Pulumi.AzureNative 3.28.0; everything else, the Infra plan tests included, runs."
fi

dotnet test GeoLedger.slnx -p:GeoLedgerPulumi="$pulumi" "$@"
