using System.Security.Cryptography;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// An unpacked pack folder opened for installing (<c>colorize packs install &lt;folder&gt;</c>): manifest.json, the
/// weights and the files the manifest lists, nothing else; the layout of packaging/packs/ and of the store itself.
/// It passes the checks a <c>.cpack</c> does: names, links, sizes, the exact file set, the manifest, every sha256
/// (computed while copying, so a file changed between the check and the copy is caught).
/// </summary>
internal sealed class PackFolder : IPackSource
{
    private readonly string _directory;
    private readonly string _name;
    private readonly Dictionary<string, long> _files;

    private PackFolder(string directory, Dictionary<string, long> files, PackManifest manifest)
    {
        (_directory, _files, Manifest) = (directory, files, manifest);
        _name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
    }

    /// <inheritdoc/>
    public PackManifest Manifest { get; }

    /// <summary>Checks the folder's files and manifest.</summary>
    public static PackFolder Open(string directory, PackLimits limits)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        var files = ListFiles(directory, limits, name);
        if (!files.TryGetValue(PackManifestJson.FileName, out long manifestLength))
        {
            throw new ModelPackException($"{name} is not a pack folder: it has no {PackManifestJson.FileName}.");
        }

        if (manifestLength > limits.MaxManifestBytes)
        {
            throw new ModelPackException($"{name}: {PackManifestJson.FileName} is {manifestLength} bytes, more than the {limits.MaxManifestBytes} allowed.");
        }

        PackManifest manifest;
        try
        {
            manifest = PackManifestJson.Parse(File.ReadAllBytes(Path.Combine(directory, PackManifestJson.FileName)));
        }
        catch (ModelPackException e)
        {
            throw new ModelPackException($"{name}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelPackException($"{name}: cannot read {PackManifestJson.FileName}: {e.Message}", e);
        }

        CheckFileSet(files, manifest, name);
        return new PackFolder(directory, files, manifest);
    }

    /// <inheritdoc/>
    public void ExtractTo(string directory, CancellationToken cancellationToken)
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal) { [Manifest.Weights.File] = Manifest.Weights.Sha256 };
        foreach (var (file, sha) in Manifest.Files ?? new Dictionary<string, string>())
        {
            expected[file] = sha;
        }

        var buffer = new byte[1 << 16];
        foreach (var (name, length) in _files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string source = Path.Combine(_directory, name.Replace('/', Path.DirectorySeparatorChar));
            string target = Path.Combine(directory, name.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long copied = 0;
            try
            {
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

                // A zero-length entry is never opened: FIFOs and devices report length 0, and opening a FIFO would
                // block. An empty file needs no reading anyway; its hash is checked below like any other.
                if (length > 0)
                {
                    using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        copied += n;
                        if (copied > length)
                        {
                            throw new ModelPackException($"{_name}: '{name}' grew while it was being installed.");
                        }

                        hash.AppendData(buffer, 0, n);
                        output.Write(buffer, 0, n);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelPackException($"{_name}: cannot copy '{name}': {e.Message}", e);
            }

            if (copied != length)
            {
                throw new ModelPackException($"{_name}: '{name}' changed while it was being installed ({copied} bytes read, {length} listed).");
            }

            if (name == PackManifestJson.FileName)
            {
                continue;
            }

            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected[name])
            {
                throw new ModelPackException($"{_name}: sha256 of '{name}' is {actual}, the manifest says {expected[name]} (the file is damaged or was changed).");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Nothing is held open between the checks and the copy.
    }

    /// <summary>Every file under the folder by its '/' path, with its length; links and unacceptable names are refused.</summary>
    private static Dictionary<string, long> ListFiles(string directory, PackLimits limits, string name)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long total = 0;
        int entries = 0;
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
            {
                string path = Path.GetRelativePath(directory, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                string shown = PackManifestValidator.Clip(path);
                if (++entries > limits.MaxEntries)
                {
                    throw new ModelPackException($"{name} holds more than the {limits.MaxEntries} files and folders a pack may have.");
                }

                if (entry.LinkTarget is not null)
                {
                    throw new ModelPackException($"{name}: '{shown}' is a link; packs may contain only regular files.");
                }

                if (CpackArchive.EntryNameProblem(path) is { } problem)
                {
                    throw new ModelPackException($"{name}: '{shown}' {problem}.");
                }

                if (!seen.Add(path))
                {
                    throw new ModelPackException($"{name}: '{shown}' appears more than once (names are compared ignoring case).");
                }

                if (entry is not FileInfo file)
                {
                    continue;
                }

                if (file.Length > limits.MaxEntryBytes)
                {
                    throw new ModelPackException($"{name}: '{shown}' is {file.Length} bytes, more than the {limits.MaxEntryBytes} allowed per file.");
                }

                total += file.Length;
                if (total > limits.MaxTotalBytes)
                {
                    throw new ModelPackException($"{name} holds more than the {limits.MaxTotalBytes} bytes a pack may hold.");
                }

                files.Add(path, file.Length);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelPackException($"Cannot read the pack folder {directory}: {e.Message}", e);
        }

        return files;
    }

    /// <summary>The folder must hold exactly manifest.json, the weights and the listed files.</summary>
    private static void CheckFileSet(Dictionary<string, long> files, PackManifest manifest, string name)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal) { PackManifestJson.FileName, manifest.Weights.File };
        listed.UnionWith(manifest.Files?.Keys ?? []);
        if (!files.ContainsKey(manifest.Weights.File))
        {
            throw new ModelPackException($"{name}: the weights file '{manifest.Weights.File}' named in the manifest is missing.");
        }

        if (listed.FirstOrDefault(f => !files.ContainsKey(f)) is { } missing)
        {
            throw new ModelPackException($"{name}: '{missing}' is listed in the manifest but missing from the folder.");
        }

        if (files.Keys.Order(StringComparer.Ordinal).FirstOrDefault(f => !listed.Contains(f)) is { } extra)
        {
            throw new ModelPackException($"{name}: '{PackManifestValidator.Clip(extra)}' is in the folder but not listed in the manifest's files.");
        }
    }
}
