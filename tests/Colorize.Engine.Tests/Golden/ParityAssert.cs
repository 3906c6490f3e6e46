using System.Globalization;
using Colorize.Tensors;
using Colorize.Tensors.Tests.Golden;

namespace Colorize.Engine.Tests.Golden;

/// <summary>
/// Element-wise comparison with PyTorch's float64 reference through the shared GoldenAssert (linked from the tensor tests):
/// |actual − expected| ≤ atol + rtol·|expected|, reporting the worst element and the largest errors.
/// </summary>
internal static class ParityAssert
{
    /// <summary>Relative tolerance of the golden tests (float32 arithmetic against a float64 reference).</summary>
    public const double Rtol = 1e-4;

    /// <summary>Absolute tolerance of the golden tests.</summary>
    public const double Atol = 1e-5;

    /// <summary>
    /// A gradient, given <paramref name="networkScale"/>, the largest |gradient| of the whole network. A gradient sums
    /// many products, so its rounding error grows with its size: <see cref="Rtol"/> relative plus <see cref="Atol"/>
    /// times max(1, largest |expected|). A gradient that is zero in exact arithmetic (the bias of a convolution followed
    /// by InstanceNorm without affine: PyTorch's float64 gives ~1e-15) holds only the rounding noise of sums of terms
    /// as large as <paramref name="networkScale"/>, so it must stay below 1e-6 of that.
    /// </summary>
    public static double Gradient(Tensor expected, Tensor? actual, string what, double networkScale)
    {
        double scale = MaxAbs(expected);
        if (scale <= 1e-9 * networkScale)
        {
            Assert.True(actual is not null, $"{what}: no gradient.");
            double noise = MaxAbs(actual!);
            Assert.True(noise <= 1e-6 * networkScale,
                string.Create(CultureInfo.InvariantCulture, $"{what}: PyTorch's gradient is zero (max {scale:G3}), ours reaches {noise:G4}, more than rounding noise (1e-6 of {networkScale:G4})."));
            return noise;
        }

        return Close(expected, actual, what, Rtol, Atol * Math.Max(1, scale));
    }

    /// <summary>The largest |element|.</summary>
    public static double MaxAbs(Tensor t) => GoldenAssert.MaxAbs(t);

    /// <summary>Asserts closeness and returns the largest absolute error (for reporting).</summary>
    public static double Close(Tensor expected, Tensor? actual, string what, double rtol = Rtol, double atol = Atol) =>
        GoldenAssert.Close(expected, actual, what, rtol, atol);
}
