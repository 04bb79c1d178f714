using System.Text;
using System.Text.RegularExpressions;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// The scripts of the Azure Run Commands that carry a membership change (run as root by the VM agent,
/// their output kept in the Run Command's instance view): bash that hands <see cref="Scripts.Member"/>
/// to python3 on stdin. Nothing secret is in them; the tokens stay in each VM's environment file.
/// </summary>
public static partial class MemberSteps
{
    /// <summary>Run Command time limit: an ACME certificate, the service's start and a learner's catch-up fit in it.</summary>
    public const int TimeoutSeconds = 3600;

    /// <summary>A node's own step: wait for first boot, then wait for the leader (founding) or join (<c>"join": true</c>).</summary>
    public static string Member() => Wrap(
        "# First boot (disk, certificate, service start) must be over before the node can join.\n"
        + "status=0; cloud-init status --wait >/dev/null || status=$?\n"
        + "if [ \"$status\" -ne 0 ] && [ \"$status\" -ne 2 ]; then echo 'geoledger-member: first boot failed: see /var/log/cloud-init-output.log' >&2; exit 1; fi\n",
        "member");

    /// <summary>The step that removes <paramref name="nodeId"/>, run on another member.</summary>
    /// <exception cref="ArgumentException">The id is not a plan node id (it goes into a shell script).</exception>
    public static string Leave(string nodeId)
    {
        if (!IdPattern().IsMatch(nodeId))
            throw new ArgumentException($"'{nodeId}' is not a node id", nameof(nodeId));
        return Wrap("", $"leave {nodeId}");
    }

    private static string Wrap(string before, string args)
    {
        var script = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append("# GeoLedger membership step (rendered by the Pulumi plan; Infra/Scripts/geoledger-member.py).\n")
            .Append("set -euo pipefail\n")
            .Append(before)
            .Append($"exec python3 - {args} <<'GEOLEDGER_MEMBER_PY'\n")
            .Append(Scripts.Member);
        if (!Scripts.Member.EndsWith('\n'))
            script.Append('\n');
        return script.Append("GEOLEDGER_MEMBER_PY\n").ToString();
    }

    [GeneratedRegex("^[a-z][a-z0-9]*-[0-9]{1,2}$")]
    private static partial Regex IdPattern();
}
