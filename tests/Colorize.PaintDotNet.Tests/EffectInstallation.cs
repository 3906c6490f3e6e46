using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.Loader;
using Colorize.Plugins.Tests.Infrastructure;
using PaintDotNet.Effects;

namespace Colorize.PaintDotNet.Tests;

/// <summary>
/// The effect installed as Paint.NET installs a plugin: its build output copied to <c>Effects\Colorize\</c> (with the
/// tiny pack added to its <c>packs/</c>) and loaded into its own load context, whose Paint.NET assemblies (here the
/// stubs) come from the host. The <c>colorize</c> app, run as a process, gets the same pack through its own store.
/// </summary>
public sealed class EffectInstallation : IDisposable
{
    public const string PackId = "tiny-unet";
    public const string PackVersion = "1.0.0";
    public const string PackReference = PackId + "@" + PackVersion;

    public EffectInstallation()
    {
        Root = Path.Combine(Path.GetTempPath(), "colorize-pdn-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        PackFile = PackBuilder.Pix2Pix(PackId, PackVersion).Write(Root);

        EffectFolder = Install(Path.Combine(Root, "Effects", "Colorize"), withPack: true);

        // The effect also reads the user's pack store; an empty one keeps this machine's packs out of the tests.
        Environment.SetEnvironmentVariable("COLORIZE_HOME", Path.Combine(Root, "effect-home"));

        CliHome = Path.Combine(Root, "cli-home");
        var install = RunCli("packs", "install", PackFile);
        Assert.True(install.ExitCode == 0, install.ToString());

        EffectType = LoadEffectType(EffectFolder);
    }

    /// <summary>The effect's own build output (the folder packaging zips as Effects\Colorize\).</summary>
    public static string BuiltEffectFolder => Path.GetDirectoryName(Metadata("ColorizeEffectPath"))!;

    /// <summary>The repository's packaging/packs/, the source of the effect's bundled packs.</summary>
    public static string PackagingPacks => Metadata("ColorizePackagingPacks");

    public string Root { get; }

    public string PackFile { get; }

    /// <summary>The installed <c>Effects\Colorize\</c> folder.</summary>
    public string EffectFolder { get; }

    public string CliHome { get; }

    /// <summary>The effect class as Paint.NET finds it: the public, concrete effect type of the plugin assembly.</summary>
    public Type EffectType { get; }

    public PropertyBasedBitmapEffect CreateEffect() => (PropertyBasedBitmapEffect)Activator.CreateInstance(EffectType)!;

    /// <summary>
    /// Copies the built effect to <paramref name="folder"/> with only the tiny pack (or no pack) in its packs/: the
    /// shipped default pack is removed from the copy so that these tests compare against a pack they control
    /// (the layout test checks the built folder's packs/ itself).
    /// </summary>
    public string Install(string folder, bool withPack)
    {
        CopyDirectory(BuiltEffectFolder, folder);
        string packs = Path.Combine(folder, "packs");
        if (Directory.Exists(packs))
        {
            Directory.Delete(packs, recursive: true);
        }

        if (withPack)
        {
            ZipFile.ExtractToDirectory(PackFile, Path.Combine(folder, "packs", PackId, PackVersion));
        }

        return folder;
    }

    /// <summary>Loads the effect assembly of an installed folder in a load context of its own, as Paint.NET does.</summary>
    public static Type LoadEffectType(string folder)
    {
        var context = new EffectLoadContext(Path.Combine(folder, "Colorize.PaintDotNet.dll"));
        var assembly = context.LoadFromAssemblyPath(Path.Combine(folder, "Colorize.PaintDotNet.dll"));
        return assembly.GetExportedTypes().Single(t => !t.IsAbstract && typeof(PropertyBasedBitmapEffect).IsAssignableFrom(t));
    }

    /// <summary>Runs the built <c>colorize</c> app with <see cref="CliHome"/> as its Colorize home.</summary>
    public CliRun RunCli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        start.ArgumentList.Add(Metadata("ColorizeHostPath"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["COLORIZE_HOME"] = CliHome;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "colorize did not finish");
        return new CliRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // The effect's assemblies stay loaded until the process ends; on Windows their files cannot be deleted.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Metadata(string key) => typeof(EffectInstallation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// A plugin's load context as Paint.NET makes one: Paint.NET's own assemblies from the host, the plugin's
    /// dependencies from its folder through its deps.json, the framework from the default context.
    /// </summary>
    private sealed class EffectLoadContext(string mainAssembly) : AssemblyLoadContext($"Paint.NET effect {mainAssembly}")
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name?.StartsWith("PaintDotNet.", StringComparison.Ordinal) == true)
            {
                return null;
            }

            return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
        }
    }
}

/// <summary>What one run of the app printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

[CollectionDefinition(Name)]
public sealed class EffectFixture : ICollectionFixture<EffectInstallation>
{
    public const string Name = "Installed effect";
}
