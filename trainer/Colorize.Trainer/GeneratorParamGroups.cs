using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

/// <summary>
/// The generator's Adam parameter groups: the rest of the network at the phase's rate, the pretrained encoder at
/// <c>pretrainedEncoder.lrMultiplier</c> × the rate (left out while frozen), and a colour-hint branch at
/// <c>hints.branchLrMultiplier</c> × the rate, a class head at <c>classLoss.headLrMultiplier</c> × the rate, and a
/// <c>globalContext</c> block at <c>globalContextLrMultiplier</c> × the rate. The hint branch starts at zero inside a network that is already trained;
/// at a fine-tuning rate it would take many epochs to grow to the size where hints matter, so it gets its own rate.
/// </summary>
internal static class GeneratorParamGroups
{
    /// <summary>Builds the groups (disjoint; a group with no parameters is left out).</summary>
    public static List<ParamGroup> Build(Module generator, double lr, double beta1, double beta2, TrainConfig config, bool frozenEncoder)
    {
        // With hints.branchOnly the rest of the network is frozen: its parameters are in no group.
        var named = generator.NamedParameters().Where(n => config.Hints?.Trains(n.Name) ?? true).ToList();
        bool SplitsEncoder(string name) => config.PretrainedEncoder is not null && PretrainedWeights.IsEncoderParameter(name);
        double hintMultiplier = config.Hints?.BranchLrMultiplier ?? 1;
        bool SplitsHints(string name) => hintMultiplier != 1 && HintSimulation.IsHintBranchParameter(name);
        double headMultiplier = config.ClassLoss?.HeadLrMultiplier ?? 1;
        bool SplitsHead(string name) => headMultiplier != 1 && name.StartsWith("head.", StringComparison.Ordinal);
        double contextMultiplier = config.GlobalContextLrMultiplier;
        bool SplitsContext(string name) => contextMultiplier != 1 && name.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal);

        var groups = new List<ParamGroup>();
        void Add(IEnumerable<Tensor> parameters, double rate)
        {
            var list = parameters.ToList();
            if (list.Count > 0)
            {
                groups.Add(new(list, rate) { Beta1 = beta1, Beta2 = beta2 });
            }
        }

        // The main group first: the logged learning rate is ParamGroups[0]'s.
        Add(named.Where(n => !SplitsEncoder(n.Name) && !SplitsHints(n.Name) && !SplitsHead(n.Name) && !SplitsContext(n.Name)).Select(n => n.Parameter), lr);
        if (config.PretrainedEncoder is { } encoder && !frozenEncoder)
        {
            Add(named.Where(n => SplitsEncoder(n.Name)).Select(n => n.Parameter), lr * encoder.LrMultiplier);
        }

        Add(named.Where(n => SplitsHints(n.Name)).Select(n => n.Parameter), lr * hintMultiplier);
        Add(named.Where(n => SplitsHead(n.Name)).Select(n => n.Parameter), lr * headMultiplier);
        Add(named.Where(n => SplitsContext(n.Name)).Select(n => n.Parameter), lr * contextMultiplier);
        return groups;
    }
}
