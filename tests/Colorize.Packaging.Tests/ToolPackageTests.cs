using System.IO.Compression;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Plugins.Tests.Infrastructure;
using Colorize.PackTool;

namespace Colorize.Packaging.Tests;

/// <summary>
/// The .NET tool package, as the release ships it: packed from the host as built (no second build), installed with
/// <c>dotnet tool install --tool-path</c> from a local folder under a NuGet config that has only that folder (no
/// network, nothing in ~/.dotnet/tools, ~/.nuget or the user's NuGet config), then run from its install location.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ToolPackage_InstallsOffline_IntoATempToolPath_AndRunsWithItsEngineAndBundledPacks()
    {
        string version = Build.ReleaseVersion;
        string home = _temp.Combine("home");
        string work = _temp.Combine("work");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(work);

        // The bundled packs: the repository's own (packaging/packs/<id>/, once committed) plus a tiny one of ours, so
        // the copy into packs/<id>/<version>/ is exercised whether or not the default pack exists yet.
        string packs = _temp.Combine("packs");
        var repoPacks = CopyRepositoryPacks(packs);
        PackFolders.Write(PackBuilder.Pix2Pix("tiny-bundled", "2.0.0").WithListedFile("MODEL_CARD.md", "# tiny\n"), Path.Combine(packs, "tiny-bundled"));

        // 1. dotnet pack, as packaging/build.sh does, into a local feed.
        string feed = _temp.Combine("feed");
        string package = PackTool(packs, feed);
        var names = EntryNames(package);
        Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", names);
        Assert.Contains("tools/net10.0/any/plugins/Colorize.Engine/Colorize.Engine.dll", names);
        Assert.Contains("tools/net10.0/any/plugins/Colorize.Engine/Colorize.Engine.deps.json", names);
        Assert.DoesNotContain("tools/net10.0/any/plugins/Colorize.Engine/Colorize.Abstractions.dll", names);
        Assert.Contains("tools/net10.0/any/packs/tiny-bundled/2.0.0/manifest.json", names);
        Assert.Contains("tools/net10.0/any/packs/tiny-bundled/2.0.0/MODEL_CARD.md", names);
        Assert.Contains("tools/net10.0/any/packs/tiny-bundled/2.0.0/weights.safetensors", names);
        // Nothing else under packs/ but whole pack folders of the expected packs.
        var packFolders = repoPacks.Select(r => r.Replace('@', '/') + "/").Append("tiny-bundled/2.0.0/").ToList();
        Assert.All(names.Where(n => n.StartsWith("tools/net10.0/any/packs/", StringComparison.Ordinal)),
            n => Assert.Contains(packFolders, f => n.StartsWith("tools/net10.0/any/packs/" + f, StringComparison.Ordinal)));

        // 2. dotnet tool install from that folder only, into a temp tool path.
        string config = _temp.Combine("nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        string tools = _temp.Combine("tools");
        var isolated = Quiet();
        isolated["DOTNET_CLI_HOME"] = _temp.Combine("cli-home");
        isolated["NUGET_PACKAGES"] = _temp.Combine("nuget-packages");
        var install = Build.Run(Build.DotnetExe, ["tool", "install", "colorize", "--tool-path", tools, "--add-source", feed, "--version", version, "--configfile", config], work, isolated, Slow);
        Assert.True(install.ExitCode == 0, install.ToString());

        // 3. The installed command, from its install location.
        string colorize = Path.Combine(tools, OperatingSystem.IsWindows() ? "colorize.exe" : "colorize");
        Assert.True(File.Exists(colorize), $"no {colorize}");
        var environment = Quiet();
        environment["DOTNET_ROOT"] = Build.DotnetRoot;
        environment["COLORIZE_HOME"] = home;
        ProcessRun Colorize(params string[] args) => Build.Run(colorize, args, work, environment, Slow);

        var versionRun = Colorize("--version");
        Assert.True(versionRun.ExitCode == 0, versionRun.ToString());
        Assert.StartsWith(version, versionRun.Out.Trim(), StringComparison.Ordinal);

        var plugins = Colorize("plugins", "list", "--json");
        Assert.True(plugins.ExitCode == 0, plugins.ToString());
        var engine = Assert.Single(JsonDocument.Parse(plugins.Out).RootElement.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Colorize.Engine");
        Assert.True(engine.GetProperty("loaded").GetBoolean(), plugins.Out);
        Assert.StartsWith(Path.Combine(tools, ".store"), engine.GetProperty("directory").GetString(), StringComparison.Ordinal);
        Assert.NotEmpty(engine.GetProperty("engines").EnumerateArray());

        var list = Colorize("packs", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = JsonDocument.Parse(list.Out).RootElement.GetProperty("packs").EnumerateArray()
            .Select(p => (Reference: p.GetProperty("reference").GetString()!, Source: p.GetProperty("source").GetString()!)).ToList();
        Assert.Contains(("tiny-bundled@2.0.0", "bundled"), listed);
        foreach (string reference in repoPacks)
        {
            Assert.Contains((reference, "bundled"), listed);
        }

        var verify = Colorize("packs", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // A bundled pack colorizes with no set-up; a .cpack written by colorize-pack installs (the engine checks it).
        WriteGray(Path.Combine(work, "photo.png"));
        var run = Colorize("photo.png", "-o", "out.png", "--pack", "tiny-bundled");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(ImageFormat.Png, Image.DetectFormat(File.ReadAllBytes(Path.Combine(work, "out.png"))));

        string cpack = _temp.Combine("tiny-installed-1.0.0.cpack");
        PackFolderWriter.Write(PackFolders.Write(PackBuilder.Pix2Pix("tiny-installed", "1.0.0"), _temp.Combine("src", "tiny-installed")), cpack);
        var installPack = Colorize("packs", "install", cpack);
        Assert.True(installPack.ExitCode == 0, installPack.ToString());
        var afterInstall = Colorize("photo.png", "-o", "out2.png", "--pack", "tiny-installed");
        Assert.True(afterInstall.ExitCode == 0, afterInstall.ToString());

        // Nothing was written beside the installed tool: the store is COLORIZE_HOME.
        Assert.True(Directory.Exists(Path.Combine(home, "packs", "tiny-installed", "1.0.0")));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("store-layout")]
    public void ToolPackage_CarriesExactlyTheBundledPackFolders(string layout)
    {
        string packs = _temp.Combine("packs");
        Directory.CreateDirectory(packs);
        string[] expected = [];
        if (layout == "store-layout")
        {
            // packaging/packs/<id>/<version>/ is copied as is.
            PackFolders.Write(PackBuilder.Pix2Pix("tiny-store-layout", "3.0.1"), Path.Combine(packs, "tiny-store-layout", "3.0.1"));
            expected = ["tools/net10.0/any/packs/tiny-store-layout/3.0.1/manifest.json", "tools/net10.0/any/packs/tiny-store-layout/3.0.1/weights.safetensors"];
        }

        string package = PackTool(packs, _temp.Combine("feed"));

        var bundled = EntryNames(package).Where(n => n.StartsWith("tools/net10.0/any/packs/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, bundled);
    }

    /// <summary>dotnet pack of the host as this test project's build left it (no build), with the given bundled packs.</summary>
    private string PackTool(string bundledPacks, string feed)
    {
        var args = new List<string>
        {
            "pack", Path.Combine(Build.RepoRoot, "host-adapters", "Colorize.Host", "Colorize.Host.csproj"),
            "-c", Build.Configuration, "--no-build", "--no-restore", "-o", feed, $"-p:BundledPacksSource={bundledPacks}{Path.DirectorySeparatorChar}",
        };
        if (Build.ArtifactsPath.Length > 0)
        {
            args.AddRange(["--artifacts-path", Build.ArtifactsPath]);
        }

        var pack = Build.Run(Build.DotnetExe, args, _temp.Path, Quiet(), Slow);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string package = Path.Combine(feed, $"colorize.{Build.ReleaseVersion}.nupkg");
        Assert.True(File.Exists(package), $"no {package}: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
        return package;
    }

    private static HashSet<string> EntryNames(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Copies packaging/packs/&lt;id&gt;/ folders that hold a manifest; returns their "id@version" references.</summary>
    private static List<string> CopyRepositoryPacks(string destination)
    {
        var references = new List<string>();
        string source = Path.Combine(Build.RepoRoot, "packaging", "packs");
        if (!Directory.Exists(source))
        {
            return references;
        }

        // Both accepted layouts (packaging/BundledPacks.targets): <id>/manifest.json and <id>/<version>/manifest.json.
        foreach (string manifest in Directory.GetFiles(source, "manifest.json", SearchOption.AllDirectories))
        {
            int depth = Path.GetRelativePath(source, manifest).Count(c => c == Path.DirectorySeparatorChar);
            if (depth is 1 or 2)
            {
                var parsed = Colorize.Plugins.Packs.PackManifestJson.ReadFile(manifest);
                references.Add($"{parsed.Id}@{parsed.Version}");
            }
        }

        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return references;
    }

    private static Dictionary<string, string> Quiet() => new(StringComparer.Ordinal)
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
        ["DOTNET_ADD_GLOBAL_TOOLS_TO_PATH"] = "false",
    };

    private static void WriteGray(string path, int width = 48, int height = 32)
    {
        var image = new Image(width, height, PixelFormat.Gray8);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                row[x] = (byte)((x * 5 + y * 3) % 256);
            }
        }

        image.Save(path);
    }
}
