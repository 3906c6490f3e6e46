using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>
/// The kill-and-resume tests' check: two checkpoints hold the same tensor names and every tensor bit for bit (a resumed
/// run must train exactly the weights of an uninterrupted one, not nearly).
/// </summary>
internal static class SameWeights
{
    public static void Assert(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Xunit.Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Xunit.Assert.True(tensor.ToArray().AsSpan().SequenceEqual(actual[name].ToArray()), $"tensor {name} differs");
        }
    }
}
