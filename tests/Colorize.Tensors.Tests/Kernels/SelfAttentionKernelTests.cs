using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// Self-attention without autograd takes the blocked kernel (no positions² matrix): it computes what the recorded
/// path (PyTorch's formula, checked against PyTorch by the golden tests) computes, to rounding, with the same bits for
/// any thread count.
/// </summary>
[Collection("TensorOptions")]
public sealed class SelfAttentionKernelTests
{
    [Theory]
    [InlineData(2, 16, 9, 11)]    // 99 positions: a whole block and a partial one per image
    [InlineData(1, 8, 1, 3)]      // fewer positions than a block
    [InlineData(2, 32, 24, 24)]   // enough work to split the blocks among threads
    public void MatchesTheRecordedPath_WithTheSameBitsForAnyThreadCount(int n, int c, int h, int w)
    {
        var gen = new Generator(31);
        var attention = new SelfAttention(c, generator: gen);
        Init.Constant(attention.Gamma, 0.7f);
        attention.Eval();
        // Scores of a few units, so the softmax is neither flat nor one-hot.
        var x = Tensor.Randn(gen, n, c, h, w) * 2f;
        var recorded = attention.Call(x);
        Assert.NotNull(recorded.GradFn);
        float[] expected = recorded.ToArray();
        float scale = expected.Max(MathF.Abs);

        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = TensorOptions.NumThreads;
            try
            {
                TensorOptions.NumThreads = threads;
                Tensor blocked;
                using (Tensor.NoGrad())
                {
                    blocked = attention.Call(x);
                }

                Assert.Equal(recorded.GetShape(), blocked.GetShape());
                float[] actual = blocked.ToArray();
                for (int i = 0; i < actual.Length; i++)
                {
                    Assert.True(MathF.Abs(actual[i] - expected[i]) <= 2e-6f * scale, $"element {i}: {actual[i]} against {expected[i]}");
                }

                first ??= actual;
                Assert.Equal(first, actual);
            }
            finally
            {
                TensorOptions.NumThreads = saved;
            }
        }
    }
}
