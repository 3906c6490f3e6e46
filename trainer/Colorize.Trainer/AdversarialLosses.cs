using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>The critic and generator losses of the adversarial recipes (<see cref="GanConfig.Loss"/>).</summary>
internal static class AdversarialLosses
{
    /// <summary>
    /// The critic loss of the bce and hinge objectives, averaged over the real and the generated half as pix2pix and
    /// fastai's GAN loss do (so chance level is ln 2 ≈ 0.69 for bce, which NoGAN's 0.65 threshold is measured against).
    /// </summary>
    public static Tensor Critic(string loss, Tensor realScores, Tensor fakeScores, float realLabel) => loss switch
    {
        "bce" => (Losses.BceWithLogits(realScores, realLabel) + Losses.BceWithLogits(fakeScores, 0f)).Mul(0.5f),
        "hinge" => Losses.HingeCritic(realScores, fakeScores).Mul(0.5f),
        _ => throw new ArgumentException($"'{loss}' has no plain critic loss; the wasserstein critic needs its gradient penalty.", nameof(loss)),
    };

    /// <summary>The adversarial term of the generator loss: BCE towards "real", or −mean D(fake) (hinge, wasserstein).</summary>
    public static Tensor Generator(string loss, Tensor fakeScores) => loss switch
    {
        "bce" => Losses.BceWithLogits(fakeScores, 1f),
        "hinge" => Losses.HingeGenerator(fakeScores),
        "wasserstein" => Losses.WassersteinGenerator(fakeScores),
        _ => throw new ArgumentException($"Unknown adversarial loss '{loss}'.", nameof(loss)),
    };

    /// <summary>
    /// The WGAN-GP critic loss mean D(fake) − mean D(real) + λ·mean((‖∇D(x̂)‖₂ − 1)²) with x̂ = α·real + (1 − α)·fake.
    /// The critic runs on real, then fake, then x̂ (the order matters only for dropout or spectral-norm state).
    /// </summary>
    /// <param name="critic">The critic's forward function.</param>
    /// <param name="real">Real critic inputs (L‖ab) [N, 3, H, W].</param>
    /// <param name="fake">Generated critic inputs [N, 3, H, W] (detached inside the penalty).</param>
    /// <param name="alpha">Interpolation weights [N, 1, 1, 1].</param>
    /// <param name="lambda">Penalty weight (10).</param>
    /// <returns>The full loss and the penalty term alone.</returns>
    public static (Tensor Loss, Tensor Penalty) WassersteinGp(Func<Tensor, Tensor> critic, Tensor real, Tensor fake, Tensor alpha, float lambda)
    {
        var distance = Losses.WassersteinCritic(critic(real), critic(fake));
        var penalty = Losses.GradientPenalty(critic, real, fake, alpha, lambda);
        return (distance + penalty, penalty);
    }
}
