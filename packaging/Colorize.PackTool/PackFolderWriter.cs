using System.IO.Compression;
using System.Security.Cryptography;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;

namespace Colorize.PackTool;

/// <summary>
/// Writes a <c>.cpack</c> from an unpacked pack folder (manifest.json, the weights, the files the manifest lists) and
/// proves the result installs: the folder is checked against its manifest first, the archive is written to a temporary
/// file, installed into a throw-away <see cref="PackStore"/> (which checks the archive and every sha256 as
/// <c>colorize packs install</c> does), and only then moved into place.
/// </summary>
internal static class PackFolderWriter
{
    /// <summary>Fixed entry timestamps keep the archive byte-for-byte reproducible (the trainer's PackWriter does the same).</summary>
    private static readonly DateTimeOffset EntryTime = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Unix mode of every entry: a regular file, rw-r--r--, so unzip gives sane permissions.</summary>
    private const int RegularFileMode = 0x8000 | 0x1A4;

    /// <summary>
    /// Checks <paramref name="folder"/>, writes the package and returns the manifest. When <paramref name="outputPath"/>
    /// is an existing folder the package goes into it as <c>&lt;id&gt;-&lt;version&gt;.cpack</c>.
    /// </summary>
    /// <exception cref="ModelPackException">The folder is not a complete, unmodified pack, or the written archive is refused.</exception>
    public static PackManifest Write(string folder, string outputPath)
    {
        folder = Path.GetFullPath(folder);
        var manifest = PackManifestJson.ReadFile(Path.Combine(folder, PackManifestJson.FileName));
        var files = CheckFolder(folder, manifest);

        string output = OutputPath(outputPath, manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string temp = $"{output}.{Environment.ProcessId}.tmp";
        try
        {
            using (var zip = new ZipArchive(File.Create(temp), ZipArchiveMode.Create))
            {
                foreach (string name in files)
                {
                    var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                    entry.LastWriteTime = EntryTime;
                    entry.ExternalAttributes = RegularFileMode << 16;
                    using var target = entry.Open();
                    using var source = File.OpenRead(Path.Combine(folder, name.Replace('/', Path.DirectorySeparatorChar)));
                    source.CopyTo(target);
                }
            }

            CheckInstalls(temp, manifest);
            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return manifest;
    }

    /// <summary>The file a package is written to: <paramref name="outputPath"/>, or <c>&lt;id&gt;-&lt;version&gt;.cpack</c> inside it when it is a folder.</summary>
    public static string OutputPath(string outputPath, PackManifest manifest) =>
        Path.GetFullPath(Directory.Exists(outputPath) ? Path.Combine(outputPath, $"{manifest.Id}-{manifest.Version}.cpack") : outputPath);

    /// <summary>
    /// The archive's entries in order (manifest.json first, then the weights and listed files by name), after checking
    /// that each exists with the manifest's sha256 and that the folder holds nothing else: an unlisted file would be
    /// reported by <c>colorize packs verify</c> as "not part of the pack" once the folder is bundled with the app.
    /// </summary>
    private static List<string> CheckFolder(string folder, PackManifest manifest)
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal) { [manifest.Weights.File] = manifest.Weights.Sha256 };
        foreach (var (name, sha) in manifest.Files ?? new Dictionary<string, string>())
        {
            expected[name] = sha;
        }

        var problems = new List<string>();
        foreach (var (name, sha) in expected)
        {
            string path = Path.Combine(folder, name.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(path))
            {
                problems.Add($"'{name}' is listed in the manifest but missing");
                continue;
            }

            using var stream = File.OpenRead(path);
            string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"'{name}' has sha256 {actual}, the manifest says {sha}");
            }
        }

        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name != PackManifestJson.FileName && !expected.ContainsKey(name))
            {
                problems.Add($"'{name}' is not listed in the manifest (add it to \"files\" with its sha256, or remove it)");
            }
        }

        if (problems.Count > 0)
        {
            throw new ModelPackException($"{folder} is not a complete pack: {string.Join("; ", problems)}.");
        }

        return [PackManifestJson.FileName, .. expected.Keys];
    }

    private static void CheckInstalls(string package, PackManifest manifest)
    {
        string home = Path.Combine(Path.GetTempPath(), $"colorize-pack-{Guid.NewGuid():N}");
        try
        {
            var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
            var installed = store.Install(package);
            var verification = installed.Verify();
            if (!verification.IsValid || installed.Reference != $"{manifest.Id}@{manifest.Version}")
            {
                throw new ModelPackException($"the written package did not install intact: {string.Join("; ", verification.Problems)}");
            }
        }
        finally
        {
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }
}
