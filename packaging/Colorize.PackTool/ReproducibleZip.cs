using System.IO.Compression;

namespace Colorize.PackTool;

/// <summary>
/// Zips a folder reproducibly for the release archives: entries sorted by path, one fixed timestamp, Unix modes kept
/// (the apphost stays executable), no directory entries. The same folder gives the same bytes, so SHA256SUMS are
/// stable across rebuilds of the same sources. Written to a temporary file and renamed into place.
/// </summary>
internal static class ReproducibleZip
{
    private static readonly DateTimeOffset EntryTime = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Zips every file under <paramref name="folder"/> as <c>&lt;prefix&gt;/&lt;relative path&gt;</c>; returns the file count.</summary>
    public static int Write(string folder, string outputPath, string prefix = "")
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new IOException($"no such folder: {folder}");
        }

        string root = prefix.Replace('\\', '/').Trim('/');
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => (Path: path, Name: Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        string output = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string temp = $"{output}.{Environment.ProcessId}.tmp";
        try
        {
            using (var zip = new ZipArchive(File.Create(temp), ZipArchiveMode.Create))
            {
                foreach (var (path, name) in files)
                {
                    var entry = zip.CreateEntry(root.Length == 0 ? name : $"{root}/{name}", CompressionLevel.Optimal);
                    entry.LastWriteTime = EntryTime;
                    entry.ExternalAttributes = (0x8000 | Mode(path)) << 16;
                    using var target = entry.Open();
                    using var source = File.OpenRead(path);
                    source.CopyTo(target);
                }
            }

            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return files.Count;
    }

    /// <summary>rwxr-xr-x for files their owner may execute, rw-r--r-- for the rest (and for every file when zipped on Windows).</summary>
    private static int Mode(string path)
    {
        bool executable = OperatingSystem.IsWindows()
            ? false
            : (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
        return executable ? 0x1ED : 0x1A4;
    }
}
