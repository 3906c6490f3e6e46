using System.Diagnostics;
using System.Reflection;
using Colorize.Abstractions;
using Colorize.Host;
using Colorize.Imaging;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Host.Tests;

/// <summary>What one run of the command printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>
/// A temp Colorize home and working folder, and the real entry point (<see cref="ColorizeCli.Run"/>) run in-process
/// against them. The engine is the real plugin, found in plugins/ beside the test assembly as the app finds it.
/// </summary>
internal sealed class HostHarness : IDisposable
{
    public HostHarness()
    {
        Root = Path.Combine(Path.GetTempPath(), "colorize-host-tests", Guid.NewGuid().ToString("N")[..12]);
        Home = Path.Combine(Root, "home");
        Work = Path.Combine(Root, "work");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Work);
    }

    public string Root { get; }

    public string Home { get; }

    public string Work { get; }

    public string InWork(params string[] parts) => Path.Combine([Work, .. parts]);

    public CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ColorizeCli.Run(args, new CliContext { Out = output, Error = error, Home = Home, WorkingDirectory = Work });
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The shipped app's colorize.dll in the host's own build folder (the test project records its path).</summary>
    public static string BuiltAppAssembly => typeof(HostHarness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ColorizeHostPath").Value!;

    /// <summary>
    /// Runs the built app as its own process (<c>dotnet colorize.dll</c>) in <see cref="Work"/> with <see cref="Home"/>
    /// as <c>COLORIZE_HOME</c>, so that its Program.cs and its plugins/ folder are what runs, not this test's copies.
    /// </summary>
    public CliRun RunBuiltApp(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Work,
        };
        start.ArgumentList.Add(BuiltAppAssembly);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["COLORIZE_HOME"] = Home;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeout), "colorize did not finish");
        return new CliRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Writes a small pix2pix pack (built from the PyTorch layout, see PackBuilder) and installs it through the CLI.</summary>
    public void InstallTinyPack(string id = "tiny-unet", string version = "1.0.0")
    {
        string file = PackBuilder.Pix2Pix(id, version).Write(Root);
        var run = Run("packs", "install", file);
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    /// <summary>A gray gradient image (Gray8) with some structure, saved in the format of the extension.</summary>
    public string WriteGray(string relativePath, int width = 40, int height = 30)
    {
        string path = InWork(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var image = new Image(width, height, PixelFormat.Gray8);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                row[x] = (byte)((x * 255 / width + y * 3 + ((x / 8 + y / 8) % 2 == 0 ? 40 : 0)) % 256);
            }
        }

        image.Save(path);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
