using System.Text.Json;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Ten optimizer steps on a small conv net follow PyTorch's trajectory (fixtures/optim.safetensors): the loss before
/// every step and every parameter after it, for Adam, Adam with L2 weight decay, AdamW, SGD with momentum, SGD with
/// Nesterov momentum and weight decay, and Adam with two parameter groups.
/// </summary>
public sealed class OptimizerTrajectoryTests
{
    public static TheoryData<string> Configurations() =>
        ["adam_pix2pix", "adam_l2", "adamw", "sgd_momentum", "sgd_nesterov_wd", "adam_groups"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TenSteps_FollowPyTorch_AndEndInPyTorchsOptimizerState(string name) => Run(name, resumeAfter: null);

    /// <summary>Checkpoint and resume: a fresh net and optimizer restored after four steps continue on the same trajectory.</summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void ResumedFromStateDicts_AfterFourSteps_StaysOnPyTorchsTrajectory(string name) => Run(name, resumeAfter: 4);

    private static Sequential NewNet() => new(
        new Conv2d(3, 6, 3, padding: 1),
        new LeakyReLU(0.2f),
        new Conv2d(6, 6, 4, stride: 2, padding: 1),
        new LeakyReLU(0.2f),
        new ConvTranspose2d(6, 3, 4, stride: 2, padding: 1),
        new Tanh());

    private static void Run(string name, int? resumeAfter)
    {
        var fx = GoldenFixture.Open("optim");
        var p = fx.Params(name);
        var net = NewNet();
        net.LoadStateDict(fx.StateDict("init/"));
        var optimizer = Create(p, net);

        var xs = fx.Get("x");
        var targets = fx.Get("target");
        var losses = fx.Get($"{name}/loss");
        int steps = p.GetProperty("steps").GetInt32();
        for (int s = 0; s < steps; s++)
        {
            if (s == resumeAfter)
            {
                // Save both state dicts, then continue with new objects that only know what was saved.
                var modelState = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal);
                var optimizerState = optimizer.StateDict();
                net = NewNet();
                net.LoadStateDict(modelState);
                optimizer = Create(p, net);
                optimizer.LoadStateDict(optimizerState);
            }

            optimizer.ZeroGrad();
            var y = net.Call(Step(xs, s));
            var target = Step(targets, s);
            var loss = Losses.Mse(y, target) + (0.5f * Losses.L1(y, target));
            GoldenAssert.Close(Step(losses, s), loss, $"{name}: loss at step {s + 1}");
            loss.Backward();
            optimizer.Step();
            foreach (var (pn, param) in net.NamedParameters())
            {
                GoldenAssert.Close(Step(fx.Get($"{name}/after/{pn}"), s), param, $"{name}: {pn} after step {s + 1}");
            }
        }

        // The optimizer's own state matches PyTorch's state_dict()["state"], key by key.
        var state = optimizer.StateDict();
        var expectedKeys = fx.Names($"{name}/state/");
        Assert.Equal(
            expectedKeys.Where(k => !k.EndsWith(".step", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            state.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (string key in expectedKeys)
        {
            var expected = fx.Get($"{name}/state/{key}");
            if (key.EndsWith(".step", StringComparison.Ordinal))
            {
                Assert.Equal(expected.Item(), state.Scalars[key]);
            }
            else
            {
                GoldenAssert.Close(expected, state.Tensors[key], $"{name}: optimizer state {key}");
            }
        }
    }

    private static Tensor Step(Tensor stacked, int s) => stacked.Narrow(0, s, 1).Squeeze(0);

    private static Optimizer Create(JsonElement p, Sequential net)
    {
        double lr() => p.GetProperty("lr").GetDouble();
        double wd = p.GetProperty("weight_decay").GetDouble();
        return p.GetProperty("type").GetString() switch
        {
            "adam" => new Adam(net.Parameters(), lr(), Beta(p, 0), Beta(p, 1), p.GetProperty("eps").GetDouble(), wd),
            "adamw" => new AdamW(net.Parameters(), lr(), Beta(p, 0), Beta(p, 1), p.GetProperty("eps").GetDouble(), wd),
            "sgd" => new Sgd(net.Parameters(), lr(), p.GetProperty("momentum").GetDouble(), p.GetProperty("dampening").GetDouble(), wd,
                p.GetProperty("nesterov").GetBoolean()),
            "adam_groups" => new Adam(
            [
                Group([net[0], net[2]], p.GetProperty("lr")[0].GetDouble(), p),
                Group([net[4]], p.GetProperty("lr")[1].GetDouble(), p),
            ]),
            var other => throw new InvalidOperationException($"Unknown optimizer '{other}' in the fixture."),
        };
    }

    private static ParamGroup Group(Module[] modules, double lr, JsonElement p) =>
        new(modules.SelectMany(m => m.Parameters()), lr) { Beta1 = Beta(p, 0), Beta2 = Beta(p, 1), Eps = p.GetProperty("eps").GetDouble() };

    private static double Beta(JsonElement p, int i) => p.GetProperty("betas")[i].GetDouble();
}
