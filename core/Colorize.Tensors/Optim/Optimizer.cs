using System.Globalization;

namespace Colorize.Tensors.Optim;

/// <summary>
/// Base of the optimizers: parameter groups, per-parameter state tensors, and a state dict that can be saved with a
/// checkpoint and restored so training resumes exactly.
/// </summary>
public abstract class Optimizer
{
    private readonly List<ParamGroup> _groups;

    /// <summary>Per-parameter state by flat parameter index (PyTorch numbers parameters across groups in order).</summary>
    private readonly Dictionary<int, Dictionary<string, Tensor>> _state = [];
    private readonly Dictionary<int, long> _steps = [];

    /// <summary>Creates the optimizer over the given groups.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        _groups = [.. groups];
        if (_groups.Count == 0)
        {
            throw new ArgumentException("An optimizer needs at least one parameter group.");
        }

        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in _groups.SelectMany(g => g.Parameters))
        {
            if (!seen.Add(p))
            {
                throw new ArgumentException("A parameter appears in more than one group.");
            }
        }
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        int index = 0;
        foreach (var group in _groups)
        {
            foreach (var p in group.Parameters)
            {
                if (p.Grad is { } grad)
                {
                    if (!_state.TryGetValue(index, out var state))
                    {
                        state = [];
                        _state[index] = state;
                    }

                    long step = _steps.GetValueOrDefault(index) + 1;
                    _steps[index] = step;
                    Update(group, p.Data, grad.Data, state, step, p.GetShape());
                }

                index++;
            }
        }
    }

    /// <summary>Applies one update to a parameter.</summary>
    /// <param name="group">The parameter's group (hyperparameters).</param>
    /// <param name="p">The parameter values, updated in place.</param>
    /// <param name="g">The gradient.</param>
    /// <param name="state">The parameter's state tensors, created on first use.</param>
    /// <param name="step">The 1-based step count of this parameter.</param>
    /// <param name="shape">The parameter's shape, for creating state tensors.</param>
    protected abstract void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, Dictionary<string, Tensor> state, long step, int[] shape);

    /// <summary>Clears the gradients of every parameter (to null by default, like PyTorch).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _groups.SelectMany(g => g.Parameters))
        {
            if (setToNone)
            {
                p.Grad = null;
            }
            else
            {
                p.Grad?.Data.Clear();
            }
        }
    }

    /// <summary>
    /// The optimizer state: tensors named <c>state.{index}.{name}</c> and scalars named <c>state.{index}.step</c>
    /// and <c>param_groups.{g}.{hyperparameter}</c>, as PyTorch's state dict lays them out.
    /// </summary>
    public OptimizerState StateDict()
    {
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        var scalars = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (index, state) in _state)
        {
            foreach (var (name, t) in state)
            {
                tensors[Key("state", index, name)] = t.Detach();
            }

            scalars[Key("state", index, "step")] = _steps[index];
        }

        for (int g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            scalars[Key("param_groups", g, "lr")] = group.LearningRate;
            scalars[Key("param_groups", g, "initial_lr")] = group.InitialLearningRate;
            scalars[Key("param_groups", g, "weight_decay")] = group.WeightDecay;
            scalars[Key("param_groups", g, "beta1")] = group.Beta1;
            scalars[Key("param_groups", g, "beta2")] = group.Beta2;
            scalars[Key("param_groups", g, "eps")] = group.Eps;
            scalars[Key("param_groups", g, "momentum")] = group.Momentum;
            scalars[Key("param_groups", g, "dampening")] = group.Dampening;
            scalars[Key("param_groups", g, "nesterov")] = group.Nesterov ? 1 : 0;
        }

        return new OptimizerState(tensors, scalars);
    }

    /// <summary>Restores a state produced by <see cref="StateDict"/> for the same parameters.</summary>
    public void LoadStateDict(OptimizerState state)
    {
        var parameters = _groups.SelectMany(g => g.Parameters).ToList();
        var newState = new Dictionary<int, Dictionary<string, Tensor>>();
        var newSteps = new Dictionary<int, long>();
        foreach (var (key, value) in state.Scalars)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
            {
                throw new ArgumentException($"Unrecognised optimizer state key '{key}'.");
            }

            if (parts[0] == "state" && parts[2] == "step")
            {
                CheckIndex(i, parameters.Count, key);
                newSteps[i] = (long)value;
            }
            else if (parts[0] == "param_groups")
            {
                if (i >= _groups.Count)
                {
                    throw new ArgumentException($"Optimizer state has group {i}, this optimizer has {_groups.Count} group(s).");
                }
            }
            else
            {
                throw new ArgumentException($"Unrecognised optimizer state key '{key}'.");
            }
        }

        foreach (var (key, tensor) in state.Tensors)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
            {
                throw new ArgumentException($"Unrecognised optimizer state key '{key}'.");
            }

            CheckIndex(i, parameters.Count, key);
            if (!ShapeUtil.SameShape(tensor.Shape, parameters[i].Shape))
            {
                throw new ArgumentException($"Optimizer state '{key}' has shape {ShapeUtil.Format(tensor.Shape)}, the parameter has {ShapeUtil.Format(parameters[i].Shape)}.");
            }

            if (!newState.TryGetValue(i, out var entry))
            {
                entry = [];
                newState[i] = entry;
            }

            entry[parts[2]] = new Tensor(tensor.Data.ToArray(), tensor.GetShape());
        }

        for (int g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            group.LearningRate = Get(state, g, "lr", group.LearningRate);
            group.InitialLearningRate = Get(state, g, "initial_lr", group.InitialLearningRate);
            group.WeightDecay = Get(state, g, "weight_decay", group.WeightDecay);
            group.Beta1 = Get(state, g, "beta1", group.Beta1);
            group.Beta2 = Get(state, g, "beta2", group.Beta2);
            group.Eps = Get(state, g, "eps", group.Eps);
            group.Momentum = Get(state, g, "momentum", group.Momentum);
            group.Dampening = Get(state, g, "dampening", group.Dampening);
            group.Nesterov = Get(state, g, "nesterov", group.Nesterov ? 1 : 0) != 0;
        }

        _state.Clear();
        _steps.Clear();
        foreach (var (i, s) in newState)
        {
            _state[i] = s;
        }

        foreach (var (i, s) in newSteps)
        {
            _steps[i] = s;
        }
    }

    /// <summary>Returns the state tensor <paramref name="name"/>, creating it as zeros on first use.</summary>
    protected static Span<float> StateBuffer(Dictionary<string, Tensor> state, string name, int[] shape, out bool created)
    {
        created = !state.TryGetValue(name, out var t);
        if (created)
        {
            t = Tensor.Zeros(shape);
            state[name] = t;
        }

        return t!.Data;
    }

    private static double Get(OptimizerState state, int group, string name, double fallback) =>
        state.Scalars.TryGetValue(Key("param_groups", group, name), out var v) ? v : fallback;

    private static void CheckIndex(int i, int count, string key)
    {
        if (i >= count)
        {
            throw new ArgumentException($"Optimizer state '{key}' refers to parameter {i}, but there are only {count}.");
        }
    }

    private static string Key(string section, int index, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"{section}.{index}.{name}");
}

/// <summary>A saved optimizer state: named tensors and named scalars.</summary>
/// <param name="Tensors">State tensors (moments, momentum buffers).</param>
/// <param name="Scalars">Step counts and group hyperparameters.</param>
public sealed record OptimizerState(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, double> Scalars);
