using Colorize.Tensors.Autograd;

namespace Colorize.Tensors.NN;

/// <summary>How a loss reduces its per-element values.</summary>
public enum Reduction
{
    /// <summary>The mean over all elements.</summary>
    Mean,

    /// <summary>The sum over all elements.</summary>
    Sum,

    /// <summary>No reduction: the per-element losses.</summary>
    None,
}

/// <summary>The losses of the colorization recipes, with PyTorch's formulas.</summary>
public static class Losses
{
    /// <summary>Mean absolute error (<c>F.l1_loss</c>).</summary>
    public static Tensor L1(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => Reduce((input - target).Abs(), reduction);

    /// <summary>Mean squared error (<c>F.mse_loss</c>).</summary>
    public static Tensor Mse(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var d = input - target;
        return Reduce(d * d, reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits (<c>F.binary_cross_entropy_with_logits</c>), computed stably as
    /// max(x, 0) − x·y + log(1 + e^(−|x|)). Targets may be smoothed (e.g. 0.9 for one-sided label smoothing).
    /// </summary>
    /// <remarks>
    /// The gradient is PyTorch's analytic one, σ(x) − y for the logits and −x for the target. Differentiating the
    /// stable formula term by term would be wrong at x = 0 (relu and |x| have zero slope there, giving −y instead of
    /// ½ − y), which is exactly where a zero-initialised head starts.
    /// </remarks>
    public static Tensor BceWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Tensor loss;
        using (Tensor.NoGrad())
        {
            loss = logits.Relu() - (logits * target) + (logits.Abs().Neg().Exp() + 1f).Log();
        }

        if (GradMode.ShouldRecord(logits, target))
        {
            var (x, y) = (logits, target);
            Node.Record(loss, "BinaryCrossEntropyWithLogitsBackward0", [x, y], (g, need) =>
            [
                need[0] ? Tensor.SumTo(g * (x.Sigmoid() - y), x.ShapeArray) : null,
                need[1] ? Tensor.SumTo(g * x.Neg(), y.ShapeArray) : null,
            ]);
        }

        return Reduce(loss, reduction);
    }

    /// <summary>BCE with logits against a constant target (1 for real, 0 for fake, or a smoothed value).</summary>
    public static Tensor BceWithLogits(Tensor logits, float target, Reduction reduction = Reduction.Mean) =>
        BceWithLogits(logits, Tensor.Full(target, logits.GetShape()), reduction);

    /// <summary>Hinge loss of the critic: mean(relu(1 − D(real))) + mean(relu(1 + D(fake))).</summary>
    public static Tensor HingeCritic(Tensor realScores, Tensor fakeScores) =>
        (1f - realScores).Relu().Mean() + (fakeScores + 1f).Relu().Mean();

    /// <summary>Hinge loss of the generator: −mean(D(fake)).</summary>
    public static Tensor HingeGenerator(Tensor fakeScores) => fakeScores.Mean().Neg();

    /// <summary>Wasserstein critic loss: mean(D(fake)) − mean(D(real)).</summary>
    public static Tensor WassersteinCritic(Tensor realScores, Tensor fakeScores) => fakeScores.Mean() - realScores.Mean();

    /// <summary>Wasserstein generator loss: −mean(D(fake)).</summary>
    public static Tensor WassersteinGenerator(Tensor fakeScores) => fakeScores.Mean().Neg();

    /// <summary>
    /// The WGAN-GP gradient penalty (Gulrajani et al. 2017): λ·mean((‖∇ₓ̂ D(x̂)‖₂ − 1)²) at random interpolations
    /// x̂ = α·real + (1 − α)·fake, α ~ U[0, 1) per sample. The gradient is taken with <c>createGraph</c>, so the
    /// penalty itself back-propagates exactly into the critic's parameters (double backward).
    /// </summary>
    /// <param name="critic">The critic's forward function.</param>
    /// <param name="real">Real samples [N, ...].</param>
    /// <param name="fake">Generated samples [N, ...] (detached inside).</param>
    /// <param name="generator">Source of α.</param>
    /// <param name="lambda">Penalty weight (10 in the paper and seed 002).</param>
    public static Tensor GradientPenalty(Func<Tensor, Tensor> critic, Tensor real, Tensor fake, Generator generator, float lambda = 10f)
    {
        int n = real.Shape[0];
        var alphaShape = new int[real.Rank];
        Array.Fill(alphaShape, 1);
        alphaShape[0] = n;
        var alpha = Tensor.Rand(generator, alphaShape);
        return GradientPenalty(critic, real, fake, alpha, lambda);
    }

    /// <summary>The gradient penalty with explicit interpolation weights <paramref name="alpha"/> [N, 1, …, 1].</summary>
    public static Tensor GradientPenalty(Func<Tensor, Tensor> critic, Tensor real, Tensor fake, Tensor alpha, float lambda = 10f)
    {
        Tensor interpolated;
        using (Tensor.NoGrad())
        {
            interpolated = (alpha * real.Detach()) + ((1f - alpha) * fake.Detach());
        }

        interpolated.SetRequiresGrad();
        var scores = critic(interpolated);
        var grad = AutogradEngine.Grad([scores], [interpolated], [Tensor.OnesLike(scores)], createGraph: true)[0];
        var norms = grad.Reshape(grad.Shape[0], -1).Norm([1]);
        return (norms - 1f).Square().Mean().Mul(lambda);
    }

    private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        _ => loss,
    };
}
