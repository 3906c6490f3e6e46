using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

public sealed class PackStoreTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_UnpacksIntoIdAndVersionFolders_SideBySide()
    {
        var store = NewStore();
        foreach (var version in new[] { "1.0.0", "1.2.0", "1.10.0" })
        {
            store.Install(PackBuilder.Echo("side", version, "ECHO " + version).WithListedFile("MODEL_CARD.md", $"card {version}").Write(_temp.Path));
        }

        Assert.Equal(["side@1.10.0", "side@1.2.0", "side@1.0.0"], store.List().Select(p => p.Reference));
        foreach (var version in new[] { "1.0.0", "1.2.0", "1.10.0" })
        {
            string folder = Path.Combine(store.Home, "packs", "side", version);
            Assert.Equal(["MODEL_CARD.md", "manifest.json", "weights.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal("ECHO " + version, File.ReadAllText(Path.Combine(folder, "weights.safetensors")));
        }

        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.PacksDirectory, ".staging")));
    }

    [Theory]
    [InlineData("pick", "1.10.0")]
    [InlineData("pick@1", "1.10.0")]
    [InlineData("pick@1.2", "1.2.5")]
    [InlineData("pick@1.2.0", "1.2.0")]
    [InlineData("pick@1.2.5", "1.2.5")]
    [InlineData("pick@2", "2.0.0-beta.2")]
    [InlineData("pick@2.0.0-beta.1", "2.0.0-beta.1")]
    [InlineData("pick@0", "0.9.0")]
    public void Resolve_PicksTheHighestMatchingVersion(string spec, string expected)
    {
        var store = NewStore();
        foreach (var version in new[] { "0.9.0", "1.0.0", "1.2.0", "1.2.5", "1.10.0", "2.0.0-beta.1", "2.0.0-beta.2" })
        {
            store.Install(PackBuilder.Echo("pick", version).Write(_temp.Path));
        }

        Assert.Equal(expected, store.Resolve(spec).Version.ToString());
        Assert.True(store.TryResolve(spec, out var pack));
        Assert.Equal(expected, pack.Manifest.Version);
    }

    [Theory]
    [InlineData("pick@3", "No pack matches 'pick@3' (installed: pick@1.2.0)")]
    [InlineData("pick@1.2.1", "No pack matches 'pick@1.2.1'")]
    [InlineData("other", "No pack matches 'other'")]
    [InlineData("Pick", "does not start with a pack id")]
    [InlineData("pick@1.x", "is not a version")]
    [InlineData("pick@01.2", "is not a version")]
    public void Resolve_WithoutMatch_ExplainsWhatIsInstalled(string spec, string expected)
    {
        var store = NewStore();
        store.Install(PackBuilder.Echo("pick", "1.2.0").Write(_temp.Path));

        var error = Assert.Throws<ModelPackException>(() => store.Resolve(spec));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(store.TryResolve(spec, out _));
    }

    [Fact]
    public void BundledPacks_AlwaysResolve_CompeteOnVersion_AndCannotBeRemoved()
    {
        string bundled = MakeBundledFolder(("colorize-base", "0.1.0"), ("shared", "1.5.0"), ("shared", "1.1.0"));
        var store = NewStore();
        store.AddBundledFolder(bundled);

        // The default pack resolves from the bundled folder with nothing installed.
        var defaultPack = store.Resolve();
        Assert.Equal("colorize-base@0.1.0", defaultPack.Reference);
        Assert.Equal(PackSource.Bundled, defaultPack.Source);
        Assert.Equal(defaultPack.Reference, store.Resolve("").Reference);

        store.Install(PackBuilder.Echo("shared", "1.1.0", "ECHO installed").Write(_temp.Path));
        store.Install(PackBuilder.Echo("colorize-base", "0.2.0").Write(_temp.Path));
        Assert.Equal("shared@1.5.0", store.Resolve("shared").Reference);
        Assert.Equal(PackSource.Bundled, store.Resolve("shared").Source);
        // Same version in both: the installed copy wins.
        Assert.Equal(PackSource.Store, store.Resolve("shared@1.1").Source);
        Assert.Equal("colorize-base@0.2.0", store.Resolve().Reference);

        Assert.Equal(["colorize-base@0.2.0", "colorize-base@0.1.0", "shared@1.5.0", "shared@1.1.0", "shared@1.1.0"], store.List().Select(p => p.Reference));
        Assert.Equal(["colorize-base@0.2.0", "shared@1.1.0"], store.List(includeBundled: false).Select(p => p.Reference));

        var error = Assert.Throws<ModelPackException>(() => store.Remove("shared@1.5.0"));
        Assert.Contains("bundled with the application and cannot be removed", error.Message, StringComparison.Ordinal);
        Assert.Equal(["colorize-base@0.2.0"], store.Remove("colorize-base"));
        Assert.Equal("colorize-base@0.1.0", store.Resolve().Reference);
        Assert.True(Directory.Exists(Path.Combine(bundled, "colorize-base", "0.1.0")));
    }

    [Fact]
    public void FlatBundledPack_ResolvesWithTheManifestsVersion_AndVerifies()
    {
        // packaging/packs/<id>/ in the repository holds one pack directly, without a version folder.
        string versioned = MakeBundledFolder(("colorize-base", "1.0.0"));
        string flat = _temp.Combine("flat", "packs");
        string flatPack = Path.Combine(flat, "colorize-base");
        Directory.CreateDirectory(flatPack);
        foreach (var file in Directory.GetFiles(Path.Combine(versioned, "colorize-base", "1.0.0")))
        {
            File.Copy(file, Path.Combine(flatPack, Path.GetFileName(file)));
        }

        var store = NewStore();
        store.AddBundledFolder(flat);

        var pack = store.Resolve();
        Assert.Equal("colorize-base@1.0.0", pack.Reference);
        Assert.Equal(flatPack, pack.Directory);
        Assert.Equal(["colorize-base@1.0.0"], store.List().Select(p => p.Reference));
        var verification = Assert.Single(store.Verify("colorize-base@1"));
        Assert.Empty(verification.Problems);

        // A stray file in the flat folder is reported, like in a versioned one.
        File.WriteAllText(Path.Combine(flatPack, "stray.txt"), "x");
        Assert.Contains(store.Verify().Single().Problems, p => p.Contains("'stray.txt' is not part of the pack", StringComparison.Ordinal));

        var error = Assert.Throws<ModelPackException>(() => store.Remove("colorize-base"));
        Assert.Contains("bundled with the application and cannot be removed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDefaultPack_SaysWhereItShouldBe()
    {
        var store = NewStore();
        store.AddBundledFolder(_temp.Combine("app", "packs"));

        var error = Assert.Throws<ModelPackException>(() => store.Resolve());

        Assert.Contains("No pack matches 'colorize-base' (no packs are installed)", error.Message, StringComparison.Ordinal);
        Assert.Contains(_temp.Combine("app", "packs"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_ByExactVersion_ByPrefix_AndById()
    {
        var store = NewStore();
        foreach (var version in new[] { "1.0.0", "1.2.0", "1.2.3", "2.0.0" })
        {
            store.Install(PackBuilder.Echo("gone", version).Write(_temp.Path));
        }

        Assert.Equal(["gone@1.2.3"], store.Remove("gone@1.2.3"));
        Assert.Equal(["gone@2.0.0", "gone@1.2.0", "gone@1.0.0"], store.List().Select(p => p.Reference));
        Assert.Equal(["gone@1.0.0", "gone@1.2.0"], store.Remove("gone@1"));
        Assert.Equal(["gone@2.0.0"], store.Remove("gone"));
        Assert.Empty(store.List());
        Assert.False(Directory.Exists(Path.Combine(store.PacksDirectory, "gone")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.PacksDirectory, ".trash")));

        var error = Assert.Throws<ModelPackException>(() => store.Remove("gone"));
        Assert.Contains("No installed pack matches 'gone'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_DetectsModifiedMissingAndExtraFiles()
    {
        var store = NewStore();
        var intact = store.Install(PackBuilder.Echo("intact").Write(_temp.Path));
        var modified = store.Install(PackBuilder.Echo("modified").WithListedFile("NOTICE", "Notice\n").Write(_temp.Path));
        var missing = store.Install(PackBuilder.Echo("missing").WithListedFile("NOTICE", "Notice\n").Write(_temp.Path));
        var extra = store.Install(PackBuilder.Echo("extra").Write(_temp.Path));
        Assert.All(store.Verify(), v => Assert.True(v.IsValid, string.Join("; ", v.Problems)));

        File.WriteAllText(Path.Combine(modified.Directory, "weights.safetensors"), "ECHO tampered");
        File.Delete(Path.Combine(missing.Directory, "NOTICE"));
        File.WriteAllText(Path.Combine(extra.Directory, "dropped-in.txt"), "?");
        var results = store.Verify().ToDictionary(v => v.Reference);

        Assert.True(results[intact.Reference].IsValid);
        Assert.Contains(results[modified.Reference].Problems, p => p.StartsWith("'weights.safetensors' was modified (sha256 ", StringComparison.Ordinal));
        Assert.Equal(["'NOTICE' is missing"], results[missing.Reference].Problems);
        Assert.Equal(["'dropped-in.txt' is not part of the pack"], results[extra.Reference].Problems);
        Assert.Equal([modified.Reference], store.Verify("modified").Select(v => v.Reference));
        Assert.False(modified.Verify().IsValid);
    }

    [Fact]
    public void Verify_ReportsAFolderWhoseManifestIsBroken_AndListSkipsIt()
    {
        var store = NewStore();
        var pack = store.Install(PackBuilder.Echo("broken").Write(_temp.Path));
        File.WriteAllText(Path.Combine(pack.Directory, "manifest.json"), "{ not json");

        var result = Assert.Single(store.Verify());

        Assert.Equal("broken@1.0.0", result.Reference);
        Assert.Contains("manifest.json is invalid: not valid JSON", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    [Fact]
    public void InstalledPack_OpensOnlyItsOwnFiles()
    {
        var store = NewStore();
        var pack = store.Install(PackBuilder.Echo().WithListedFile("MODEL_CARD.md", "card").Write(_temp.Path));
        File.WriteAllText(Path.Combine(store.PacksDirectory, "secret.txt"), "secret");

        using (var reader = new StreamReader(pack.OpenFile("MODEL_CARD.md")))
        {
            Assert.Equal("card", reader.ReadToEnd());
        }

        Assert.Throws<ModelPackException>(() => pack.OpenFile("../../secret.txt"));
        Assert.Throws<ModelPackException>(() => pack.OpenFile("other.txt"));
    }

    [Fact]
    public void ColorizeHome_ComesFromTheOptionThenTheEnvironmentThenTheUserDataFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(ColorizeHome.EnvironmentVariable);
        try
        {
            string fromEnvironment = _temp.Combine("env-home");
            Environment.SetEnvironmentVariable(ColorizeHome.EnvironmentVariable, fromEnvironment);
            var store = new PackStore(new PackStoreOptions { UseApplicationPacksFolder = false });
            Assert.Equal(fromEnvironment, store.Home);
            Assert.Equal(Path.Combine(fromEnvironment, "packs"), store.PacksDirectory);
            Assert.True(Directory.Exists(store.PacksDirectory));
            Assert.Equal(_temp.Combine("explicit"), ColorizeHome.Resolve(_temp.Combine("explicit")));

            Environment.SetEnvironmentVariable(ColorizeHome.EnvironmentVariable, null);
            Assert.Equal(
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "Colorize"),
                ColorizeHome.Resolve());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ColorizeHome.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void ApplicationPacksFolder_IsABundledFolder()
    {
        var store = new PackStore(new PackStoreOptions { Home = _temp.Combine("home") });
        string appPacks = Path.Combine(AppContext.BaseDirectory, "packs");

        Assert.Equal(Directory.Exists(appPacks), store.BundledFolders.Contains(appPacks));
        Assert.DoesNotContain(store.BundledFolders, f => f == store.PacksDirectory);
    }

    [Fact]
    public void ConcurrentInstalls_FromTwoStoresOnOneHome_AllSucceed()
    {
        string home = _temp.Combine("home");
        var packages = Enumerable.Range(0, 6).Select(i => PackBuilder.Echo("busy", $"1.{i}.0").Write(_temp.Path)).ToList();

        Parallel.ForEach(packages, new ParallelOptions { MaxDegreeOfParallelism = 3 }, package =>
            new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false }).Install(package));

        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        Assert.Equal(6, store.List().Count);
        Assert.All(store.Verify(), v => Assert.True(v.IsValid));
    }

    private PackStore NewStore() => new(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false });

    /// <summary>A read-only application folder of packs, made by installing into a scratch store and copying its layout.</summary>
    private string MakeBundledFolder(params (string Id, string Version)[] packs)
    {
        var scratch = new PackStore(new PackStoreOptions { Home = _temp.Combine("scratch"), UseApplicationPacksFolder = false });
        foreach (var (id, version) in packs)
        {
            scratch.Install(PackBuilder.Echo(id, version, "ECHO bundled").Write(_temp.Path));
        }

        string bundled = _temp.Combine("app", "packs");
        foreach (var pack in scratch.List())
        {
            string target = Path.Combine(bundled, pack.Id, pack.Version.ToString());
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(pack.Directory))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return bundled;
    }
}
