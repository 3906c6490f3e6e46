using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// What a convolution does to its output as it writes it: y = relu((conv + bias[channel]) + addend), or with the
/// addend after the ReLU y = relu(conv + bias[channel]) + addend, each part optional. The addend has the output's
/// shape (a residual block's shortcut, a hint branch); the ReLU is max(·, 0) with NaN kept, as <see cref="Tensor.Relu"/>.
/// </summary>
/// <remarks>
/// A network's convolutions are mostly followed by a bias, often by a ReLU and sometimes by a residual add; as
/// separate ops each is a pass over the whole output (the bias one on the calling thread alone, the others into
/// newly allocated tensors). Applied while a row of the output is still in cache, they cost next to nothing. Each
/// part is the <see cref="TensorPrimitives"/> call the separate op makes, in the same order, so the bits are the
/// same as those of the separate ops. The pointers are the caller's pinned arrays; the struct lives no longer
/// than the call that pins them.
/// </remarks>
internal readonly unsafe struct ConvEpilogue
{
    private readonly float* _bias;
    private readonly float* _addend;
    private readonly bool _relu;
    private readonly bool _addendAfterRelu;

    /// <summary>Creates an epilogue.</summary>
    /// <param name="bias">One value per output channel, or null.</param>
    /// <param name="addend">A tensor of the output's shape added after the bias, or null.</param>
    /// <param name="relu">Whether max(·, 0) follows.</param>
    /// <param name="addendAfterRelu">Whether the addend comes after the ReLU rather than before it.</param>
    public ConvEpilogue(float* bias, float* addend, bool relu, bool addendAfterRelu = false)
    {
        _bias = bias;
        _addend = addend;
        _relu = relu;
        _addendAfterRelu = addendAfterRelu;
    }

    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => _bias == null && _addend == null && !_relu;

    /// <summary>
    /// destination = epilogue(source) for <paramref name="source"/>.Length elements of output channel
    /// <paramref name="channel"/> that start at element <paramref name="offset"/> of the whole output (where the
    /// addend is read). Source and destination may be the same span.
    /// </summary>
    public void Write(ReadOnlySpan<float> source, Span<float> destination, int channel, long offset)
    {
        if (_bias != null)
        {
            TensorPrimitives.Add(source, _bias[channel], destination);
            source = destination;
        }

        if (_addend != null && !_addendAfterRelu)
        {
            TensorPrimitives.Add(source, new ReadOnlySpan<float>(_addend + offset, destination.Length), destination);
            source = destination;
        }

        if (_relu)
        {
            TensorPrimitives.Max(source, 0f, destination);
            source = destination;
        }

        if (_addend != null && _addendAfterRelu)
        {
            TensorPrimitives.Add(source, new ReadOnlySpan<float>(_addend + offset, destination.Length), destination);
            source = destination;
        }

        if (!source.Overlaps(destination))
        {
            source.CopyTo(destination);
        }
    }

    /// <summary>
    /// Applies the epilogue in place to positions [<paramref name="start"/>, <paramref name="start"/> + <paramref name="width"/>)
    /// of planes [<paramref name="firstPlane"/>, <paramref name="firstPlane"/> + <paramref name="planes"/>) of an
    /// [N, C, spatial] output (plane p is channel p mod C of image p / C), planes split among threads.
    /// </summary>
    public void Apply(Span<float> output, int firstPlane, int planes, int channels, int spatial, int start, int width, int threads)
    {
        if (IsEmpty || planes == 0 || width == 0)
        {
            return;
        }

        if ((long)(firstPlane + planes - 1) * spatial + start + width > output.Length)
        {
            throw new ArgumentException("The planes do not fit the output span.", nameof(output));
        }

        // About 64 K elements per part at least: below that a thread's wake-up costs more than the pass.
        int parts = (int)Math.Clamp((long)planes * width / (1 << 16), 1, Math.Min(threads, planes));
        fixed (float* p = output)
        {
            nint address = (nint)p;
            ConvEpilogue self = this;
            void Part(int part)
            {
                int p0 = firstPlane + (int)((long)planes * part / parts), p1 = firstPlane + (int)((long)planes * (part + 1) / parts);
                for (int plane = p0; plane < p1; plane++)
                {
                    long offset = ((long)plane * spatial) + start;
                    var span = new Span<float>((float*)address + offset, width);
                    self.Write(span, span, plane % channels, offset);
                }
            }

            if (parts == 1)
            {
                Part(0);
            }
            else
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
            }
        }
    }
}
