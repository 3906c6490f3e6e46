using System.Security.Cryptography;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>Every folder and file (with its sha256) under a root, as text: equal snapshots mean an unchanged store.</summary>
internal static class StoreSnapshot
{
    public static string Take(string root)
    {
        if (!Directory.Exists(root))
        {
            return "(absent)";
        }

        return string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => File.Exists(path)
                ? $"{Path.GetRelativePath(root, path)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))}"
                : Path.GetRelativePath(root, path) + "/"));
    }
}
