using System.Security.Cryptography;
using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// Everything an Image Builder template says, as one canonical text. Its hash names the template
/// and the gallery version: templates cannot be updated and AutoRun builds once, so any change
/// (the service, the script, the source, the regions, a new build attempt) must make a new one.
/// </summary>
public static class ImageSpec
{
    /// <summary>Source image (Canonical's Ubuntu 24.04 LTS server, Gen2, Trusted Launch capable).</summary>
    public const string SourcePublisher = "Canonical";

    /// <summary>Source image offer.</summary>
    public const string SourceOffer = "ubuntu-24_04-lts";

    /// <summary>Source image SKU.</summary>
    public const string SourceSku = "server";

    /// <summary>Source image version.</summary>
    public const string SourceVersion = "latest";

    /// <summary>Lowercase hex SHA-256 of the template's specification.</summary>
    public static string Hash(ImagePlan image, int attempt)
    {
        var text = new StringBuilder()
            .Append("geoledger-image-spec/1\n")
            .Append($"source {SourcePublisher}/{SourceOffer}/{SourceSku}/{SourceVersion}\n")
            .Append($"vm {image.BuildVmSize} timeout {image.BuildTimeoutMinutes} identity {image.BuildVmIdentityId}\n")
            .Append($"location {image.Location}\n")
            .Append($"distribute {image.GalleryImageId} to {string.Join(',', image.ReplicationRegions)}\n")
            .Append($"attempt {attempt}\n")
            .Append("script\n").Append(image.InstallScript)
            .ToString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
