using Colorize.Abstractions.Packs;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Engine.Packs;

/// <summary>
/// Reads a pack's safetensors weights and checks them against the network before anything is loaded: every key
/// present and expected, shapes equal, the stored dtype the one the manifest declares, every value finite.
/// </summary>
public static class WeightsLoader
{
    /// <summary>The largest weights file accepted (a 20 MB pack is the target; this guards against hostile sizes).</summary>
    public const long MaxWeightsBytes = 1L << 30;

    /// <summary>Reads and validates the weights for <paramref name="network"/>; throws <see cref="ModelPackException"/> with the reason.</summary>
    public static Dictionary<string, Tensor> Read(IModelPackContent pack, Module network)
    {
        var manifest = pack.Manifest;
        byte[] bytes;
        using (var stream = pack.OpenFile(manifest.Weights.File))
        {
            bytes = ReadBounded(stream, manifest.Weights.File);
        }

        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.FromMemory(bytes);
        }
        catch (SafeTensorsFormatException e)
        {
            throw new ModelPackException($"Weights file '{manifest.Weights.File}' is not valid safetensors: {e.Message}", e);
        }

        using (file)
        {
            var expected = network.StateDict();
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
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
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

                var shape = expected[entry.Name].Shape;
                if (!entry.Shape.Select(d => (int)Math.Min(d, int.MaxValue)).SequenceEqual(shape.ToArray()))
                {
                    throw new ModelPackException($"Tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], architecture '{manifest.Architecture.Name}' needs [{string.Join(", ", shape.ToArray())}].");
                }

                var values = file.ReadFloat32(entry.Name);
                int bad = Array.FindIndex(values, v => !float.IsFinite(v));
                if (bad >= 0)
                {
                    throw new ModelPackException($"Tensor '{entry.Name}' holds a non-finite value ({values[bad]}) at element {bad}.");
                }

                result[entry.Name] = Tensor.Wrap(values, shape.ToArray());
            }

            return result;
        }
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
                throw new ModelPackException($"Weights file '{name}' is larger than {MaxWeightsBytes >> 20} MiB.");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static string Preview(List<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");

    /// <summary>Whether <paramref name="name"/> is a BatchNorm running mean or variance.</summary>
    public static bool IsRunningStatistic(string name) =>
        name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal);
}
