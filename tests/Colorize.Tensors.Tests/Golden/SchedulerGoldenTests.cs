using System.Text.Json;
using Colorize.Tensors.Optim;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Learning-rate schedules against torch.optim.lr_scheduler (fixtures/schedulers.safetensors): the learning rate and
/// momentum (Adam's beta1, SGD's momentum) after construction and after every step, as a training loop reads them.
/// </summary>
public sealed class SchedulerGoldenTests
{
    public static TheoryData<string> Cases() => ["step_lr", "linear_decay", "one_cycle_adam", "one_cycle_sgd", "plateau_min", "plateau_max"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Schedule_FollowsPyTorch(string name) => Run(name, lastOneCycleStep: false);

    /// <summary>
    /// PyTorch lets a OneCycleLR made for total_steps be stepped total_steps times (once after every batch of the
    /// run; last_epoch may equal total_steps, only "> total_steps" raises). A training loop that steps the
    /// scheduler after every batch must not fail on its final batch.
    /// </summary>
    [Theory]
    [InlineData("one_cycle_adam")]
    [InlineData("one_cycle_sgd")]
    public void OneCycle_CanBeSteppedAfterEveryBatchIncludingTheLast(string name) => Run(name, lastOneCycleStep: true);

    private static void Run(string name, bool lastOneCycleStep)
    {
        var fx = GoldenFixture.Open("schedulers");
        var p = fx.Params(name);
        var expectedLr = fx.Get($"{name}/lr").ToArray();
        var expectedMomentum = fx.Get($"{name}/momentum").ToArray();
        var metric = fx.TryGet($"{name}/metric")?.ToArray();
        int steps = p.GetProperty("steps").GetInt32();
        string type = p.GetProperty("type").GetString()!;
        double lr = p.TryGetProperty("lr", out var l) ? l.GetDouble() : 0.001;
        var parameter = Tensor.Zeros(2).SetRequiresGrad();

        Optimizer optimizer = type == "plateau" || (p.TryGetProperty("optimizer", out var o) && o.GetString() == "sgd")
            ? new Sgd([parameter], type == "one_cycle" ? 0.1 : lr, momentum: type == "one_cycle" ? 0.9 : 0)
            : new Adam([parameter], lr, beta1: type == "linear_decay" ? 0.5 : 0.9);
        var group = optimizer.ParamGroups[0];
        double Momentum() => optimizer is Adam ? group.Beta1 : group.Momentum;

        Action<int> step;
        switch (type)
        {
            case "step":
                var stepLr = new StepLR(optimizer, I(p, "step_size"), D(p, "gamma"));
                step = _ => stepLr.Step();
                break;
            case "linear_decay":
                var decay = LambdaLR.LinearDecay(optimizer, I(p, "constant"), I(p, "decay"));
                step = _ => decay.Step();
                break;
            case "one_cycle":
                var cycle = new OneCycleLR(optimizer, D(p, "max_lr"), I(p, "total_steps"), D(p, "pct_start"),
                    p.TryGetProperty("div_factor", out var df) ? df.GetDouble() : 25, p.TryGetProperty("final_div_factor", out var fdf) ? fdf.GetDouble() : 1e4);
                step = _ => cycle.Step();
                break;
            case "plateau":
                var plateau = new ReduceLROnPlateau(optimizer, p.GetProperty("maximize").GetBoolean(), D(p, "factor"), I(p, "patience"),
                    p.TryGetProperty("threshold", out var th) ? th.GetDouble() : 1e-4, I(p, "cooldown"), D(p, "min_lr"));
                step = i => plateau.Step(metric![i]);
                break;
            default:
                throw new InvalidOperationException($"Unknown scheduler '{type}' in the fixture.");
        }

        if (type == "one_cycle" && !lastOneCycleStep)
        {
            steps--; // the last step is OneCycle_CanBeSteppedAfterEveryBatchIncludingTheLast
        }

        Check(0);
        for (int i = 0; i < steps; i++)
        {
            step(i);
            Check(i + 1);
        }

        void Check(int i)
        {
            Assert.True(Math.Abs(group.LearningRate - expectedLr[i]) <= 1e-6 * Math.Abs(expectedLr[i]) + 1e-12,
                $"{name}: learning rate after {i} step(s) is {group.LearningRate:G9}, PyTorch has {expectedLr[i]:G9}");
            Assert.True(Math.Abs(Momentum() - expectedMomentum[i]) <= 1e-6,
                $"{name}: momentum after {i} step(s) is {Momentum():G9}, PyTorch has {expectedMomentum[i]:G9}");
        }
    }

    private static int I(JsonElement p, string name) => p.GetProperty(name).GetInt32();

    private static double D(JsonElement p, string name) => p.GetProperty(name).GetDouble();
}
