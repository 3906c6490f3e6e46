using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;

namespace Colorize.Host.Tests;

/// <summary>
/// The README's main-job command, read from README.md itself, must run again and again on a clone and write only
/// where git ignores it (issue 15: the second run failed with "already exists" and the first left an untracked file
/// in the repository root). Its arguments are given to the built app, as <c>dotnet run</c> would, in a temp copy
/// of the sample's folder so the repository is not written to.
/// </summary>
public sealed class ReadmeCommandTests : IDisposable
{
    private const string CommandStart = "dotnet run --project host-adapters/Colorize.Host -c Release -- ";
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    private static string RepositoryRoot => Metadata("RepositoryRoot");

    [Fact]
    public void TheMainJobCommand_RunsTwice_AndWritesWhereGitIgnoresIt()
    {
        string[] args = ReadmeArguments();
        int outputAt = Array.IndexOf(args, "-o") + 1;
        Assert.True(outputAt > 0 && outputAt < args.Length, $"the README's command has no -o: {string.Join(' ', args)}");
        string output = args[outputAt];
        Assert.False(Path.IsPathRooted(output), output);
        foreach (string input in args.Where(a => a.StartsWith("samples/", StringComparison.Ordinal)))
        {
            string copy = _host.InWork(input);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(Path.Combine(RepositoryRoot, input), copy);
        }

        var first = RunApp(args);
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = RunApp(args);
        Assert.True(second.ExitCode == 0, $"the second run failed: {second}");

        var image = Colorize.Imaging.Image.Load(_host.InWork(output));
        var sample = Colorize.Imaging.Image.Identify(Path.Combine(RepositoryRoot, "samples", "picos-de-europa-bw.jpg"));
        Assert.Equal((sample.Width, sample.Height), (image.Width, image.Height));
        Assert.True(IsIgnoredByGit(output), $"{output} would be an untracked, not ignored file in the repository");
    }

    /// <summary>The arguments after <c>--</c> of the README's command line (it has no quoting).</summary>
    private static string[] ReadmeArguments()
    {
        string readme = Path.Combine(RepositoryRoot, "README.md");
        string line = Assert.Single(File.ReadLines(readme), l => l.StartsWith(CommandStart, StringComparison.Ordinal));
        string rest = line[CommandStart.Length..];
        Assert.DoesNotContain("\"", rest, StringComparison.Ordinal);
        Assert.DoesNotContain("'", rest, StringComparison.Ordinal);
        return rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Asks git (its ignore rules only, not the index); without git, reads the root .gitignore's folder lines.</summary>
    private static bool IsIgnoredByGit(string relativePath)
    {
        var start = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "-C", RepositoryRoot, "check-ignore", "--no-index", "-q", relativePath })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var git = Process.Start(start)!;
            git.WaitForExit();
            if (git.ExitCode is 0 or 1)
            {
                return git.ExitCode == 0;
            }
        }
        catch (Win32Exception)
        {
            // No git: fall back to the file.
        }

        string folder = relativePath.Split('/')[0];
        return File.ReadLines(Path.Combine(RepositoryRoot, ".gitignore")).Any(l => l.Trim() == $"/{folder}/" || l.Trim() == $"{folder}/");
    }

    private CliRun RunApp(string[] args) => _host.RunBuiltApp(TimeSpan.FromSeconds(120), args);

    private static string Metadata(string key) => typeof(ReadmeCommandTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;
}
