using System.Text.Json;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

/// <summary>
/// The wgan-gp recipe's critic step against PyTorch (tests/golden/generate_trainer.py): the Wasserstein distance, the
/// exact gradient penalty (double backward) and the critic's weight gradients of the full critic loss.
/// </summary>
public sealed class WganGpGoldenTests
{
    private const double Rtol = 1e-4, Atol = 1e-4;

    [Fact]
    public void CriticStep_LossPenaltyAndWeightGradients_MatchPyTorch()
    {
        var file = SafeTensorsFile.FromMemory(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "trainer", "wgan_gp_critic_step.safetensors")));
        Tensor Get(string key) => Tensor.FromArray(file.ReadFloat32(key), file.GetEntry(key).GetShapeInt32());
        using var meta = JsonDocument.Parse(file.Metadata["critic"]);
        var hyper = meta.RootElement.GetProperty("hyperparameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        float lambda = (float)meta.RootElement.GetProperty("lambda").GetDouble();

        var recipe = RecipeCatalog.Load("wgan-gp");
        var config = recipe with
        {
            Generator = recipe.Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "width": 4, "depth": 2 }""") },
            Discriminator = recipe.Discriminator! with { Name = meta.RootElement.GetProperty("architecture").GetString()!, Hyperparameters = hyper },
            Size = 16,
            Gan = recipe.Gan with { GradientPenalty = lambda },
        };
        var run = TrainingRun.ForBenchmark(config);
        var critic = run.CriticModule!;
        Assert.Equal(meta.RootElement.GetProperty("keys").EnumerateArray().Select(e => e.GetString()), critic.StateDict().Keys);
        critic.LoadStateDict(file.Entries.Where(e => e.Name.StartsWith("state/", StringComparison.Ordinal)).ToDictionary(e => e.Name["state/".Length..], e => Get(e.Name)));

        var l = Get("in/l");
        var realAb = Get("in/real_ab");
        var fakeAb = Get("in/fake_ab");
        var alpha = Get("in/alpha");

        // The loss function on its own: distance + penalty, and the penalty term.
        var (loss, penalty) = AdversarialLosses.WassersteinGp(critic.Call, Tensor.Cat([l, realAb], 1), Tensor.Cat([l, fakeAb], 1), alpha, lambda);
        Close(Get("penalty").Item(), penalty.Item(), "penalty");
        Close(Get("loss").Item(), loss.Item(), "loss");
        Close(Get("distance").Item(), loss.Item() - penalty.Item(), "distance");

        // The trainer's critic step (gradients of the full critic loss, then one Adam step; the gradients stay set).
        var weightsBefore = critic.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        double stepLoss = run.CriticStep(new Batch(l, realAb), fakeAb, alpha);
        Close(Get("loss").Item(), stepLoss, "critic step loss");
        var expectedGrads = critic.NamedParameters().ToDictionary(p => p.Name, p => Get($"grad/{p.Name}"));
        // Gradients through the penalty reach hundreds: the absolute tolerance scales with the largest of them.
        double scale = Math.Max(1, expectedGrads.Values.Max(g => g.ToArray().Max(MathF.Abs)));
        foreach (var (name, p) in critic.NamedParameters())
        {
            var expected = expectedGrads[name].ToArray();
            var actual = Assert.IsType<Tensor>(p.Grad).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                double tol = Atol * scale + Rtol * Math.Abs(expected[i]);
                Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"grad of {name}[{i}]: PyTorch {expected[i]}, ours {actual[i]} (tolerance {tol})");
            }

            // The head's bias cancels out of the distance and the penalty does not depend on it: a zero gradient, no update.
            bool moved = !weightsBefore[name].AsSpan().SequenceEqual(p.ToArray());
            Assert.True(moved == expected.Any(v => v != 0), $"{name}: updated {moved}, but PyTorch's gradient is {(moved ? "" : "not ")}zero");
        }
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Atol + Rtol * Math.Abs(expected), $"{what}: PyTorch {expected}, ours {actual}");
}
