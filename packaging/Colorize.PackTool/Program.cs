using Colorize.Abstractions.Packs;

namespace Colorize.PackTool;

/// <summary><c>colorize-pack &lt;pack-folder&gt; -o &lt;file.cpack&gt;</c>: see <see cref="PackFolderWriter"/>.</summary>
internal static class Program
{
    private const string Usage = "usage: colorize-pack <pack-folder> -o <file.cpack>";

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? folder = null;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-o" or "--output" && i + 1 < args.Length)
            {
                output = args[++i];
            }
            else if (folder is null && !args[i].StartsWith('-'))
            {
                folder = args[i];
            }
            else
            {
                stderr.WriteLine(Usage);
                return 2;
            }
        }

        if (folder is null || output is null)
        {
            stderr.WriteLine(Usage);
            return 2;
        }

        try
        {
            var manifest = PackFolderWriter.Write(folder, output);
            stdout.WriteLine($"wrote {output}: {manifest.Id}@{manifest.Version}");
            return 0;
        }
        catch (Exception e) when (e is ModelPackException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {folder}: {e.Message}");
            return 1;
        }
    }
}
