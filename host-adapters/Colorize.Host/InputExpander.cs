using System.Text;
using System.Text.RegularExpressions;
using Colorize.Imaging;

namespace Colorize.Host;

/// <summary>One image to colorize: its full path and the name it keeps under the output folder.</summary>
internal sealed record InputFile(string FullPath, string RelativeName);

/// <summary>An input argument that named nothing usable; it fails on its own and the batch goes on.</summary>
internal sealed record InputProblem(string Argument, string Reason);

/// <summary>Turns input arguments (files, folders, globs) into image files.</summary>
internal static class InputExpander
{
    /// <summary>
    /// Expands <paramref name="arguments"/>. A file is taken as it is (a bad one fails when it is read); a folder
    /// gives every image file under it, by extension, keeping sub-folders in the output name; a glob (<c>*</c>,
    /// <c>?</c>, <c>**</c>) gives the image files it matches. Files under <paramref name="excludeDirectory"/>
    /// (the output folder) are skipped so that <c>colorize .</c> never feeds on its own results.
    /// </summary>
    public static (List<InputFile> Files, List<InputProblem> Problems) Expand(IEnumerable<string> arguments, CliContext context, string? excludeDirectory)
    {
        var files = new List<InputFile>();
        var problems = new List<InputProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? exclude = excludeDirectory is null ? null : Path.TrimEndingDirectorySeparator(excludeDirectory) + Path.DirectorySeparatorChar;

        void Add(string fullPath, string relativeName)
        {
            if ((exclude is null || !fullPath.StartsWith(exclude, StringComparison.Ordinal)) && seen.Add(fullPath))
            {
                files.Add(new InputFile(fullPath, relativeName));
            }
        }

        foreach (string argument in arguments)
        {
            if (IsGlob(argument))
            {
                var matches = Glob(argument, context);
                if (matches.Count == 0)
                {
                    problems.Add(new InputProblem(argument, "no image file matches this pattern"));
                }

                foreach (var (fullPath, relative) in matches)
                {
                    Add(fullPath, relative);
                }

                continue;
            }

            string full = context.FullPath(argument);
            if (File.Exists(full))
            {
                Add(full, Path.GetFileName(full));
            }
            else if (Directory.Exists(full))
            {
                var images = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
                    .Where(IsImageName)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (images.Count == 0)
                {
                    problems.Add(new InputProblem(argument, "the folder holds no image file"));
                }

                foreach (string image in images)
                {
                    Add(image, Path.GetRelativePath(full, image));
                }
            }
            else
            {
                problems.Add(new InputProblem(argument, "no such file or folder"));
            }
        }

        return (files, problems);
    }

    /// <summary>Whether the name has the extension of a format Colorize reads.</summary>
    public static bool IsImageName(string path) =>
        ImageFormatRegistry.Default.FindFormatByExtension(path) is { } format && ImageFormatRegistry.Default.FindDecoder(format) is not null;

    private static bool IsGlob(string argument) => argument.AsSpan().IndexOfAny('*', '?') >= 0;

    private static List<(string FullPath, string Relative)> Glob(string pattern, CliContext context)
    {
        // The fixed folder is everything before the first segment with a wildcard; the rest is matched.
        string normalized = pattern.Replace('\\', '/');
        string[] segments = normalized.Split('/');
        int firstWild = Array.FindIndex(segments, s => s.AsSpan().IndexOfAny('*', '?') >= 0);
        string root = firstWild == 0 ? "." : string.Join('/', segments[..firstWild]);
        if (root.Length == 0)
        {
            root = "/";
        }

        string rootFull = context.FullPath(root);
        string rest = string.Join('/', segments[firstWild..]);
        if (!Directory.Exists(rootFull))
        {
            return [];
        }

        var regex = new Regex("^" + ToRegex(rest) + "$", RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None));
        bool recurse = rest.Contains('/', StringComparison.Ordinal) || rest.Contains("**", StringComparison.Ordinal);
        return [.. Directory.EnumerateFiles(rootFull, "*", new EnumerationOptions { RecurseSubdirectories = recurse, IgnoreInaccessible = true })
            .Select(f => (FullPath: f, Relative: Path.GetRelativePath(rootFull, f)))
            .Where(f => regex.IsMatch(f.Relative.Replace('\\', '/')) && IsImageName(f.FullPath))
            .OrderBy(f => f.FullPath, StringComparer.Ordinal)];
    }

    private static string ToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" is any number of folders (also none); a trailing "**" is anything.
                bool slash = i + 2 < glob.Length && glob[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return sb.ToString();
    }
}
