using System.Collections.Concurrent;
using System.Text.Json;
using Colorize.Tensors.Serialization;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// One fixture file written by tests/golden/generate.py (PyTorch): tensors by name and per-case JSON parameters in
/// the safetensors metadata. The files are copied next to the test assembly under golden/ by the test project.
/// </summary>
internal sealed class GoldenFixture
{
    private static readonly ConcurrentDictionary<string, GoldenFixture> Cache = new(StringComparer.Ordinal);

    private readonly SafeTensorsFile _file;

    private GoldenFixture(string name, SafeTensorsFile file)
    {
        Name = name;
        _file = file;
    }

    /// <summary>The file name without extension ("conv", "modules", ...).</summary>
    public string Name { get; }

    /// <summary>The metadata: case name → JSON text.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "golden");

    public static string PathOf(string name) => Path.Combine(Directory, name + ".safetensors");

    /// <summary>Opens (once per test run) golden/<paramref name="name"/>.safetensors.</summary>
    public static GoldenFixture Open(string name) => Cache.GetOrAdd(name, n =>
    {
        string path = PathOf(n);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Golden fixture {path} is missing. Run /usr/bin/python3 tests/golden/generate.py and rebuild the tests " +
                "(the test project copies tests/golden/fixtures/** to golden/).", path);
        }

        return new GoldenFixture(n, SafeTensorsFile.FromMemory(File.ReadAllBytes(path)));
    });

    public bool Contains(string key) => _file.Contains(key);

    /// <summary>A fresh tensor (its own storage) holding the fixture tensor <paramref name="key"/>, read as float32.</summary>
    public Tensor Get(string key)
    {
        var entry = _file.GetEntry(key);
        return Tensor.FromArray(_file.ReadFloat32(key), entry.GetShapeInt32());
    }

    public Tensor? TryGet(string key) => _file.Contains(key) ? Get(key) : null;

    /// <summary>The tensor names that start with <paramref name="prefix"/>, with the prefix removed, in file order.</summary>
    public List<string> Names(string prefix) =>
        _file.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Name[prefix.Length..]).ToList();

    /// <summary>The tensors under <paramref name="prefix"/> (e.g. "convnet/state/") as a state dict.</summary>
    public Dictionary<string, Tensor> StateDict(string prefix) => Names(prefix).ToDictionary(n => n, n => Get(prefix + n), StringComparer.Ordinal);

    /// <summary>The JSON parameters of a case.</summary>
    public JsonElement Params(string caseName) => JsonDocument.Parse(Metadata[caseName]).RootElement;
}
