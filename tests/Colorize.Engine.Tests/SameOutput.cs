using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Tests;

/// <summary>Checks that two networks give the same bits, in eval and in training mode (zero-started branches).</summary>
internal static class SameOutput
{
    /// <summary>
    /// Asserts that <paramref name="expected"/>(<paramref name="expectedInput"/>) and <paramref name="actual"/>(<paramref name="actualInput"/>)
    /// are equal bit for bit, first with both networks in eval mode, then in training mode.
    /// </summary>
    public static void InBothModes(Module<Tensor, Tensor> expected, Tensor expectedInput, Module<Tensor, Tensor> actual, Tensor actualInput, string what)
    {
        foreach (var training in new[] { false, true })
        {
            if (training)
            {
                expected.Train();
                actual.Train();
            }
            else
            {
                expected.Eval();
                actual.Eval();
            }

            using (Tensor.NoGrad())
            {
                var want = expected.Call(expectedInput).Data.ToArray();
                var got = actual.Call(actualInput).Data.ToArray();
                Assert.True(want.AsSpan().SequenceEqual(got), $"training {training}: {what}");
            }
        }
    }
}
