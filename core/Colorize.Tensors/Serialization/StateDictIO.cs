namespace Colorize.Tensors.Serialization;

/// <summary>
/// Saves and loads named tensors (state dicts) as safetensors files that PyTorch's <c>safetensors.torch</c> reads and
/// writes. <c>num_batches_tracked</c> is stored as I64, as PyTorch keeps it; every other tensor as the chosen float type.
/// </summary>
public static class StateDictIO
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temp file, then rename).</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="path">Destination file.</param>
    /// <param name="dtype">Storage type for float tensors: F32, F16 or BF16.</param>
    /// <param name="metadata">Optional string metadata (<c>__metadata__</c>).</param>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, SafeTensorsDType dtype = SafeTensorsDType.F32, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToWriter(tensors, _ => dtype, metadata).Save(path);

    /// <summary>Serialises <paramref name="tensors"/> to safetensors bytes.</summary>
    public static byte[] ToBytes(IReadOnlyDictionary<string, Tensor> tensors, SafeTensorsDType dtype = SafeTensorsDType.F32, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToWriter(tensors, _ => dtype, metadata).ToArray();

    /// <summary>Serialises <paramref name="tensors"/> with a storage type chosen per tensor (F32, F16 or BF16).</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="dtypeOf">The storage type of each float tensor, by name.</param>
    /// <param name="metadata">Optional string metadata (<c>__metadata__</c>).</param>
    public static byte[] ToBytes(IReadOnlyDictionary<string, Tensor> tensors, Func<string, SafeTensorsDType> dtypeOf, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToWriter(tensors, dtypeOf, metadata).ToArray();

    /// <summary>Reads every tensor of a safetensors file as float32 (integers converted, as a state dict needs).</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return ReadAll(file);
    }

    /// <summary>Reads every tensor of in-memory safetensors bytes as float32.</summary>
    public static Dictionary<string, Tensor> Load(ReadOnlyMemory<byte> bytes)
    {
        using var file = SafeTensorsFile.FromMemory(bytes);
        return ReadAll(file);
    }

    /// <summary>Reads every tensor of an open file as float32.</summary>
    public static Dictionary<string, Tensor> ReadAll(SafeTensorsFile file)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in file.Entries)
        {
            int[] shape;
            try
            {
                shape = entry.GetShapeInt32();
                ShapeUtil.CheckedCount(shape);
            }
            catch (Exception e) when (e is OverflowException or ArgumentException)
            {
                throw new SafeTensorsFormatException($"Tensor '{entry.Name}' is too large for this engine ({entry}).", e) { TensorName = entry.Name };
            }

            result[entry.Name] = Tensor.Wrap(file.ReadFloat32(entry.Name), shape);
        }

        return result;
    }

    private static SafeTensorsWriter ToWriter(IReadOnlyDictionary<string, Tensor> tensors, Func<string, SafeTensorsDType> dtypeOf, IReadOnlyDictionary<string, string>? metadata)
    {
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            writer.Metadata[key] = value;
        }

        foreach (var (name, tensor) in tensors)
        {
            if (IsCounter(name))
            {
                var values = new long[tensor.Count];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (long)tensor.Data[i];
                }

                writer.AddInt64(name, tensor.Shape, values);
            }
            else
            {
                var dtype = dtypeOf(name);
                if (dtype is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
                {
                    throw new ArgumentException($"State dicts are stored as F32, F16 or BF16, not {dtype.ToHeaderName()}.", nameof(dtypeOf));
                }

                writer.Add(name, dtype, tensor.Shape, tensor.Data);
            }
        }

        return writer;
    }

    private static bool IsCounter(string name) => name == "num_batches_tracked" || name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
}
