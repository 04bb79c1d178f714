#!/usr/bin/env bash
# Decides where the Pulumi packages of the Infra stack (Pulumi 3.112.1, Pulumi.AzureNative 3.28.0)
# come from: the configured NuGet source (nuget.org on a developer's machine), else an offline
# feed folder beside the repository (../shared/pulumi-feed, or $GEOLEDGER_PULUMI_FEED), else none.
#
# Sourced (test.sh):  pulumi_setup   then use "${PULUMI_BUILD_ARGS[@]}" on every dotnet build/test.
#   It sets GEOLEDGER_PULUMI=true|false and, for the feed, exports NUGET_PACKAGES to a package
#   folder of its own ($GEOLEDGER_PULUMI_PACKAGES, default ~/.nuget/packages-pulumi-feed): a feed's
#   stand-in packages must never land in the folder that later restores from nuget.org read.
#   When false it prints the one "left out" line.
# Run:  scripts/pulumi-available.sh [FEED]   exit 0 if the packages restore (from FEED too, if given).

pulumi_probe() {
  local feed="${1:-}" dir rc
  dir="$(mktemp -d)" || return 1
  cat > "$dir/PulumiProbe.csproj" <<'PROJ'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Pulumi" Version="3.112.1" />
    <PackageReference Include="Pulumi.AzureNative" Version="3.28.0" />
  </ItemGroup>
</Project>
PROJ
  # The probe sits outside the repository, so no Directory.*.props of ours applies to it.
  local args=(restore "$dir/PulumiProbe.csproj" --nologo -v:q)
  [ -n "$feed" ] && args+=("-p:RestoreAdditionalProjectSources=$feed")
  timeout "${PULUMI_PROBE_TIMEOUT:-180}" dotnet "${args[@]}" >/dev/null 2>&1
  rc=$?
  rm -rf "$dir"
  [ "$rc" -eq 0 ]
}

# The feed folder, absolute (NuGet resolves a relative source against each project's folder), or empty.
pulumi_feed() {
  local root="$1" feed="${GEOLEDGER_PULUMI_FEED:-}"
  [ -z "$feed" ] && feed="$root/../shared/pulumi-feed"
  if [ -d "$feed" ] && compgen -G "$feed/Pulumi.3.112.1.nupkg" >/dev/null; then
    (cd "$feed" && pwd)
  elif [ -n "${GEOLEDGER_PULUMI_FEED:-}" ]; then
    echo "GEOLEDGER_PULUMI_FEED=$GEOLEDGER_PULUMI_FEED holds no Pulumi.3.112.1.nupkg" >&2
  fi
}

pulumi_setup() {
  local root feed
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  PULUMI_BUILD_ARGS=()
  if pulumi_probe; then
    GEOLEDGER_PULUMI=true
    echo "test.sh: the Pulumi stack builds against the configured NuGet source."
    return
  fi
  feed="$(pulumi_feed "$root")"
  if [ -n "$feed" ]; then
    export NUGET_PACKAGES="${GEOLEDGER_PULUMI_PACKAGES:-$HOME/.nuget/packages-pulumi-feed}"
    if pulumi_probe "$feed"; then
      GEOLEDGER_PULUMI=true
      PULUMI_BUILD_ARGS=("-p:RestoreAdditionalProjectSources=$feed")
      echo "test.sh: the Pulumi stack builds against the offline feed $feed (package folder $NUGET_PACKAGES)."
      return
    fi
    unset NUGET_PACKAGES
  fi
  GEOLEDGER_PULUMI=false
  echo "test.sh: leaving out the Pulumi program and its stack tests (Infra.Tests/Stack): neither the NuGet source nor a feed folder (../shared/pulumi-feed or GEOLEDGER_PULUMI_FEED) serves Pulumi 3.112.1 / Pulumi.AzureNative 3.28.0; everything else, the Infra plan tests included, runs."
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ -n "${1:-}" ]; then
    NUGET_PACKAGES="${GEOLEDGER_PULUMI_PACKAGES:-$HOME/.nuget/packages-pulumi-feed}" pulumi_probe "$(cd "$1" && pwd)"
  else
    pulumi_probe
  fi
fi
