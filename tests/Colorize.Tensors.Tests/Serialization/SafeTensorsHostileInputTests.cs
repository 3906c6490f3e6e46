using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Colorize.Tensors.Serialization;
using static Colorize.Tensors.Tests.Serialization.SafeTensorsFixtures;

namespace Colorize.Tensors.Tests.Serialization;

/// <summary>Malformed files must end in <see cref="SafeTensorsFormatException"/>, never another exception, a hang or a huge allocation.</summary>
public sealed class SafeTensorsHostileInputTests
{
    /// <summary>A file from a header text and a data region, with a correct length prefix.</summary>
    private static byte[] File(string header, int dataLength = 0) => File(Encoding.UTF8.GetBytes(header), dataLength);

    private static byte[] File(byte[] header, int dataLength)
    {
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] WithPrefix(ulong n, int totalLength)
    {
        var bytes = new byte[totalLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
        if (totalLength >= 10)
        {
            "{}"u8.CopyTo(bytes.AsSpan(8));
        }

        return bytes;
    }

    private const string T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    public static TheoryData<string, byte[], string?> MalformedFiles => new()
    {
        { "empty input", [], null },
        { "shorter than the length prefix", [1, 0, 0, 0, 0, 0, 0], null },
        { "zero-length header", WithPrefix(0, 8), null },
        { "header length 2^64-1", WithPrefix(ulong.MaxValue, 16), null },
        { "header length 2^63", WithPrefix(1UL << 63, 16), null },
        { "header length over the 100 MB limit", WithPrefix(100_000_001, 16), null },
        { "header longer than the file", WithPrefix(4096, 64), null },
        { "not JSON", File("hello   "), null },
        { "JSON array", File("[]"), null },
        { "JSON string", File("\"x\""), null },
        { "truncated JSON", File("{\"w\":{\"dtype\""), null },
        { "trailing garbage", File("{}x"), null },
        { "second JSON value", File("{}{}"), null },
        { "comment", File("{/* c */}"), null },
        { "trailing comma", File("{\"w\":" + T + ",}", 8), null },
        { "invalid UTF-8", File([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], 0), null },
        { "UTF-8 BOM", File([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'], 0), null },
        { "NUL padding", File("{}\0\0"), null },
        { "lone surrogate escape", File("{\"\\ud800\":" + T + "}", 8), null },
        { "deep nesting", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + new string('[', 40) + new string(']', 40) + "}}", 8), null },
        { "unknown dtype", File("{\"w\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "lower-case dtype", File("{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "dtype not a string", File("{\"w\":{\"dtype\":11,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "dtype twice", File("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "negative dimension", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "fractional dimension", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8), "w" },
        { "exponent dimension", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", 8), "w" },
        { "dimension over 2^63", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8), "w" },
        { "dimension as string", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8), "w" },
        { "shape not an array", File("{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8), "w" },
        { "element count overflows", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8), "w" },
        { "byte count overflows", File("{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", 8), "w" },
        { "huge shape, huge offsets", File("{\"w\":{\"dtype\":\"U8\",\"shape\":[1000000000000],\"data_offsets\":[0,1000000000000]}}", 8), "w" },
        { "one offset", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8), "w" },
        { "three offsets", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8), "w" },
        { "negative offset", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8), "w" },
        { "end before begin", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8), "w" },
        { "size mismatch", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "w" },
        { "offsets past the data", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "w" },
        { "truncated data", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 15), "w" },
        { "hole at the start", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "w" },
        { "hole between tensors", File("{\"a\":" + T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16), "b" },
        { "overlapping tensors", File("{\"a\":" + T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "b" },
        { "identical ranges", File("{\"a\":" + T + ",\"b\":" + T + "}", 8), "b" },
        { "trailing data bytes", File("{\"w\":" + T + "}", 9), null },
        { "data but no tensors", File("{}", 8), null },
        { "duplicate tensor", File("{\"w\":" + T + ",\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "w" },
        { "duplicate tensor via escape", File("{\"w\":" + T + ",\"\\u0077\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "w" },
        { "missing dtype", File("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w" },
        { "missing shape", File("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "w" },
        { "missing offsets", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "w" },
        { "tensor not an object", File("{\"w\":5}"), "w" },
        { "tensor is null", File("{\"w\":null}"), "w" },
        { "metadata twice", File("{\"__metadata__\":{},\"__metadata__\":{}}"), null },
        { "metadata value not a string", File("{\"__metadata__\":{\"epoch\":3}}"), null },
        { "metadata value is an object", File("{\"__metadata__\":{\"a\":{}}}"), null },
        { "metadata is an array", File("{\"__metadata__\":[\"a\"]}"), null },
        { "metadata duplicate key", File("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"), null },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedFile_IsRejected_WithAClearFormatException_ByEveryReader(string problem, byte[] bytes, string? tensor)
    {
        foreach ((string reader, Func<SafeTensorsFile> open) in Readers(bytes))
        {
            var error = Assert.Throws<SafeTensorsFormatException>(() => open().Dispose());
            Assert.False(string.IsNullOrWhiteSpace(error.Message), $"{problem} via {reader}");
            if (tensor is not null)
            {
                Assert.Equal(tensor, error.TensorName);
                Assert.Contains($"'{tensor}'", error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ValidEdgeCases_AreAccepted()
    {
        // Space, tab and newline padding; null metadata; unknown fields skipped; zero-size tensors sharing an offset.
        byte[] bytes = File(
            "\n{\"__metadata__\":null,\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]}," +
            "\"a\":{\"extra\":{\"x\":[1,2]},\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}," +
            "\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}} \t\n   ",
            2);
        bytes[^2] = 0x80;
        bytes[^1] = 0x3F;
        foreach ((_, Func<SafeTensorsFile> open) in Readers(bytes))
        {
            using SafeTensorsFile file = open();
            Assert.Empty(file.Metadata);
            Assert.Equal(["z", "e", "a"], file.Entries.Select(e => e.Name));
            Assert.Equal([1f], file.ReadFloat32("a"));
            Assert.Empty(file.ReadFloat32("z"));
        }
    }

    [Fact]
    public void HeaderLimit_IsConfigurable()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", SafeTensorsDType.F32, [1], [1f]);
        byte[] bytes = writer.ToArray();
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.FromMemory(bytes, maxHeaderBytes: 16));
        using SafeTensorsFile file = SafeTensorsFile.FromMemory(bytes, maxHeaderBytes: 64);
        Assert.Single(file.Entries);
    }

    [Fact]
    public void ForwardOnlyStream_ClaimingAHugeHeader_DoesNotAllocateIt()
    {
        // 90 MB claimed, 16 bytes present: the reader must fail on the missing bytes, having grown its buffer only
        // as data arrived (a fixed-size allocation would show up as ~90 MB here).
        byte[] bytes = WithPrefix(90_000_000, 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Load(new ForwardOnlyStream(bytes)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8_000_000);
    }

    [Fact]
    public void MutatedFiles_OnlyEverFailWithFormatExceptions()
    {
        byte[] valid = BuildMutationSeed();
        var random = new Random(20240602);
        var clock = Stopwatch.StartNew();
        int accepted = 0, rejected = 0;
        for (int i = 0; i < 4000 && clock.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            byte[] mutated = Mutate(valid, random);
            try
            {
                using SafeTensorsFile file = (i % 5) switch
                {
                    0 => SafeTensorsFile.Load(new ForwardOnlyStream(mutated)),
                    1 => SafeTensorsFile.Load(new MemoryStream(mutated)),
                    _ => SafeTensorsFile.FromMemory(mutated),
                };
                ReadEverything(file);
                accepted++;
            }
            catch (SafeTensorsFormatException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Case {i} threw {ex.GetType().Name}: {ex.Message}\nInput (base64): {Convert.ToBase64String(mutated)}");
            }
        }

        // Both outcomes must occur, or the mutations are not exercising the parser.
        Assert.True(accepted > 50, $"accepted {accepted}");
        Assert.True(rejected > 500, $"rejected {rejected}");
    }

    private static void ReadEverything(SafeTensorsFile file)
    {
        foreach (SafeTensorsEntry entry in file.Entries)
        {
            Assert.Equal(entry.ElementCount, file.ReadFloat32(entry.Name).Length);
            Assert.Equal(entry.ByteLength, file.ReadBytes(entry.Name).Length);
            if (entry.DType.IsInteger() && entry.DType != SafeTensorsDType.U64)
            {
                file.ReadInt64(entry.Name);
            }
        }
    }

    private static byte[] BuildMutationSeed()
    {
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Add("conv.weight", SafeTensorsDType.F32, [2, 1, 3, 3], Enumerable.Range(0, 18).Select(i => i * 0.5f).ToArray());
        writer.Add("conv.bias", SafeTensorsDType.F16, [2], [1f, -1f]);
        writer.Add("norm.weight", SafeTensorsDType.BF16, [3], [0.5f, 2f, 3f]);
        writer.AddInt64("norm.num_batches_tracked", [], [7]);
        writer.AddRaw("mask", SafeTensorsDType.Bool, [4], [1, 0, 1, 1]);
        writer.AddRaw("index", SafeTensorsDType.U8, [2, 2], [1, 2, 3, 4]);
        return writer.ToArray();
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(8))
        {
            case 0: // flip bits in the header
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    bytes[random.Next(8, headerEnd)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1: // replace a header byte with a JSON-significant character or a digit
                const string Interesting = "{}[],:\"\\-0123456789eE. \n";
                bytes[random.Next(8, headerEnd)] = (byte)Interesting[random.Next(Interesting.Length)];
                return bytes;
            case 2: // change one digit (shapes, offsets)
                int[] digits = Enumerable.Range(8, headerEnd - 8).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9').ToArray();
                bytes[digits[random.Next(digits.Length)]] = (byte)('0' + random.Next(10));
                return bytes;
            case 3: // truncate anywhere
                return bytes[..random.Next(bytes.Length)];
            case 4: // append bytes
                return [.. bytes, .. new byte[random.Next(1, 17)]];
            case 5: // a random length prefix
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, random.Next(3) switch
                {
                    0 => (ulong)random.NextInt64(),
                    1 => (ulong)random.Next(bytes.Length + 16),
                    _ => (ulong)(headerEnd - 8 + random.Next(-8, 9)),
                });
                return bytes;
            case 6: // delete a header byte and fix the prefix
                int at = random.Next(8, headerEnd);
                byte[] shorter = [.. bytes[..at], .. bytes[(at + 1)..]];
                BinaryPrimitives.WriteUInt64LittleEndian(shorter, (ulong)(headerEnd - 9));
                return shorter;
            default: // flip bits anywhere, the data included
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
        }
    }

    private static IEnumerable<(string Name, Func<SafeTensorsFile> Open)> Readers(byte[] bytes)
    {
        yield return ("memory", () => SafeTensorsFile.FromMemory(bytes));
        yield return ("seekable stream", () => SafeTensorsFile.Load(new MemoryStream(bytes)));
        yield return ("forward-only stream", () => SafeTensorsFile.Load(new ForwardOnlyStream(bytes)));
        yield return ("file", () =>
        {
            string path = Path.Combine(Path.GetTempPath(), $"st-hostile-{Guid.NewGuid():N}.safetensors");
            System.IO.File.WriteAllBytes(path, bytes);
            try
            {
                return SafeTensorsFile.Open(path);
            }
            finally
            {
                System.IO.File.Delete(path);
            }
        });
    }
}
