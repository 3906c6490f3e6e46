using Colorize.Tensors;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer.Tests;

/// <summary>The rate each parameter trains at, from an optimizer's groups (each parameter must be in one group).</summary>
internal static class ParamGroupRates
{
    public static Dictionary<Tensor, double> Of(IEnumerable<ParamGroup> groups)
    {
        var rateOf = new Dictionary<Tensor, double>(ReferenceEqualityComparer.Instance);
        foreach (var g in groups)
        {
            foreach (var p in g.Parameters)
            {
                rateOf.Add(p, g.LearningRate);
            }
        }

        return rateOf;
    }
}
