using System.Net;
using System.Net.Sockets;

namespace GeoLedger.Infra.Plan;

/// <summary>An IPv4 CIDR block (<c>a.b.c.d/n</c>) as the plan and Azure's NSG rules use it.</summary>
public readonly record struct Cidr(uint Network, int PrefixLength)
{
    /// <summary>The first address after the block.</summary>
    public ulong End => Network + (1UL << (32 - PrefixLength));

    /// <summary>True when the two blocks share an address.</summary>
    public bool Overlaps(Cidr other) => Network < other.End && other.Network < End;

    /// <summary>The canonical text form.</summary>
    public override string ToString() => $"{Address(Network)}/{PrefixLength}";

    /// <summary>An IPv4 address as dotted text.</summary>
    public static string Address(uint value) =>
        $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}";

    /// <summary>Parses <c>a.b.c.d/n</c> (or a bare address, read as /32); the host bits must be zero.</summary>
    /// <exception cref="PlanException">Not a valid IPv4 CIDR block.</exception>
    public static Cidr Parse(string text, string setting)
    {
        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || parts[0].Count(c => c == '.') != 3)
            throw new PlanException(setting, $"'{text}' is not an IPv4 CIDR block such as 203.0.113.0/24");
        var prefix = 32;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out prefix) || prefix is < 0 or > 32))
            throw new PlanException(setting, $"'{text}' has a bad prefix length: use /0 to /32");
        var bytes = address.GetAddressBytes();
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        if ((value & ~mask) != 0)
            throw new PlanException(setting, $"'{text}' has host bits set: did you mean {new Cidr(value & mask, prefix)}?");
        return new Cidr(value, prefix);
    }
}
