namespace Colorize.Tensors.NN;

/// <summary>
/// Batch normalisation over [N, C, H, W] (<c>nn.BatchNorm2d</c>): parameters <c>weight</c>, <c>bias</c>; buffers
/// <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>.
/// </summary>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer (γ = 1, β = 0, running mean 0, running variance 1).</summary>
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    {
        (NumFeatures, Eps, Momentum, TrackRunningStats) = (numFeatures, eps, momentum, trackRunningStats);
        RegisterParameter("weight", affine ? Tensor.Ones(numFeatures) : null);
        RegisterParameter("bias", affine ? Tensor.Zeros(numFeatures) : null);
        if (trackRunningStats)
        {
            RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
            RegisterBuffer("running_var", Tensor.Ones(numFeatures));
            RegisterBuffer("num_batches_tracked", Tensor.Scalar(0f));
        }
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Variance epsilon.</summary>
    public float Eps { get; }

    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }

    /// <summary>Whether running statistics are kept and used in eval mode.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ, or null without affine.</summary>
    public Tensor? Weight => GetTensor("weight");

    /// <summary>β, or null without affine.</summary>
    public Tensor? Bias => GetTensor("bias");

    /// <summary>Running mean, or null.</summary>
    public Tensor? RunningMean => GetTensor("running_mean");

    /// <summary>Running variance, or null.</summary>
    public Tensor? RunningVar => GetTensor("running_var");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"BatchNorm2d({NumFeatures}) needs an [N, {NumFeatures}, H, W] input, got {ShapeUtil.Format(input.Shape)}.");
        }

        bool useBatchStats = Training || !TrackRunningStats;
        if (Training && TrackRunningStats && GetTensor("num_batches_tracked") is { } counter)
        {
            counter.Data[0] += 1;
        }

        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStats, Momentum, Eps);
    }
}

/// <summary>Instance normalisation over [N, C, H, W] (<c>nn.InstanceNorm2d</c>, no running statistics; affine optional).</summary>
public sealed class InstanceNorm2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; PyTorch's default is affine = false.</summary>
    public InstanceNorm2d(int numFeatures, float eps = 1e-5f, bool affine = false)
    {
        (NumFeatures, Eps) = (numFeatures, eps);
        RegisterParameter("weight", affine ? Tensor.Ones(numFeatures) : null);
        RegisterParameter("bias", affine ? Tensor.Zeros(numFeatures) : null);
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Variance epsilon.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"InstanceNorm2d({NumFeatures}) needs an [N, {NumFeatures}, H, W] input, got {ShapeUtil.Format(input.Shape)}.");
        }

        return Functional.InstanceNorm(input, GetTensor("weight"), GetTensor("bias"), Eps);
    }
}
