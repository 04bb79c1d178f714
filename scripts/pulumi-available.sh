#!/usr/bin/env bash
# Tells whether the configured NuGet source serves the Pulumi packages the Infra stack needs.
# Source it and call pulumi_available, or run it: exit 0 if a throwaway project referencing
# Pulumi 3.112.1 and Pulumi.AzureNative 3.28.0 restores, 1 if not.
#
#   if scripts/pulumi-available.sh; then flag=true; else flag=false; fi
#   dotnet test GeoLedger.slnx -p:GeoLedgerPulumi=$flag
# or, sourced:  flag="$(pulumi_test_flag)"   (prints the one "left out" line itself when false)

pulumi_available() {
  local dir rc
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
  timeout "${PULUMI_PROBE_TIMEOUT:-180}" dotnet restore "$dir/PulumiProbe.csproj" --nologo -v:q >/dev/null 2>&1
  rc=$?
  rm -rf "$dir"
  [ "$rc" -eq 0 ]
}

# Echoes the value for -p:GeoLedgerPulumi; when false, says on stderr what is left out and why.
pulumi_test_flag() {
  if pulumi_available; then
    echo true
  else
    echo "Left out: the Pulumi stack (Infra/Stack) and its tests (Infra.Tests/Stack) - the NuGet source does not serve Pulumi 3.112.1 / Pulumi.AzureNative 3.28.0; the Infra plan tests still run." >&2
    echo false
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  pulumi_available
fi
