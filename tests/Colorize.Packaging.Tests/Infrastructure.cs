using System.Diagnostics;
using System.Reflection;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Packaging.Tests;

/// <summary>What one process printed and returned.</summary>
internal sealed record ProcessRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>The build's facts recorded by the test project (see its .csproj) and a process runner.</summary>
internal static class Build
{
    public static string RepoRoot => Metadata("RepoRoot");

    public static string Configuration => Metadata("Configuration");

    /// <summary>The --artifacts-path this build used, or empty for the classic bin/obj layout.</summary>
    public static string ArtifactsPath => Metadata("ArtifactsPath");

    /// <summary>The release version from Directory.Build.props.</summary>
    public static string ReleaseVersion => Metadata("ReleaseVersion");

    /// <summary>The folder of the dotnet that runs these tests; the tool's launcher needs it as DOTNET_ROOT.</summary>
    public static string DotnetRoot
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (string.IsNullOrEmpty(host) || !File.Exists(host))
            {
                host = Environment.ProcessPath!;
            }

            var resolved = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
            return Path.GetDirectoryName(resolved)!;
        }
    }

    public static string DotnetExe => Path.Combine(DotnetRoot, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");

    private static string Metadata(string key) => typeof(Build).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value ?? "";

    /// <summary>Runs a program to its end (at most <paramref name="timeout"/>) with only the given changes to the environment.</summary>
    public static ProcessRun Run(string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }

        return new ProcessRun(process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Writes a builder's pack as an unpacked folder, the layout of packaging/packs/&lt;id&gt;/.</summary>
internal static class PackFolders
{
    public static string Write(PackBuilder pack, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(System.IO.Path.Combine(folder, "manifest.json"), pack.ManifestBytes());
        foreach (var (name, data) in pack.Files)
        {
            string path = System.IO.Path.Combine(folder, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
        }

        return folder;
    }
}
