namespace Colorize.Tensors.Optim;

/// <summary>
/// A group of parameters with its own hyperparameters, like an entry of PyTorch's <c>optimizer.param_groups</c>;
/// give the critic and the generator their own groups for TTUR.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>Creates a group.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double learningRate)
    {
        Parameters = [.. parameters];
        foreach (var p in Parameters)
        {
            if (!p.IsLeaf)
            {
                throw new ArgumentException("An optimizer can only optimize leaf tensors.");
            }
        }

        LearningRate = learningRate;
        InitialLearningRate = learningRate;
    }

    /// <summary>The parameters updated by this group.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current learning rate (schedulers change it).</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate the group started with (schedulers scale from it, PyTorch's <c>initial_lr</c>).</summary>
    public double InitialLearningRate { get; set; }

    /// <summary>L2 penalty (Adam, SGD) or decoupled decay (AdamW).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Adam's β₁ (one-cycle scheduling cycles it like momentum).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam's β₂.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Adam's ε.</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; }

    /// <summary>SGD dampening.</summary>
    public double Dampening { get; set; }

    /// <summary>SGD Nesterov momentum.</summary>
    public bool Nesterov { get; set; }
}
