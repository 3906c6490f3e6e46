using Colorize.Tensors.Serialization;
using static Colorize.Tensors.Tests.Serialization.SafeTensorsFixtures;

namespace Colorize.Tensors.Tests.Serialization;

/// <summary>Compares with values PyTorch computed (Fixtures/generate_fixtures.py), bit for bit.</summary>
public sealed class SafeTensorsTorchFixtureTests
{
    [Fact]
    public void F16_Writing_RoundsLikeTorchHalf_OnTiesSubnormalsOverflowAndNaN()
    {
        using SafeTensorsFile file = Open("rounding.safetensors");
        float[] input = file.ReadFloat32("f16.input");
        ushort[] torch = UInt16s(file.ReadBytes("f16.torch"));

        var writer = new SafeTensorsWriter();
        writer.Add("x", SafeTensorsDType.F16, [input.Length], input);
        using SafeTensorsFile ours = SafeTensorsFile.FromMemory(writer.ToArray());
        ushort[] written = UInt16s(ours.ReadBytes("x"));

        Assert.True(input.Length > 2000);
        for (int i = 0; i < input.Length; i++)
        {
            if (torch[i] != written[i])
            {
                Assert.Fail($"f16({input[i]:R} = 0x{BitConverter.SingleToUInt32Bits(input[i]):X8}): torch 0x{torch[i]:X4}, ours 0x{written[i]:X4}");
            }
        }
    }

    [Fact]
    public void BF16_Writing_RoundsLikeTorchBFloat16_OnTiesSubnormalsOverflowAndNaN()
    {
        using SafeTensorsFile file = Open("rounding.safetensors");
        float[] input = file.ReadFloat32("bf16.input");
        ushort[] torch = UInt16s(file.ReadBytes("bf16.torch"));

        var writer = new SafeTensorsWriter();
        writer.Add("x", SafeTensorsDType.BF16, [input.Length], input);
        using SafeTensorsFile ours = SafeTensorsFile.FromMemory(writer.ToArray());
        ushort[] written = UInt16s(ours.ReadBytes("x"));

        Assert.True(input.Length > 2000);
        for (int i = 0; i < input.Length; i++)
        {
            if (torch[i] != written[i])
            {
                Assert.Fail($"bf16({input[i]:R} = 0x{BitConverter.SingleToUInt32Bits(input[i]):X8}): torch 0x{torch[i]:X4}, ours 0x{written[i]:X4}");
            }
        }
    }

    [Theory]
    [InlineData("f16.bits")]
    [InlineData("bf16.bits")]
    public void HalfAndBFloat16_Reading_MatchesTorchFloat_IncludingNaNPayloads(string name)
    {
        using SafeTensorsFile file = Open("rounding.safetensors");
        AssertBitwiseEqual(file.ReadFloat32(name + ".f32"), file.ReadFloat32(name), name);
    }

    [Fact]
    public void EveryDType_ReadAsFloat32_MatchesTorchFloat()
    {
        using SafeTensorsFile file = Open("dtypes.safetensors");
        string[] names = ["t.bool", "t.u8", "t.i8", "t.i16", "t.u16", "t.f16", "t.bf16", "t.i32", "t.u32", "t.f32", "t.f64",
            "t.i64", "t.u64", "t.empty", "t.scalar", "bn.num_batches_tracked"];
        foreach (string name in names)
        {
            float[] expected = file.ReadFloat32(name + ".f32");
            float[] actual = file.ReadFloat32(name);
            Assert.Equal(file.GetEntry(name + ".f32").Shape, file.GetEntry(name).Shape);
            for (int i = 0; i < expected.Length; i++)
            {
                // NaN payloads are not specified for double → float; everything else must match bit for bit.
                bool same = float.IsNaN(expected[i])
                    ? float.IsNaN(actual[i])
                    : BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]);
                if (!same)
                {
                    Assert.Fail($"{name}[{i}]: expected {expected[i]:R} but got {actual[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void DTypesFixture_ExposesDTypesShapesAndMetadata()
    {
        using SafeTensorsFile file = Open("dtypes.safetensors");
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, file.Metadata);
        Assert.Equal(SafeTensorsDType.F16, file.GetEntry("t.f16").DType);
        Assert.Equal([2L, 3, 4], file.GetEntry("t.f16").Shape);
        Assert.Equal([2, 3, 4], file.GetEntry("t.f16").GetShapeInt32());
        Assert.Equal(0, file.GetEntry("t.empty").ElementCount);
        Assert.Empty(file.ReadFloat32("t.empty"));
        Assert.Empty(file.GetEntry("t.scalar").Shape);
        Assert.Equal(1, file.GetEntry("t.scalar").ElementCount);
        Assert.Equal([2.5f], file.ReadFloat32("t.scalar"));
        Assert.Equal(SafeTensorsDType.U64, file.GetEntry("t.u64").DType);
        Assert.Equal(SafeTensorsDType.Bool, file.GetEntry("t.bool").DType);

        // The entries tile the data region in order.
        long position = 0;
        foreach (SafeTensorsEntry entry in file.Entries)
        {
            Assert.Equal(position, entry.DataBegin);
            position = entry.DataEnd;
        }

        Assert.Equal(file.DataLength, position);
    }

    [Fact]
    public void IntegerDTypes_ReadAsInt64_GiveTheExactValues()
    {
        using SafeTensorsFile file = Open("dtypes.safetensors");

        // The same literals as generate_fixtures.py; large I64 values are not representable as float32.
        Assert.Equal(
            [0, 1, -1, (1L << 24) + 1, (1L << 53) + 1, -((1L << 53) + 1), (1L << 62) + (1L << 38) + 1, long.MinValue, long.MaxValue, 12345678901234567],
            file.ReadInt64("t.i64"));
        Assert.Equal([0, -1, (1L << 24) + 1, (1L << 24) + 3, int.MinValue, int.MaxValue], file.ReadInt64("t.i32"));
        Assert.Equal([-32768L, -1, 0, 1, 32767], file.ReadInt64("t.i16"));
        Assert.Equal([0L, 1, 65535, 40000], file.ReadInt64("t.u16"));
        Assert.Equal([0L, 1, uint.MaxValue, (1L << 24) + 1, 3000000001], file.ReadInt64("t.u32"));
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (long)i), file.ReadInt64("t.u8"));
        Assert.Equal(Enumerable.Range(-128, 256).Select(i => (long)i), file.ReadInt64("t.i8"));
        Assert.Equal([1L, 0, 1, 0, 0, 1], file.ReadInt64("t.bool"));
        Assert.Equal([1234567L], file.ReadInt64("bn.num_batches_tracked"));
        Assert.Equal([1234567f], file.ReadFloat32("bn.num_batches_tracked"));

        // 2^64 - 1 does not fit in a long: a clear overflow, not a silent wrap.
        Assert.Throws<OverflowException>(() => file.ReadInt64("t.u64"));
        Assert.Throws<InvalidOperationException>(() => file.ReadInt64("t.f32"));
    }

    [Fact]
    public void Writer_ReproducesTheReferenceLayoutByteForByte()
    {
        string path = PathOf("reference_layout.safetensors");
        byte[] expected = File.ReadAllBytes(path);
        using SafeTensorsFile reference = SafeTensorsFile.FromMemory(expected);
        using SafeTensorsFile inputs = Open("reference_layout_inputs.safetensors");

        // Add in reverse data order: the writer must sort like the reference, whatever the insertion order.
        var writer = new SafeTensorsWriter();
        foreach (SafeTensorsEntry entry in reference.Entries.Reverse())
        {
            long[] shape = [.. entry.Shape];
            switch (entry.DType)
            {
                case SafeTensorsDType.I64:
                    writer.AddInt64(entry.Name, shape, reference.ReadInt64(entry.Name));
                    break;
                case SafeTensorsDType.F32:
                    writer.Add(entry.Name, SafeTensorsDType.F32, shape, reference.ReadFloat32(entry.Name));
                    break;
                default:
                    // F16/BF16: round from the float32 values PyTorch rounded.
                    writer.Add(entry.Name, entry.DType, shape, inputs.ReadFloat32(entry.Name));
                    break;
            }
        }

        foreach ((string key, string value) in reference.Metadata)
        {
            writer.Metadata[key] = value;
        }

        byte[] actual = writer.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"first difference at byte {expected.AsSpan().CommonPrefixLength(actual)}");
        Assert.Equal(0, (8 + reference.HeaderLength) % 8);
    }
}
