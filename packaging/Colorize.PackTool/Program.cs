using Colorize.Abstractions.Packs;

namespace Colorize.PackTool;

/// <summary>
/// The release script's helper (packaging/build.sh), two verbs:
/// <c>colorize-pack &lt;pack-folder&gt; -o &lt;file.cpack | folder&gt;</c> (see <see cref="PackFolderWriter"/>; into a
/// folder the file is named <c>&lt;id&gt;-&lt;version&gt;.cpack</c>) and
/// <c>colorize-pack zip &lt;folder&gt; -o &lt;file.zip&gt; [--prefix &lt;path&gt;]</c> (see <see cref="ReproducibleZip"/>).
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: colorize-pack <pack-folder> -o <file.cpack | existing-folder>
               colorize-pack zip <folder> -o <file.zip> [--prefix <path-inside-zip>]
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool zip = args.Length > 0 && args[0] == "zip";
        string? folder = null;
        string? output = null;
        string prefix = "";
        for (int i = zip ? 1 : 0; i < args.Length; i++)
        {
            if (args[i] is "-o" or "--output" && i + 1 < args.Length)
            {
                output = args[++i];
            }
            else if (zip && args[i] == "--prefix" && i + 1 < args.Length)
            {
                prefix = args[++i];
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
            if (zip)
            {
                int count = ReproducibleZip.Write(folder, output, prefix);
                stdout.WriteLine($"wrote {output}: {count} files");
                return 0;
            }

            var manifest = PackFolderWriter.Write(folder, output);
            stdout.WriteLine($"wrote {PackFolderWriter.OutputPath(output, manifest)}: {manifest.Id}@{manifest.Version}");
            return 0;
        }
        catch (Exception e) when (e is ModelPackException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {folder}: {e.Message}");
            return 1;
        }
    }
}
