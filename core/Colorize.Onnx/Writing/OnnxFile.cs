using System.Diagnostics;
using System.Globalization;

namespace Colorize.Onnx.Writing;

/// <summary>Writes model files so that the target is either the old file or the complete new one, never a partial one.</summary>
public static class OnnxFile
{
    /// <summary>
    /// Writes <paramref name="bytes"/> to a temporary file <c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c> in the
    /// target's folder, flushes it to disk, and renames it over <paramref name="path"/> (a rename within one folder is
    /// atomic). The temporary file is removed when anything fails before the rename.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture,
            $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                // On disk before the rename, so a crash after it cannot leave a renamed but empty file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException e)
        {
            Debug.WriteLine($"Could not remove {temp}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Debug.WriteLine($"Could not remove {temp}: {e.Message}");
        }
    }
}
