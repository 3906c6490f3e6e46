using System.Buffers;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// The working arrays of the convolution kernels (im2col columns, staging matrices, phase planes), pooled so a network's
/// layers reuse them, in a pool of the engine's own that <see cref="TensorOptions.TrimPooledBuffers"/> can empty.
/// <see cref="ArrayPool{T}.Shared"/> has no way to give its arrays back: it keeps them until a full collection finds them
/// unused for a minute, so a server that colorized a photo kept megabytes of them while idle.
/// </summary>
internal static class KernelBuffers
{
    // Arrays up to 2^28 floats (1 GiB) are pooled; larger ones (never seen in practice) are allocated and dropped.
    private const int MaxPooledLength = 1 << 28;
    private const int ArraysPerBucket = 64;

    private static ArrayPool<float> s_floats = ArrayPool<float>.Create(MaxPooledLength, ArraysPerBucket);
    private static ArrayPool<int> s_ints = ArrayPool<int>.Create(MaxPooledLength, ArraysPerBucket);

    public static float[] RentFloats(int minimumLength) => Volatile.Read(ref s_floats).Rent(minimumLength);

    public static int[] RentInts(int minimumLength) => Volatile.Read(ref s_ints).Rent(minimumLength);

    // An array rented before a trim goes back to the new pool: the pools size their buckets alike, so it fits.
    public static void Return(float[] array) => Volatile.Read(ref s_floats).Return(array);

    public static void Return(int[] array) => Volatile.Read(ref s_ints).Return(array);

    /// <summary>Swaps in empty pools; the arrays the old ones held become garbage for the next collection.</summary>
    public static void Trim()
    {
        Volatile.Write(ref s_floats, ArrayPool<float>.Create(MaxPooledLength, ArraysPerBucket));
        Volatile.Write(ref s_ints, ArrayPool<int>.Create(MaxPooledLength, ArraysPerBucket));
    }
}
