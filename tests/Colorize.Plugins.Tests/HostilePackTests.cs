using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

/// <summary>Hostile or broken packages are refused with a reason and leave the store byte-for-byte as it was.</summary>
public sealed class HostilePackTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("dotdot", "could escape the pack folder")]
    [InlineData("nested-dotdot", "could escape the pack folder")]
    [InlineData("absolute", "absolute path")]
    [InlineData("drive-letter", "drive letter")]
    [InlineData("backslash", "backslash")]
    [InlineData("symlink", "symbolic link")]
    [InlineData("fifo", "special file")]
    [InlineData("device-name", "not an allowed file name")]
    [InlineData("hidden-file", "not an allowed file name")]
    [InlineData("encrypted", "is encrypted")]
    [InlineData("duplicate", "appears more than once")]
    [InlineData("duplicate-case", "appears more than once")]
    [InlineData("ratio-bomb", "zip bomb")]
    [InlineData("size-lie", "'weights.safetensors'")]
    [InlineData("too-many-entries", "entries, more than the 64")]
    [InlineData("huge-manifest", "more than the 1048576 allowed")]
    [InlineData("deep-manifest", "not valid JSON")]
    [InlineData("duplicate-json-property", "appears twice")]
    [InlineData("no-manifest", "has no manifest.json")]
    [InlineData("missing-weights", "the weights file 'weights.safetensors' named in the manifest is missing")]
    [InlineData("missing-listed-file", "'NOTICE' is listed in the manifest but missing")]
    [InlineData("unlisted-file", "'extra.txt' is in the pack but not listed")]
    [InlineData("wrong-sha256", "sha256 of 'weights.safetensors' is")]
    [InlineData("wrong-listed-sha256", "sha256 of 'MODEL_CARD.md' is")]
    [InlineData("invalid-id", "id: 'Bad_Id' must be")]
    [InlineData("unknown-property", "unknown property 'weigths'")]
    [InlineData("schema-2", "schema 2 is not supported")]
    [InlineData("not-a-zip", "is not a .cpack (zip) file")]
    [InlineData("truncated", "")]
    public void HostilePackage_IsRefused_AndTheStoreIsUnchanged(string kind, string expected)
    {
        var store = StoreWithOnePack();
        string before = StoreSnapshot.Take(store.Home);
        string package = Build(kind);

        var error = Assert.Throws<ModelPackException>(() => store.Install(package));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(package), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreSnapshot.Take(store.Home));
        Assert.Equal(["echo-pack@1.0.0"], store.List().Select(p => p.Reference));
    }

    [Fact]
    public void EntryLargerThanTheLimit_IsRefused()
    {
        var store = StoreWithOnePack(new PackLimits { MaxEntryBytes = 1000 });
        string before = StoreSnapshot.Take(store.Home);
        var builder = PackBuilder.Echo("big");
        builder.Files["weights.safetensors"] = [.. "ECHO"u8, .. RandomBytes(4000)];

        var error = Assert.Throws<ModelPackException>(() => store.Install(builder.Write(_temp.Path)));

        Assert.Contains("more than the 1000 allowed per file", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreSnapshot.Take(store.Home));
    }

    [Fact]
    public void PackLargerThanTheTotalLimit_IsRefused()
    {
        var store = StoreWithOnePack(new PackLimits { MaxTotalBytes = 5000 });
        string before = StoreSnapshot.Take(store.Home);
        var builder = PackBuilder.Echo("big");
        builder.Files["weights.safetensors"] = [.. "ECHO"u8, .. RandomBytes(3000)];
        builder.WithListedFile("MODEL_CARD.md", new string('x', 3000));

        var error = Assert.Throws<ModelPackException>(() => store.Install(builder.Write(_temp.Path)));

        Assert.Contains("more than the 5000 bytes a pack may hold", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreSnapshot.Take(store.Home));
    }

    [Fact]
    public void SameIdAndVersion_IsRefusedUnlessOverwriting()
    {
        var store = StoreWithOnePack();
        string before = StoreSnapshot.Take(store.Home);
        var replacement = PackBuilder.Echo(weights: "ECHO second build");
        string package = replacement.Write(_temp.Path);

        var error = Assert.Throws<PackAlreadyInstalledException>(() => store.Install(package));
        Assert.Contains("echo-pack@1.0.0 is already installed", error.Message, StringComparison.Ordinal);
        Assert.Equal("echo-pack@1.0.0", error.Reference);
        Assert.Equal(before, StoreSnapshot.Take(store.Home));

        var installed = store.Install(package, new PackInstallOptions { Overwrite = true });
        Assert.Equal("ECHO second build", File.ReadAllText(Path.Combine(installed.Directory, "weights.safetensors")));
        Assert.True(installed.Verify().IsValid);
        Assert.Single(store.List());
    }

    private PackStore StoreWithOnePack(PackLimits? limits = null)
    {
        var store = new PackStore(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false, Limits = limits ?? PackLimits.Default });
        store.Install(PackBuilder.Echo().Write(_temp.Path));
        return store;
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    private string Build(string kind)
    {
        var pack = PackBuilder.Echo("hostile", "2.0.0");
        pack.WithListedFile("MODEL_CARD.md", "# A model card\n");
        string Raw(Func<List<RawZipEntry>, IEnumerable<RawZipEntry>> tamper) => pack.WriteRaw(_temp.Path, tamper);
        RawZipEntry Text(string name, string text) => RawZipEntry.Text(name, text);

        switch (kind)
        {
            case "dotdot": return Raw(e => [.. e, Text("../evil.txt", "x")]);
            case "nested-dotdot": return Raw(e => [.. e, Text("docs/../../evil.txt", "x")]);
            case "absolute": return Raw(e => [.. e, Text("/tmp/evil.txt", "x")]);
            case "drive-letter": return Raw(e => [.. e, Text("C:/evil.txt", "x")]);
            case "backslash": return Raw(e => [.. e, Text("..\\evil.txt", "x")]);
            case "symlink": return Raw(e => [.. e, Text("link", "/etc/passwd") with { ExternalAttributes = 0xA1FFu << 16 }]);
            case "fifo": return Raw(e => [.. e, Text("pipe", "") with { ExternalAttributes = 0x11A4u << 16 }]);
            case "device-name": return Raw(e => [.. e, Text("NUL", "x")]);
            case "hidden-file": return Raw(e => [.. e, Text(".hidden", "x")]);
            case "encrypted": return Raw(e => e.Select(x => x.Name == "weights.safetensors" ? x with { Flags = 1 } : x));
            case "duplicate": return Raw(e => [.. e, new RawZipEntry("weights.safetensors", "ECHO other"u8.ToArray())]);
            case "duplicate-case": return Raw(e => [.. e, Text("model_card.md", "# Another card\n")]);
            case "ratio-bomb":
                pack.Files["weights.safetensors"] = [.. "ECHO"u8, .. new byte[8 << 20]];
                return Raw(e => e);
            case "size-lie":
                pack.Files["weights.safetensors"] = [.. "ECHO"u8, .. RandomBytes(64 << 10)];
                return Raw(e => e.Select(x => x.Name == "weights.safetensors" ? x with { DeclaredSize = 100 } : x));
            case "too-many-entries": return Raw(e => [.. e, .. Enumerable.Range(0, 70).Select(i => Text($"f{i}.txt", "x"))]);
            case "huge-manifest":
                return Raw(e => e.Select(x => x.Name == "manifest.json" ? x with { Data = [.. x.Data, .. Encoding.ASCII.GetBytes(new string(' ', 2 << 20))], Deflate = false } : x));
            case "deep-manifest":
                pack.Manifest["architecture"]!["hyperparameters"]!["deep"] = JsonNode.Parse(new string('[', 40) + new string(']', 40));
                return Raw(e => e);
            case "duplicate-json-property":
                return Raw(e => e.Select(x => x.Name == "manifest.json"
                    ? x with { Data = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(x.Data).Replace("\"id\": \"hostile\"", "\"id\": \"hostile\", \"id\": \"echo-pack\"", StringComparison.Ordinal)) }
                    : x));
            case "no-manifest": return Raw(e => e.Where(x => x.Name != "manifest.json"));
            case "missing-weights": return Raw(e => e.Where(x => x.Name != "weights.safetensors"));
            case "missing-listed-file":
                pack.Manifest["files"]!["NOTICE"] = new string('a', 64);
                return Raw(e => e);
            case "unlisted-file": return Raw(e => [.. e, Text("extra.txt", "x")]);
            case "wrong-sha256":
                pack.ManifestBytes();
                pack.AutoHash = false;
                pack.Manifest["weights"]!["sha256"] = new string('b', 64);
                return Raw(e => e);
            case "wrong-listed-sha256":
                pack.ManifestBytes();
                pack.AutoHash = false;
                pack.Manifest["files"]!["MODEL_CARD.md"] = new string('c', 64);
                return Raw(e => e);
            case "invalid-id":
                pack.Manifest["id"] = "Bad_Id";
                return Raw(e => e);
            case "unknown-property":
                pack.Manifest["weigths"] = new JsonObject();
                return Raw(e => e);
            case "schema-2":
                pack.Manifest["schema"] = 2;
                return Raw(e => e);
            case "not-a-zip":
                string garbage = _temp.Combine("garbage.cpack");
                File.WriteAllBytes(garbage, RandomBytes(5000));
                return garbage;
            case "truncated":
                string full = pack.Write(_temp.Path);
                string cut = _temp.Combine("truncated.cpack");
                var bytes = File.ReadAllBytes(full);
                File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
                return cut;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}

/// <summary>The archive checks see the entries System.IO.Compression reports, including Unix modes written by its own writer.</summary>
public sealed class ZipWriterCompatibilityTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PackWrittenByZipFileFromADirectory_Installs()
    {
        // ZipFile.CreateFromDirectory records Unix permissions (regular files) in the external attributes.
        var builder = PackBuilder.Echo().WithListedFile("docs/NOTICE", "Notice text\n");
        string source = _temp.Combine("src");
        Directory.CreateDirectory(Path.Combine(source, "docs"));
        File.WriteAllBytes(Path.Combine(source, "manifest.json"), builder.ManifestBytes());
        foreach (var (name, data) in builder.Files)
        {
            File.WriteAllBytes(Path.Combine(source, name), data);
        }

        string package = _temp.Combine("from-directory.cpack");
        ZipFile.CreateFromDirectory(source, package);
        var store = new PackStore(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false });

        var installed = store.Install(package);

        Assert.Equal(["manifest.json", "weights.safetensors", "docs/NOTICE"], installed.Files);
        using var reader = new StreamReader(installed.OpenFile("docs/NOTICE"));
        Assert.Equal("Notice text\n", reader.ReadToEnd());
        Assert.True(installed.Verify().IsValid);
    }
}
