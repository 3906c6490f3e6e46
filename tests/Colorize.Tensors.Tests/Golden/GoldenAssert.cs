using System.Globalization;
using Colorize.Tensors;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>Element-wise comparison with PyTorch's reference values, reporting the worst element.</summary>
internal static class GoldenAssert
{
    /// <summary>Default relative tolerance (float32 arithmetic against a float64 PyTorch reference).</summary>
    public const double Rtol = 1e-4;

    /// <summary>Default absolute tolerance.</summary>
    public const double Atol = 1e-5;

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere, with equal shapes; returns the largest absolute error.</summary>
    public static double Close(Tensor expected, Tensor? actual, string what, double rtol = Rtol, double atol = Atol)
    {
        Assert.True(actual is not null, $"{what}: no tensor (expected shape [{string.Join(", ", expected.GetShape())}]).");
        Assert.True(expected.Shape.SequenceEqual(actual!.Shape),
            $"{what}: shape [{string.Join(", ", actual.GetShape())}], expected [{string.Join(", ", expected.GetShape())}].");
        var e = expected.Data;
        var a = actual.Data;
        int worst = -1, bad = 0;
        double worstExcess = double.NegativeInfinity, maxAbs = 0, maxRel = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - e[i]);
            if (double.IsNaN(diff))
            {
                diff = double.PositiveInfinity;
            }

            double allowed = atol + (rtol * Math.Abs(e[i]));
            maxAbs = Math.Max(maxAbs, diff);
            maxRel = Math.Max(maxRel, diff / Math.Max(Math.Abs(e[i]), 1e-30));
            if (diff > allowed)
            {
                bad++;
            }

            if (diff - allowed > worstExcess)
            {
                worstExcess = diff - allowed;
                worst = i;
            }
        }

        if (bad > 0)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {bad} of {e.Length} elements off (rtol {rtol:G3}, atol {atol:G3}); max abs error {maxAbs:G4}, " +
                $"max rel error {maxRel:G4}; worst at flat index {worst}: actual {a[worst]:G9}, expected {e[worst]:G9}."));
        }

        return maxAbs;
    }

    /// <summary>Asserts two tensors hold exactly the same values (indices, keys that must not change).</summary>
    public static void Exact(Tensor expected, Tensor actual, string what) => Close(expected, actual, what, 0, 0);

    /// <summary>The largest |element|.</summary>
    public static double MaxAbs(Tensor t)
    {
        double m = 0;
        foreach (float v in t.Data)
        {
            m = Math.Max(m, Math.Abs(v));
        }

        return m;
    }
}
