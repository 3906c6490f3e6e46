using System.Numerics;
using System.Runtime.InteropServices;
using Colorize.Abstractions.Packs;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Engine.Packs;

/// <summary>
/// Reads a pack's safetensors weights and checks them against the network: every key present and expected, shapes
/// equal, the stored dtype the one the manifest declares, every value finite.
/// </summary>
public static class WeightsLoader
{
    /// <summary>The largest weights file accepted (a 20 MB pack is the target; this guards against hostile sizes).</summary>
    public const long MaxWeightsBytes = 1L << 30;

    /// <summary>Reads and validates the weights for <paramref name="network"/>; throws <see cref="ModelPackException"/> with the reason.</summary>
    public static Dictionary<string, Tensor> Read(IModelPackContent pack, Module network)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        ReadChecked(pack, network, (name, shape) =>
        {
            var tensor = Tensor.Zeros(shape);
            result[name] = tensor;
            return tensor.Data;
        });
        return result;
    }

    /// <summary>
    /// Reads and validates the weights into <paramref name="network"/>'s own parameters and buffers, with the checks
    /// of <see cref="Read"/> and no copy of the model beside the network (what <see cref="Read"/> followed by
    /// <see cref="Module.LoadStateDict"/> gives). On a <see cref="ModelPackException"/> the network holds a partial
    /// load: discard it.
    /// </summary>
    public static void LoadInto(IModelPackContent pack, Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var own = network.StateDict();
        ReadChecked(pack, network, (name, _) => own[name].Data, own);
    }

    /// <summary>The check and the conversion; <paramref name="destination"/> gives where each tensor's float32 values go.</summary>
    private static void ReadChecked(IModelPackContent pack, Module network, Func<string, int[], Span<float>> destination, IReadOnlyDictionary<string, Tensor>? expected = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(network);
        var manifest = pack.Manifest;
        using var file = Open(pack, manifest.Weights.File);
        expected ??= network.StateDict();
        var missing = expected.Keys.Where(k => !file.Contains(k)).ToList();
        var unexpected = file.Entries.Select(e => e.Name).Where(n => !expected.ContainsKey(n)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new ModelPackException(
                $"Weights do not fit architecture '{manifest.Architecture.Name}'" +
                (missing.Count > 0 ? $"; missing {missing.Count} tensor(s): {Preview(missing)}" : "") +
                (unexpected.Count > 0 ? $"; unexpected {unexpected.Count} tensor(s): {Preview(unexpected)}" : "") + ".");
        }

        string declared = manifest.Weights.DType;
        foreach (var entry in file.Entries)
        {
            bool counter = entry.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal);
            // BatchNorm statistics may stay F32 in a smaller-typed pack: a variance of un-normalised activations
            // (an ImageNet encoder sees 0-255 input) can exceed F16's largest value, 65504.
            bool f32Statistic = IsRunningStatistic(entry.Name) && entry.DType == SafeTensorsDType.F32;
            if (!counter && !f32Statistic && entry.DType.ToHeaderName() != declared)
            {
                throw new ModelPackException($"Tensor '{entry.Name}' is stored as {entry.DType.ToHeaderName()}, the manifest declares {declared}.");
            }

            var shape = expected[entry.Name].Shape.ToArray();
            if (!entry.Shape.Select(d => (int)Math.Min(d, int.MaxValue)).SequenceEqual(shape))
            {
                throw new ModelPackException($"Tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], architecture '{manifest.Architecture.Name}' needs [{string.Join(", ", shape)}].");
            }

            var values = destination(entry.Name, shape);
            file.ReadFloat32(entry.Name, values);
            int bad = IndexOfNonFinite(values);
            if (bad >= 0)
            {
                throw new ModelPackException($"Tensor '{entry.Name}' holds a non-finite value ({values[bad]}) at element {bad}.");
            }
        }
    }

    private static SafeTensorsFile Open(IModelPackContent pack, string name)
    {
        using var stream = pack.OpenFile(name);
        try
        {
            if (stream.CanSeek)
            {
                // The size is known: one array of exactly the file's data, no growing buffer and no second copy.
                if (stream.Length - stream.Position > MaxWeightsBytes)
                {
                    throw TooLarge(name);
                }

                return SafeTensorsFile.Load(stream);
            }

            return SafeTensorsFile.FromMemory(ReadBounded(stream, name));
        }
        catch (SafeTensorsFormatException e)
        {
            throw new ModelPackException($"Weights file '{name}' is not valid safetensors: {e.Message}", e);
        }
    }

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or −1.</summary>
    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // Non-finite means an all-ones exponent. A vector scan finds the first block holding one (a lambda per element
        // was 0.1 s for the default pack's 27 M values); the scalar loop then finds the element.
        const uint exponent = 0x7F80_0000;
        var bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var mask = new Vector<uint>(exponent);
            for (; i <= bits.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                if (Vector.EqualsAny(new Vector<uint>(bits.Slice(i)) & mask, mask))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[] ReadBounded(Stream stream, string name)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 20];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > MaxWeightsBytes)
            {
                throw TooLarge(name);
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static ModelPackException TooLarge(string name) => new($"Weights file '{name}' is larger than {MaxWeightsBytes >> 20} MiB.");

    private static string Preview(List<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");

    /// <summary>Whether <paramref name="name"/> is a BatchNorm running mean or variance.</summary>
    public static bool IsRunningStatistic(string name) =>
        name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal);
}
