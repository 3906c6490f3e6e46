using System.Security.Cryptography;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>Where an installed pack comes from.</summary>
public enum PackSource
{
    /// <summary>The user's store (<c>$COLORIZE_HOME/packs</c>): installed, removable.</summary>
    Store,

    /// <summary>A read-only folder shipped with the application (the default pack lives there).</summary>
    Bundled,
}

/// <summary>
/// An unpacked pack in a folder (<c>&lt;root&gt;/&lt;id&gt;/&lt;version&gt;/</c>): its manifest and read access to
/// the files the manifest lists. Hand it to <see cref="Colorize.Abstractions.IColorizerEngine.Load"/>.
/// </summary>
public sealed class InstalledPack : IModelPackContent
{
    internal InstalledPack(PackManifest manifest, string directory, PackSource source)
    {
        Manifest = manifest;
        Directory = directory;
        Source = source;
        Version = SemVer.Parse(manifest.Version);
        Files = [PackManifestJson.FileName, manifest.Weights.File, .. (manifest.Files?.Keys ?? []).Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public PackManifest Manifest { get; }

    /// <summary>The pack id.</summary>
    public string Id => Manifest.Id;

    /// <summary>The pack version.</summary>
    public SemVer Version { get; }

    /// <summary>"id@version", the exact reference.</summary>
    public string Reference => $"{Id}@{Version}";

    /// <summary>The folder holding the pack's files.</summary>
    public string Directory { get; }

    /// <summary>The store or a bundled folder.</summary>
    public PackSource Source { get; }

    /// <summary>Every file of the pack: manifest.json, the weights, then the other listed files ('/'-separated).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <inheritdoc/>
    public Stream OpenFile(string name)
    {
        if (!Files.Contains(name, StringComparer.Ordinal))
        {
            throw new ModelPackException($"Pack {Reference} has no file '{PackManifestValidator.Clip(name)}'.");
        }

        string path = FullPath(name);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelPackException($"Cannot open '{name}' of pack {Reference} in {Directory}: {e.Message} (verify or reinstall the pack).", e);
        }
    }

    /// <summary>Checks every file's sha256 and that the folder holds nothing else; see <see cref="PackVerification"/>.</summary>
    public PackVerification Verify() => PackFolderVerifier.Verify(Directory, Source, Id, Version.ToString());

    /// <inheritdoc/>
    public override string ToString() => Reference;

    internal string FullPath(string name) => Path.Combine(Directory, name.Replace('/', Path.DirectorySeparatorChar));

    internal static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>The result of verifying one pack folder.</summary>
/// <param name="Reference">"id@version" (from the folder names when the manifest cannot be read).</param>
/// <param name="Directory">The pack's folder.</param>
/// <param name="Source">Store or bundled.</param>
/// <param name="Problems">What is wrong, one sentence each; empty when the pack is intact.</param>
public sealed record PackVerification(string Reference, string Directory, PackSource Source, IReadOnlyList<string> Problems)
{
    /// <summary>True when every file is present, unmodified, and nothing else is in the folder.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>Checks an unpacked pack folder against its manifest.</summary>
internal static class PackFolderVerifier
{
    public static PackVerification Verify(string directory, PackSource source, string folderId, string folderVersion)
    {
        var problems = new List<string>();
        string reference = $"{folderId}@{folderVersion}";
        PackManifest manifest;
        try
        {
            manifest = PackManifestJson.ReadFile(Path.Combine(directory, PackManifestJson.FileName));
        }
        catch (ModelPackException e)
        {
            problems.Add(e.Message);
            return new PackVerification(reference, directory, source, problems);
        }

        if (manifest.Id != folderId || manifest.Version != folderVersion)
        {
            problems.Add($"the manifest describes {manifest.Id}@{manifest.Version} but the folder is {reference}");
        }

        var pack = new InstalledPack(manifest, directory, source);
        var expected = new Dictionary<string, string>(StringComparer.Ordinal) { [manifest.Weights.File] = manifest.Weights.Sha256 };
        foreach (var (name, sha) in manifest.Files ?? new Dictionary<string, string>())
        {
            expected[name] = sha;
        }

        foreach (var (name, sha) in expected)
        {
            string path = pack.FullPath(name);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problems.Add($"'{name}' is missing");
                continue;
            }

            if (info.LinkTarget is not null)
            {
                problems.Add($"'{name}' is a link, not a file");
                continue;
            }

            try
            {
                string actual = InstalledPack.Sha256Of(path);
                if (actual != sha)
                {
                    problems.Add($"'{name}' was modified (sha256 {actual}, the manifest says {sha})");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"'{name}' cannot be read: {e.Message}");
            }
        }

        foreach (var extra in EnumerateRelative(directory).Where(f => !pack.Files.Contains(f, StringComparer.Ordinal)))
        {
            problems.Add($"'{extra}' is not part of the pack");
        }

        return new PackVerification(reference, directory, source, problems);
    }

    private static IEnumerable<string> EnumerateRelative(string directory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true, ReturnSpecialDirectories = false };
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
        {
            // A folder only counts when it is a link (enumeration does not follow it) or holds nothing listed.
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                continue;
            }

            yield return Path.GetRelativePath(directory, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
        }
    }
}
