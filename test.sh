#!/usr/bin/env bash
# GeoLedger's test command (README "Tests"): builds and tests everything this machine can build,
# then runs a bounded fault-injection run and the sabotage run that proves the checker can fail.
set -euo pipefail
cd "$(dirname "$0")"

# The Pulumi packages: nuget.org, else the offline feed beside the repository, else left out (one line).
source scripts/pulumi-available.sh
pulumi_setup
pulumi="$GEOLEDGER_PULUMI"
build=(-p:GeoLedgerPulumi="$pulumi" "${PULUMI_BUILD_ARGS[@]}")

# Tests that attach loop devices (the VM's data-disk script) or mount a small tmpfs (a full disk) need root.
filter="Category!=Acme"
if [ "$(id -u)" != 0 ]; then
  filter="$filter&Category!=Root"
  echo "test.sh: leaving out the Category=Root tests (the data-disk script, the full-disk tests): they attach loop devices or mount a tmpfs, which needs root."
fi

# The tests start many node processes. A node compiles its hot code as soon as it is hot
# (Service.csproj: CallCountingDelayMs=0, for its speed under load), which costs ~2 s of CPU at each start
# and made the tests 3.5 minutes slower; they check behaviour, not speed, so they run nodes with .NET's
# default 100 ms. The fault suite below, LocalCluster and the benchmark run nodes as shipped.
jit_default=(env DOTNET_TC_CallCountingDelayMs=100)

# Build everything first: `dotnet test` alone builds only the test projects and what they reference.
dotnet build solution/GeoLedger.slnx "${build[@]}"
"${jit_default[@]}" dotnet test solution/GeoLedger.slnx --no-build "${build[@]}" --filter "$filter" "$@"

# https from an ACME CA (Service.Tests/Tls): a node gets its certificate from Debian's pebble through
# certbot and picks up a renewed one, all on loopback.
if command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null && command -v certbot >/dev/null && command -v openssl >/dev/null; then
  "${jit_default[@]}" dotnet test Service.Tests --no-build "${build[@]}" --filter "Category=Acme"
else
  echo "test.sh: leaving out the ACME test (Service.Tests/Tls): it needs pebble, pebble-challtestsrv, certbot and openssl (apt-get install pebble certbot openssl, as root; .ci/run does)."
fi

# The fault suite (docs/durability.md): partitions need root and nftables; the run says what it left out.
faults=(dotnet run --project faults/Faults --no-build "${build[@]}" --)
"${faults[@]}" run --seconds "${GEOLEDGER_FAULT_SECONDS:-150}"
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
  "${faults[@]}" run --seconds 30 --sabotage --check-seconds 60
else
  echo "test.sh: leaving out the sabotage run: it needs partitions, which need root and nftables."
fi
