using Colorize.Tensors.Serialization;
using static Colorize.Tensors.Tests.Serialization.SafeTensorsFixtures;

namespace Colorize.Tensors.Tests.Serialization;

public sealed class SafeTensorsRoundTripTests
{
    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)));
        }

        return values;
    }

    // Expected bytes from the reference implementation's own unit tests (huggingface/safetensors, tensor.rs:
    // test_empty, test_serialization, test_serialization_forced_alignement).
    [Fact]
    public void EmptyFile_MatchesTheReferenceImplementationsBytes()
    {
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], new SafeTensorsWriter().ToArray());

        var withMetadata = new SafeTensorsWriter();
        withMetadata.Metadata["framework"] = "pt";
        Assert.Equal(
            [40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109,
                101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32],
            withMetadata.ToArray());
    }

    [Fact]
    public void SmallFiles_MatchTheReferenceImplementationsBytes()
    {
        var aligned = new SafeTensorsWriter();
        aligned.Add("attn.0", SafeTensorsDType.F32, [1, 2, 3], [0f, 1, 2, 3, 4, 5]);
        Assert.Equal(
            [64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50,
                34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101,
                116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64],
            aligned.ToArray());

        var padded = new SafeTensorsWriter();
        padded.Add("attn0", SafeTensorsDType.F32, [1, 1, 2, 3], [0f, 1, 2, 3, 4, 5]);
        Assert.Equal(
            [72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34,
                44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0,
                0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64],
            padded.ToArray());
    }

    [Theory]
    [InlineData(SafeTensorsDType.F32)]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    public void FloatTensors_RoundTrip_ThroughEveryReader(SafeTensorsDType dtype)
    {
        float[] values = RandomValues(2 * 3 * 5 * 7, seed: (int)dtype);
        var writer = new SafeTensorsWriter();
        writer.Add("w", dtype, [2, 3, 5, 7], values);
        writer.Metadata["format"] = "pt";
        byte[] bytes = writer.ToArray();

        // What the stored bits must decode to: the conversion under test is checked against PyTorch elsewhere.
        float[] expected = dtype switch
        {
            SafeTensorsDType.F16 => Array.ConvertAll(values, v => (float)BitConverter.UInt16BitsToHalf(SafeTensorsConversions.SingleToHalfBits(v))),
            SafeTensorsDType.BF16 => Array.ConvertAll(values, v => SafeTensorsConversions.BFloat16BitsToSingle(SafeTensorsConversions.SingleToBFloat16Bits(v))),
            _ => values,
        };

        foreach (SafeTensorsFile file in OpenAllWays(bytes))
        {
            using (file)
            {
                SafeTensorsEntry entry = Assert.Single(file.Entries);
                Assert.Equal("w", entry.Name);
                Assert.Equal(dtype, entry.DType);
                Assert.Equal([2L, 3, 5, 7], entry.Shape);
                Assert.Equal("pt", file.Metadata["format"]);
                AssertBitwiseEqual(expected, file.ReadFloat32("w"), "array");
                var span = new float[values.Length];
                file.ReadFloat32("w", span);
                AssertBitwiseEqual(expected, span, "span");
            }
        }

        // Relative error of the 16-bit formats stays within half an ulp.
        float tolerance = dtype switch { SafeTensorsDType.F16 => 1f / 2048, SafeTensorsDType.BF16 => 1f / 256, _ => 0 };
        for (int i = 0; i < values.Length; i++)
        {
            if (Math.Abs(values[i]) > 1e-4f && Math.Abs(values[i]) < 60000)
            {
                Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance * Math.Abs(values[i]), $"{values[i]} → {expected[i]}");
            }
        }
    }

    [Fact]
    public void Int64Tensors_RoundTrip_AndReadAsFloat()
    {
        var writer = new SafeTensorsWriter();
        writer.AddInt64("bn.num_batches_tracked", [], [123]);
        writer.AddInt64("big", [2], [long.MinValue, long.MaxValue]);
        foreach (SafeTensorsFile file in OpenAllWays(writer.ToArray()))
        {
            using (file)
            {
                Assert.Equal([123L], file.ReadInt64("bn.num_batches_tracked"));
                Assert.Equal([123f], file.ReadFloat32("bn.num_batches_tracked"));
                Assert.Empty(file.GetEntry("bn.num_batches_tracked").Shape);
                Assert.Equal([long.MinValue, long.MaxValue], file.ReadInt64("big"));
                Assert.Equal([-9.223372E+18f, 9.223372E+18f], file.ReadFloat32("big"));
            }
        }
    }

    [Fact]
    public void EveryDType_RoundTripsItsBytes_WithAddRaw()
    {
        var writer = new SafeTensorsWriter();
        var expected = new Dictionary<string, byte[]>();
        foreach (SafeTensorsDType dtype in Enum.GetValues<SafeTensorsDType>())
        {
            var bytes = new byte[6 * dtype.SizeInBytes()];
            new Random((int)dtype).NextBytes(bytes);
            string name = "t." + dtype.ToHeaderName();
            writer.AddRaw(name, dtype, [2, 3], bytes);
            expected[name] = bytes;
        }

        using SafeTensorsFile file = SafeTensorsFile.FromMemory(writer.ToArray());
        Assert.Equal(expected.Count, file.Entries.Count);
        foreach ((string name, byte[] bytes) in expected)
        {
            Assert.Equal(bytes, file.ReadBytes(name));
            Assert.Equal(6, file.ReadFloat32(name).Length);
        }

        // Data order = descending dtype, so every tensor starts aligned to its element size.
        Assert.Equal(Enum.GetValues<SafeTensorsDType>().Reverse(), file.Entries.Select(e => e.DType));
        Assert.All(file.Entries, e => Assert.Equal(0, (8 + file.HeaderLength + e.DataBegin) % e.DType.SizeInBytes()));
    }

    [Fact]
    public void Float8_DecodesTheOcpSpecValues()
    {
        var writer = new SafeTensorsWriter();
        writer.AddRaw("e4m3", SafeTensorsDType.F8E4M3, [6], [0x38, 0x7E, 0x08, 0x01, 0xBE, 0x7F]);
        writer.AddRaw("e5m2", SafeTensorsDType.F8E5M2, [6], [0x3C, 0x7B, 0x04, 0x01, 0xFC, 0x7E]);
        using SafeTensorsFile file = SafeTensorsFile.FromMemory(writer.ToArray());

        float[] e4m3 = file.ReadFloat32("e4m3");
        Assert.Equal([1f, 448f, MathF.ScaleB(1, -6), MathF.ScaleB(1, -9), -1.75f], e4m3[..5]);
        Assert.True(float.IsNaN(e4m3[5]));
        float[] e5m2 = file.ReadFloat32("e5m2");
        Assert.Equal([1f, 57344f, MathF.ScaleB(1, -14), MathF.ScaleB(1, -16), float.NegativeInfinity], e5m2[..5]);
        Assert.True(float.IsNaN(e5m2[5]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    public void Header_IsPaddedWithSpaces_SoDataStartsAligned(int nameLength)
    {
        var writer = new SafeTensorsWriter();
        writer.Add(new string('n', nameLength), SafeTensorsDType.F16, [3], [1f, 2f, 3f]);
        byte[] bytes = writer.ToArray();
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, (8 + n) % 8);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.EndsWith("}", header.TrimEnd(' '), StringComparison.Ordinal);
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8);
    }

    [Fact]
    public void Writer_RejectsInvalidTensors()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("a", SafeTensorsDType.F32, [2], [1f, 2f]);
        Assert.Throws<ArgumentException>(() => writer.Add("a", SafeTensorsDType.F32, [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", SafeTensorsDType.F32, [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.Add("b", SafeTensorsDType.F32, [3], [1f, 2f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Add("b", SafeTensorsDType.F32, [-1, -2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("b", SafeTensorsDType.I64, [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.Add("\ud800", SafeTensorsDType.F32, [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.AddRaw("b", SafeTensorsDType.F32, [1], [1, 2, 3]));
        Assert.Equal(1, writer.Count);
    }

    [Fact]
    public void Reader_RejectsMisuse_WithOrdinaryExceptions()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", SafeTensorsDType.F32, [2], [1f, 2f]);
        SafeTensorsFile file = SafeTensorsFile.FromMemory(writer.ToArray());
        Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("missing"));
        Assert.False(file.TryGetEntry("missing", out _));
        Assert.True(file.Contains("w"));
        Assert.Throws<ArgumentException>(() => file.ReadFloat32("w", new float[3]));
        Assert.Throws<ArgumentException>(() => file.ReadBytes("w", new byte[7]));
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
    }

    [Fact]
    public void LargeTensorsFromDisk_AreConvertedChunkByChunk()
    {
        // Over the 1 MiB staging chunk, with a count that does not divide it.
        float[] values = RandomValues(700_001, seed: 3);
        var writer = new SafeTensorsWriter();
        writer.Add("f32", SafeTensorsDType.F32, [values.Length], values);
        writer.Add("f16", SafeTensorsDType.F16, [values.Length], values);
        writer.Add("bf16", SafeTensorsDType.BF16, [values.Length], values);
        byte[] bytes = writer.ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"st-large-{Guid.NewGuid():N}.safetensors");
        try
        {
            writer.Save(path);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            using SafeTensorsFile memory = SafeTensorsFile.FromMemory(bytes);
            using SafeTensorsFile disk = SafeTensorsFile.Open(path);
            foreach (string name in new[] { "f32", "f16", "bf16" })
            {
                AssertBitwiseEqual(memory.ReadFloat32(name), disk.ReadFloat32(name), name);
            }

            AssertBitwiseEqual(values, disk.ReadFloat32("f32"), "f32");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Save_ReplacesTheTargetAtomically_AndLeavesNoTemporaryFile()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"st-save-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            File.WriteAllText(path, "old content");
            var writer = new SafeTensorsWriter();
            writer.Add("w", SafeTensorsDType.BF16, [2], [1f, -2f]);
            writer.Save(path);

            Assert.Equal(writer.ToArray(), File.ReadAllBytes(path));
            Assert.Equal(["model.safetensors"], Directory.GetFiles(directory).Select(Path.GetFileName));

            string missingDirectory = Path.Combine(directory, "missing", "model.safetensors");
            Assert.ThrowsAny<IOException>(() => writer.Save(missingDirectory));
            Assert.Equal(["model.safetensors"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void MetadataKeys_AreWrittenInOrdinalOrder_AndEscaped()
    {
        var writer = new SafeTensorsWriter();
        writer.Metadata["z"] = "last";
        writer.Metadata["a"] = "quote \" backslash \\ newline \n tab \t bell \u0007 é";
        byte[] bytes = writer.ToArray();
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToInt64(bytes, 0)).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"a\":\"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007 é\",\"z\":\"last\"}}", header);
        using SafeTensorsFile file = SafeTensorsFile.FromMemory(bytes);
        Assert.Equal(writer.Metadata["a"], file.Metadata["a"]);
    }

    /// <summary>The same bytes through every entry point: memory, seekable stream, forward-only stream, file path.</summary>
    private static IEnumerable<SafeTensorsFile> OpenAllWays(byte[] bytes)
    {
        yield return SafeTensorsFile.FromMemory(bytes);
        using (var stream = new MemoryStream(bytes))
        {
            yield return SafeTensorsFile.Load(stream);
        }

        using (var stream = new ForwardOnlyStream(bytes))
        {
            yield return SafeTensorsFile.Load(stream);
        }

        string path = Path.Combine(Path.GetTempPath(), $"st-rt-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            yield return SafeTensorsFile.Open(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
