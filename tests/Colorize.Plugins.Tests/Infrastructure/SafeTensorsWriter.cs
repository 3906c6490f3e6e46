using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>
/// Writes the safetensors format from its specification (8-byte little-endian header length, a JSON header of
/// dtype/shape/data_offsets, the raw little-endian data), independently of the engine's own writer.
/// </summary>
internal static class SafeTensorsWriter
{
    public sealed record Tensor(string Name, int[] Shape, float[] Values, string DType = "F32");

    public static byte[] Write(IEnumerable<Tensor> tensors)
    {
        var header = new Dictionary<string, object>();
        using var data = new MemoryStream();
        Span<byte> scratch = stackalloc byte[8];
        foreach (var t in tensors)
        {
            long start = data.Length;
            foreach (float v in t.Values)
            {
                switch (t.DType)
                {
                    case "F32":
                        BinaryPrimitives.WriteSingleLittleEndian(scratch, v);
                        data.Write(scratch[..4]);
                        break;
                    case "F16":
                        BinaryPrimitives.WriteHalfLittleEndian(scratch, (Half)v);
                        data.Write(scratch[..2]);
                        break;
                    case "I64":
                        BinaryPrimitives.WriteInt64LittleEndian(scratch, (long)v);
                        data.Write(scratch);
                        break;
                    default:
                        throw new ArgumentException($"dtype {t.DType} is not written by the tests");
                }
            }

            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { start, data.Length } };
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.CopyTo(result, 8);
        result.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.ToArray().CopyTo(result, 8 + padded);
        return result;
    }
}
