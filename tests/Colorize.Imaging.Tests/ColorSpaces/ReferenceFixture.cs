using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;

namespace Colorize.Imaging.Tests;

/// <summary>
/// Reads the reference arrays that reference/color/make_references.py wrote (skimage, PIL and PyTorch outputs).
/// </summary>
internal sealed class ReferenceFixture
{
    private readonly Dictionary<string, (char Type, int[] Shape, byte[] Data)> _arrays;
    private static readonly Dictionary<string, ReferenceFixture> s_cache = [];
    private static readonly Lock s_lock = new();

    private ReferenceFixture(Dictionary<string, (char, int[], byte[])> arrays) => _arrays = arrays;

    /// <summary>Loads (once per test run) a fixture from reference/color.</summary>
    public static ReferenceFixture Load(string fileName)
    {
        lock (s_lock)
        {
            if (!s_cache.TryGetValue(fileName, out var fixture))
            {
                fixture = Parse(File.ReadAllBytes(Locate(fileName)));
                s_cache[fileName] = fixture;
            }

            return fixture;
        }
    }

    public int[] Shape(string name) => Get(name).Shape;

    public float[] Floats(string name) => Decode(name, 'f', 4, (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]));

    public byte[] Bytes(string name) => Decode(name, 'B', 1, (s, i) => s[i]);

    public ushort[] UInt16s(string name) => Decode(name, 'H', 2, (s, i) => BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]));

    public bool Contains(string name) => _arrays.ContainsKey(name);

    private delegate T Reader<T>(ReadOnlySpan<byte> data, int index);

    private T[] Decode<T>(string name, char type, int size, Reader<T> read)
    {
        var (t, _, data) = Get(name);
        Assert.True(t == type, $"Fixture array '{name}' has type '{t}', not '{type}'.");
        var result = new T[data.Length / size];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = read(data, i);
        }

        return result;
    }

    private (char Type, int[] Shape, byte[] Data) Get(string name) =>
        _arrays.TryGetValue(name, out var a) ? a : throw new KeyNotFoundException($"The fixture has no array '{name}'; regenerate it with make_references.py.");

    private static ReferenceFixture Parse(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        ReadOnlySpan<byte> s = buffer.ToArray();
        if (!s.StartsWith("CFX1"u8))
        {
            throw new InvalidDataException("Not a CFX1 fixture.");
        }

        var arrays = new Dictionary<string, (char, int[], byte[])>();
        int pos = 4;
        while (pos < s.Length)
        {
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(s[pos..]);
            pos += 2;
            string name = Encoding.ASCII.GetString(s.Slice(pos, nameLength));
            pos += nameLength;
            char type = (char)s[pos++];
            int ndim = s[pos++];
            var shape = new int[ndim];
            long count = 1;
            for (int d = 0; d < ndim; d++, pos += 4)
            {
                shape[d] = BinaryPrimitives.ReadInt32LittleEndian(s[pos..]);
                count *= shape[d];
            }

            int size = type switch { 'f' or 'i' => 4, 'H' => 2, _ => 1 };
            int bytes = checked((int)(count * size));
            arrays[name] = (type, shape, s.Slice(pos, bytes).ToArray());
            pos += bytes;
        }

        return new ReferenceFixture(arrays);
    }

    private static string Locate(string fileName, [CallerFilePath] string thisFile = "")
    {
        // Copied next to the test assembly by the project; else beside this source file (local builds, where the
        // compiler's path is real); else found by walking up from the output or working directory to the repository
        // (CI builds map source paths to /_/, so the second guess fails there).
        var candidates = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "reference", "color", fileName),
            Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "..", "reference", "color", fileName),
        };
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                candidates.Add(Path.Combine(dir.FullName, "tests", "Colorize.Imaging.Tests", "reference", "color", fileName));
            }
        }

        foreach (string candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Reference fixture '{fileName}' not found next to the tests, beside the sources, or in a tests/Colorize.Imaging.Tests/reference/color folder above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}.");
    }
}

/// <summary>Comparison helpers that report the worst error they saw.</summary>
internal static class Compare
{
    /// <summary>Asserts |actual − expected| ≤ tolerance everywhere and returns the largest difference.</summary>
    public static double MaxAbs(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (!(d <= worst))
            {
                worst = d;
                worstAt = i;
            }
        }

        Assert.True(worst <= tolerance, $"{what}: max |error| {worst:G4} at index {worstAt} (expected {(worstAt >= 0 ? expected[worstAt] : 0)}, got {(worstAt >= 0 ? actual[worstAt] : 0)}) exceeds {tolerance:G4}.");
        return worst;
    }

    /// <summary>Asserts integer samples differ by at most <paramref name="tolerance"/> and returns the largest difference.</summary>
    public static int MaxAbs(ReadOnlySpan<int> expected, ReadOnlySpan<int> actual, int tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = 0, worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(actual[i] - expected[i]);
            if (d > worst)
            {
                worst = d;
                worstAt = i;
            }
        }

        Assert.True(worst <= tolerance, $"{what}: max |error| {worst} at index {worstAt} (expected {(worstAt >= 0 ? expected[worstAt] : 0)}, got {(worstAt >= 0 ? actual[worstAt] : 0)}) exceeds {tolerance}.");
        return worst;
    }

    public static int[] Ints(ReadOnlySpan<byte> v)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            r[i] = v[i];
        }

        return r;
    }

    public static int[] Ints(ReadOnlySpan<ushort> v)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            r[i] = v[i];
        }

        return r;
    }

    /// <summary>Splits interleaved triples into three planes.</summary>
    public static (float[] P0, float[] P1, float[] P2) Planes(float[] triples)
    {
        int n = triples.Length / 3;
        var p0 = new float[n];
        var p1 = new float[n];
        var p2 = new float[n];
        for (int i = 0; i < n; i++)
        {
            p0[i] = triples[3 * i];
            p1[i] = triples[(3 * i) + 1];
            p2[i] = triples[(3 * i) + 2];
        }

        return (p0, p1, p2);
    }
}
