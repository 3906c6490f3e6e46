using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Colorize.Imaging;

/// <summary>
/// Names the temporary files <see cref="Image.Save(string, IImageEncoder, bool)"/> writes beside its target, and
/// removes the ones a killed process left behind.
/// </summary>
/// <remarks>
/// A save writes <c>.&lt;name&gt;.&lt;pid&gt;.&lt;32 hex digits&gt;.tmp</c> in the target's folder and renames it over the
/// target; a process killed (SIGKILL, power loss) between the two leaves that hidden file behind, and nothing else
/// would ever remove it. So the first save into a folder in each process sweeps the folder: a temporary file of
/// this pattern is deleted when the process named in it is not running <em>and</em> nobody holds it open (the writer
/// opens it with <see cref="FileShare.None"/>, a <c>flock</c> on Unix, a share lock on Windows). The PID alone is
/// not enough where one folder is shared by processes that cannot see each other (containers with their own PID
/// namespace, two machines on a network share); the lock alone is not enough because the writer closes the file
/// just before renaming it. A dead PID reused by a live process only delays the clean-up to a later run.
/// Once per folder per process, not on every save, so a batch writing n images into one folder lists it once, not n
/// times.
/// </remarks>
internal static class TemporaryFiles
{
    private const string Suffix = ".tmp";
    private const int GuidDigits = 32;

    private static readonly SearchValues<char> GuidCharacters = SearchValues.Create("0123456789abcdef");

    private static readonly ConcurrentDictionary<string, bool> SweptFolders = new(
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>A new temporary path for <paramref name="fullPath"/> in its folder; sweeps the folder first if this process has not yet.</summary>
    public static string For(string fullPath)
    {
        string directory = Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory();
        if (SweptFolders.TryAdd(directory, true))
        {
            RemoveStale(directory);
        }

        return Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}{Suffix}");
    }

    /// <summary>Deletes the temporary files in <paramref name="directory"/> that dead processes left; returns how many.</summary>
    public static int RemoveStale(string directory)
    {
        int removed = 0;
        IEnumerable<string> candidates;
        try
        {
            // Dot files count as hidden on Unix, which the default options skip; links are never followed.
            var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Directory, IgnoreInaccessible = true };
            candidates = Directory.EnumerateFiles(directory, ".*" + Suffix, options).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (string path in candidates)
        {
            if (WriterId(Path.GetFileName(path)) is { } pid && !IsRunning(pid) && TryDeleteUnlocked(path))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The PID in a name of the pattern <c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>; null for any other name.</summary>
    internal static int? WriterId(string fileName)
    {
        if (!fileName.StartsWith('.') || !fileName.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return null;
        }

        string stem = fileName[..^Suffix.Length];
        int guidDot = stem.LastIndexOf('.');
        if (guidDot < 1 || stem.Length - guidDot - 1 != GuidDigits || stem.AsSpan(guidDot + 1).ContainsAnyExcept(GuidCharacters))
        {
            return null;
        }

        int pidDot = stem.LastIndexOf('.', guidDot - 1);
        return pidDot >= 1 && int.TryParse(stem.AsSpan(pidDot + 1, guidDot - pidDot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
            ? pid
            : null;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or PlatformNotSupportedException)
        {
            // Cannot tell (a sandbox without process information): keep the file rather than risk a live writer's.
            return true;
        }
    }

    /// <summary>Deletes the file unless someone holds it open; false when it stays.</summary>
    private static bool TryDeleteUnlocked(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.None))
            {
            }

            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held by a writer we cannot see, or not ours to delete: leave it.
            return false;
        }
    }
}
