using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The data-folder lock holds for as long as its holder runs, whatever is deleted inside the folder; the folder is private to its user.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes and /proc
public sealed class DataDirectoryLockTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private string Data => Path.Combine(folder.Path, "data");

    [Fact]
    public void A_second_holder_is_refused_even_after_every_file_in_the_folder_was_deleted()
    {
        using var first = DataDirectoryLock.Acquire(Data);
        foreach (var entry in Directory.EnumerateFiles(Data))
            File.Delete(entry); // a cleanup script removing what looks like a stale lock file

        var message = Assert.Throws<InvalidOperationException>(() => DataDirectoryLock.Acquire(Data)).Message;

        Assert.Contains($"Data folder '{Data}' is in use", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_the_lock_lets_the_next_holder_in()
    {
        DataDirectoryLock.Acquire(Data).Dispose();

        using var second = DataDirectoryLock.Acquire(Data);
    }

    [Fact]
    public void A_new_folder_is_created_private_to_its_user_and_so_are_the_files_made_in_it()
    {
        using var held = DataDirectoryLock.Acquire(Path.Combine(Data, "nested"));
        var file = Path.Combine(Data, "nested", "file");
        File.WriteAllText(file, "x");

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Data) & ~UnixFileMode.SetGroup);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(Data, "nested")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void An_existing_folder_open_to_others_is_made_private()
    {
        Directory.CreateDirectory(Data);
        File.SetUnixFileMode(Data, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        using var held = DataDirectoryLock.Acquire(Data);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Data));
    }
}
