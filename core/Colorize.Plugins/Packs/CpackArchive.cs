using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// A <c>.cpack</c> opened for installing. <see cref="Open"/> checks the archive's directory (entry count, names,
/// links, encryption, duplicates, sizes, compression ratios) and the manifest before a byte is unpacked;
/// <see cref="ExtractTo"/> unpacks into a staging folder, counting real bytes (declared sizes can lie) and checking
/// every sha256. Every refusal is a <see cref="ModelPackException"/> naming the problem.
/// </summary>
internal sealed class CpackArchive : IPackSource
{
    private const uint EndOfCentralDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymlink = 0xA000;
    private const int UnixRegularFile = 0x8000;
    private const int UnixDirectory = 0x4000;

    private readonly FileStream _stream;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _files;
    private readonly PackLimits _limits;
    private readonly string _packageName;

    private CpackArchive(FileStream stream, ZipArchive zip, Dictionary<string, ZipArchiveEntry> files, PackManifest manifest, PackLimits limits, string packageName)
    {
        (_stream, _zip, _files, Manifest, _limits, _packageName) = (stream, zip, files, manifest, limits, packageName);
    }

    /// <inheritdoc/>
    public PackManifest Manifest { get; }

    /// <summary>Opens and checks a package; the caller disposes it.</summary>
    public static CpackArchive Open(string path, PackLimits limits)
    {
        string name = Path.GetFileName(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelPackException($"Cannot read the pack file {path}: {e.Message}", e);
        }

        try
        {
            CheckCentralDirectory(stream, limits, name);
            stream.Position = 0;
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException e)
            {
                throw new ModelPackException($"{name} is not a valid .cpack (zip) file: {e.Message}", e);
            }

            try
            {
                var files = CheckEntries(zip, limits, name);
                var manifest = ReadManifest(files, limits, name);
                CheckFileSet(files, manifest, name);
                return new CpackArchive(stream, zip, files, manifest, limits, name);
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
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
        foreach (var (name, entry) in _files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string target = Path.Combine(directory, name.Replace('/', Path.DirectorySeparatorChar));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long written = 0;
            try
            {
                using var input = entry.Open();
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                int n;
                while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    written += n;
                    // Declared sizes come from the archive and can lie: count what really comes out.
                    if (written > entry.Length)
                    {
                        throw new ModelPackException($"{_packageName}: '{name}' expands beyond its declared {entry.Length} bytes (a zip bomb?).");
                    }

                    hash.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            catch (InvalidDataException e)
            {
                throw new ModelPackException($"{_packageName}: '{name}' is corrupt: {e.Message}", e);
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                throw new ModelPackException($"{_packageName}: cannot unpack '{name}': {e.Message}", e);
            }

            if (written != entry.Length)
            {
                throw new ModelPackException($"{_packageName}: '{name}' holds {written} bytes, its directory entry declares {entry.Length}.");
            }

            if (name == PackManifestJson.FileName)
            {
                continue;
            }

            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected[name])
            {
                throw new ModelPackException($"{_packageName}: sha256 of '{name}' is {actual}, the manifest says {expected[name]} (the file is damaged or was changed).");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }

    /// <summary>
    /// Reads the end-of-central-directory record (and the zip64 one when present) to bound the entry count and the
    /// directory size before <see cref="ZipArchive"/> allocates an object per entry.
    /// </summary>
    private static void CheckCentralDirectory(FileStream stream, PackLimits limits, string name)
    {
        long length = stream.Length;
        if (length < 22)
        {
            throw new ModelPackException($"{name} is not a .cpack (zip) file: it is only {length} bytes.");
        }

        int tailLength = (int)Math.Min(length, 22 + 0xFFFF + 20);
        var tail = new byte[tailLength];
        stream.Position = length - tailLength;
        stream.ReadExactly(tail);
        int eocd = -1;
        for (int i = tailLength - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndOfCentralDirectorySignature)
            {
                eocd = i;
                break;
            }
        }

        if (eocd < 0)
        {
            throw new ModelPackException($"{name} is not a .cpack (zip) file: no end-of-central-directory record.");
        }

        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(eocd + 10));
        ulong directorySize = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd + 12));
        if (entries == 0xFFFF || directorySize == 0xFFFFFFFF)
        {
            // Zip64: the real numbers are in the zip64 end record, found through the locator just before.
            int locator = eocd - 20;
            if (locator < 0 || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(locator)) != Zip64LocatorSignature)
            {
                throw new ModelPackException($"{name}: a zip64 archive without its zip64 locator.");
            }

            ulong recordOffset = BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(locator + 8));
            if (recordOffset > (ulong)(length - 56))
            {
                throw new ModelPackException($"{name}: the zip64 end record lies outside the file.");
            }

            var record = new byte[56];
            stream.Position = (long)recordOffset;
            stream.ReadExactly(record);
            if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
            {
                throw new ModelPackException($"{name}: the zip64 end record is damaged.");
            }

            entries = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32));
            directorySize = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40));
        }

        if (entries > (ulong)limits.MaxEntries)
        {
            throw new ModelPackException($"{name} has {entries} entries, more than the {limits.MaxEntries} a pack may have.");
        }

        if (directorySize > (ulong)limits.MaxCentralDirectoryBytes)
        {
            throw new ModelPackException($"{name}: its zip directory is {directorySize} bytes, more than the {limits.MaxCentralDirectoryBytes} allowed.");
        }
    }

    /// <summary>Checks every entry's name, type, flags and sizes; returns the file entries by name.</summary>
    private static Dictionary<string, ZipArchiveEntry> CheckEntries(ZipArchive zip, PackLimits limits, string name)
    {
        System.Collections.ObjectModel.ReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            entries = zip.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new ModelPackException($"{name} is not a valid .cpack (zip) file: {e.Message}", e);
        }

        if (entries.Count > limits.MaxEntries)
        {
            throw new ModelPackException($"{name} has {entries.Count} entries, more than the {limits.MaxEntries} a pack may have.");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in entries)
        {
            string entryName = entry.FullName;
            string shown = PackManifestValidator.Clip(entryName);
            bool isDirectory = entryName.EndsWith('/');
            string path = isDirectory ? entryName[..^1] : entryName;
            if (EntryNameProblem(path) is { } problem)
            {
                throw new ModelPackException($"{name}: entry '{shown}' {problem}.");
            }

            int unixType = (entry.ExternalAttributes >> 16) & UnixFileTypeMask;
            if (unixType == UnixSymlink)
            {
                throw new ModelPackException($"{name}: entry '{shown}' is a symbolic link; packs may contain only regular files.");
            }

            if (unixType != 0 && unixType != UnixRegularFile && unixType != UnixDirectory)
            {
                throw new ModelPackException($"{name}: entry '{shown}' is a special file (Unix type 0x{unixType:X4}); packs may contain only regular files.");
            }

            if (entry.IsEncrypted)
            {
                throw new ModelPackException($"{name}: entry '{shown}' is encrypted; packs must not be.");
            }

            if (!seen.Add(path))
            {
                throw new ModelPackException($"{name}: entry '{shown}' appears more than once (names are compared ignoring case).");
            }

            if (isDirectory || unixType == UnixDirectory)
            {
                if (entry.Length != 0)
                {
                    throw new ModelPackException($"{name}: folder entry '{shown}' carries {entry.Length} bytes of data.");
                }

                continue;
            }

            if (entry.Length > limits.MaxEntryBytes)
            {
                throw new ModelPackException($"{name}: '{shown}' would unpack to {entry.Length} bytes, more than the {limits.MaxEntryBytes} allowed per file.");
            }

            total += entry.Length;
            if (total > limits.MaxTotalBytes)
            {
                throw new ModelPackException($"{name} would unpack to more than the {limits.MaxTotalBytes} bytes a pack may hold.");
            }

            if (entry.Length >= limits.CompressionRatioThresholdBytes
                && entry.Length > entry.CompressedLength * limits.MaxCompressionRatio)
            {
                double ratio = entry.CompressedLength == 0 ? double.PositiveInfinity : (double)entry.Length / entry.CompressedLength;
                throw new ModelPackException($"{name}: '{shown}' is compressed {ratio:0}:1, more than the {limits.MaxCompressionRatio:0}:1 allowed (a zip bomb?).");
            }

            files.Add(path, entry);
        }

        return files;
    }

    /// <summary>Why an entry name is unacceptable, or null. Escapes are named as such so the refusal is understood.</summary>
    internal static string? EntryNameProblem(string path)
    {
        if (path.Length == 0)
        {
            return "has an empty name";
        }

        if (path.Any(char.IsControl))
        {
            return "has control characters in its name";
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "uses a backslash; a pack's paths use '/' and a backslash could escape the pack folder on Windows";
        }

        if (path.StartsWith('/'))
        {
            return "is an absolute path, which would escape the pack folder";
        }

        if (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':')
        {
            return "starts with a drive letter, which would escape the pack folder";
        }

        if (path.Contains(':', StringComparison.Ordinal))
        {
            return "contains ':', which is not allowed in a pack path";
        }

        if (path.Split('/').Any(s => s is ".." or "."))
        {
            return "contains '.' or '..' segments, which could escape the pack folder";
        }

        if (!PackManifestValidator.IsValidFilePath(path))
        {
            return "is not an allowed file name (letters, digits, '.', '_', '-', up to four '/'-separated parts, none starting with '.', no device names)";
        }

        return null;
    }

    private static PackManifest ReadManifest(Dictionary<string, ZipArchiveEntry> files, PackLimits limits, string name)
    {
        if (!files.TryGetValue(PackManifestJson.FileName, out var entry))
        {
            throw new ModelPackException($"{name} has no {PackManifestJson.FileName}.");
        }

        if (entry.Length > limits.MaxManifestBytes)
        {
            throw new ModelPackException($"{name}: {PackManifestJson.FileName} is {entry.Length} bytes, more than the {limits.MaxManifestBytes} allowed.");
        }

        var bytes = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            int read = 0, n;
            while (read < bytes.Length && (n = stream.Read(bytes, read, bytes.Length - read)) > 0)
            {
                read += n;
            }

            if (read != bytes.Length || stream.ReadByte() >= 0)
            {
                throw new ModelPackException($"{name}: {PackManifestJson.FileName} does not hold the {entry.Length} bytes its directory entry declares.");
            }
        }
        catch (InvalidDataException e)
        {
            throw new ModelPackException($"{name}: {PackManifestJson.FileName} is corrupt: {e.Message}", e);
        }

        try
        {
            return PackManifestJson.Parse(bytes);
        }
        catch (ModelPackException e)
        {
            throw new ModelPackException($"{name}: {e.Message}", e);
        }
    }

    /// <summary>The archive must hold exactly manifest.json, the weights and the listed files.</summary>
    private static void CheckFileSet(Dictionary<string, ZipArchiveEntry> files, PackManifest manifest, string name)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal) { PackManifestJson.FileName, manifest.Weights.File };
        listed.UnionWith(manifest.Files?.Keys ?? []);
        if (!files.ContainsKey(manifest.Weights.File))
        {
            throw new ModelPackException($"{name}: the weights file '{manifest.Weights.File}' named in the manifest is missing.");
        }

        if (listed.FirstOrDefault(f => !files.ContainsKey(f)) is { } missing)
        {
            throw new ModelPackException($"{name}: '{missing}' is listed in the manifest but missing from the pack.");
        }

        if (files.Keys.Order(StringComparer.Ordinal).FirstOrDefault(f => !listed.Contains(f)) is { } extra)
        {
            throw new ModelPackException($"{name}: '{PackManifestValidator.Clip(extra)}' is in the pack but not listed in the manifest's files.");
        }
    }
}
