using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// <see cref="TensorOptions.TrimPooledBuffers"/>: the kernels' pooled working arrays can be let go (a server that kept
/// them idle, issue 15 §3), and the kernels give the same bits before, after and across a trim.
/// </summary>
[Collection(Serial)]
public sealed class KernelBuffersTests
{
    /// <summary>Alone: other tests' kernels rent from the same pools, and the test counts on which array comes back.</summary>
    public const string Serial = "kernel buffers, alone";

    [Fact]
    public void Trim_LetsGoOfPooledArrays_AndTheKernelsGiveTheSameBits()
    {
        var s = new Conv2dShape(2, 16, 24, 24, 32, 3, 3, 1, 1, 1, 1);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 1), w = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] dy = GemmTests.RandomArray((int)s.OutputLength, 3), bias = GemmTests.RandomArray(s.OutChannels, 4);

        float[] Forward()
        {
            float[] y = new float[s.OutputLength];
            Convolution.Conv2dForward(s, x, w, bias, y, threads: 2);
            return y;
        }

        float[] first = Forward();

        // A pooled array is handed out again until the pool is trimmed; after that the pool starts empty.
        float[] rented = KernelBuffers.RentFloats(100_000);
        KernelBuffers.Return(rented);
        Assert.Same(rented, KernelBuffers.RentFloats(100_000));
        KernelBuffers.Return(rented);
        TensorOptions.TrimPooledBuffers();
        Assert.NotSame(rented, KernelBuffers.RentFloats(100_000));

        // An array rented before a trim may come back after it.
        float[] early = KernelBuffers.RentFloats(5000);
        TensorOptions.TrimPooledBuffers();
        KernelBuffers.Return(early);

        Assert.Equal(first, Forward());
        float[] dx = new float[s.InputLength], dw = new float[s.WeightLength], db = new float[s.OutChannels];
        Convolution.Conv2dBackwardInput(s, dy, w, dx, 2);
        Convolution.Conv2dBackwardWeight(s, x, dy, dw, db, 2);
        TensorOptions.TrimPooledBuffers();
        Assert.Equal(first, Forward());
    }
}

/// <summary>Runs <see cref="KernelBuffersTests"/> after the parallel tests, never beside them.</summary>
[CollectionDefinition(KernelBuffersTests.Serial, DisableParallelization = true)]
public sealed class KernelBuffersAlone;
