namespace Colorize.Tensors.NN;

/// <summary>
/// Base class of every layer and model, mirroring <c>torch.nn.Module</c>: named parameters, buffers and children
/// registered in order, train/eval mode, and a state dict whose keys are exactly PyTorch's for the same structure.
/// </summary>
public abstract class Module
{
    private readonly List<string> _parameterOrder = [];
    private readonly Dictionary<string, Tensor?> _parameters = [];
    private readonly List<string> _bufferOrder = [];
    private readonly Dictionary<string, (Tensor? Value, bool Persistent)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];
    private readonly Dictionary<string, Tensor> _attributes = [];
    private readonly List<Action<Module>> _preHooks = [];
    private readonly List<Action<Module>> _postHooks = [];

    /// <summary>True in training mode (dropout active, batch statistics used), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a trainable parameter; it is marked as requiring grad. Null registers an absent parameter (e.g. no bias).</summary>
    protected Tensor? RegisterParameter(string name, Tensor? parameter)
    {
        CheckName(name);
        if (parameter is not null && parameter.GradFn is not null)
        {
            throw new ArgumentException($"Parameter '{name}' must be a leaf tensor.");
        }

        if (!_parameters.ContainsKey(name))
        {
            _parameterOrder.Add(name);
        }

        parameter?.SetRequiresGrad();
        _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>Registers a buffer: state that is saved but not trained (running statistics, spectral-norm vectors).</summary>
    protected Tensor? RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        CheckName(name);
        if (!_buffers.ContainsKey(name))
        {
            _bufferOrder.Add(name);
        }

        _buffers[name] = (buffer, persistent);
        return buffer;
    }

    /// <summary>Registers a child module under <paramref name="name"/>; its keys are prefixed with "name.".</summary>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        CheckName(name);
        int existing = _children.FindIndex(c => c.Name == name);
        if (existing >= 0)
        {
            _children[existing] = (name, module);
        }
        else
        {
            _children.Add((name, module));
        }

        return module;
    }

    /// <summary>A parameter, buffer or computed attribute (such as a spectral-normalised weight) by name.</summary>
    protected internal Tensor? GetTensor(string name)
    {
        if (_parameters.TryGetValue(name, out var p))
        {
            return p;
        }

        if (_buffers.TryGetValue(name, out var b))
        {
            return b.Value;
        }

        return _attributes.TryGetValue(name, out var a) ? a : null;
    }

    /// <summary>Registers a parameter from outside the module (parametrisations such as spectral norm).</summary>
    internal void RegisterParameterInternal(string name, Tensor parameter) => RegisterParameter(name, parameter);

    /// <summary>Registers a buffer from outside the module (parametrisations such as spectral norm).</summary>
    internal void RegisterBufferInternal(string name, Tensor buffer) => RegisterBuffer(name, buffer);

    /// <summary>Removes a parameter and returns it (spectral norm re-registers it as <c>name_orig</c>).</summary>
    internal Tensor RemoveParameter(string name)
    {
        if (!_parameters.Remove(name, out var p) || p is null)
        {
            throw new ArgumentException($"Module {GetType().Name} has no parameter '{name}'.");
        }

        _parameterOrder.Remove(name);
        return p;
    }

    /// <summary>Removes a buffer (spectral norm's <c>u</c> and <c>v</c> when the parametrisation is removed).</summary>
    internal void RemoveBuffer(string name)
    {
        if (!_buffers.Remove(name))
        {
            throw new ArgumentException($"Module {GetType().Name} has no buffer '{name}'.");
        }

        _bufferOrder.Remove(name);
    }

    /// <summary>Sets a computed, unsaved tensor attribute (PyTorch's plain attribute set by a forward pre-hook).</summary>
    internal void SetAttribute(string name, Tensor value) => _attributes[name] = value;

    /// <summary>Removes a computed attribute; false when there was none.</summary>
    internal bool RemoveAttribute(string name) => _attributes.Remove(name);

    /// <summary>Adds a function run before every <see cref="Module{TIn, TOut}.Call"/>, like <c>register_forward_pre_hook</c>.</summary>
    /// <param name="hook">The function.</param>
    /// <param name="first">Run it before the hooks already added (PyTorch's <c>prepend</c>): a profile's clock then
    /// includes spectral norm's weight computation, which is part of the layer's cost.</param>
    internal void AddForwardPreHook(Action<Module> hook, bool first = false)
    {
        if (first)
        {
            _preHooks.Insert(0, hook);
        }
        else
        {
            _preHooks.Add(hook);
        }
    }

    /// <summary>
    /// Adds a function run after every <see cref="Module{TIn, TOut}.Call"/> returns, like <c>register_forward_hook</c>
    /// without the tensors: with the pre-hooks it brackets a module's forward (the benchmarks' per-layer profile).
    /// </summary>
    internal void AddForwardHook(Action<Module> hook) => _postHooks.Add(hook);

    /// <summary>The forward pre-hooks in the order they run (a parametrisation finds its own by the delegate's target).</summary>
    internal IReadOnlyList<Action<Module>> ForwardPreHooks => _preHooks;

    /// <summary>Removes a forward pre-hook added by <see cref="AddForwardPreHook"/>; false when it was not there.</summary>
    internal bool RemoveForwardPreHook(Action<Module> hook) => _preHooks.Remove(hook);

    /// <summary>Whether forward pre-hooks (such as spectral norm) change this module's tensors before each forward.</summary>
    public bool HasPreHooks => _preHooks.Count > 0;

    /// <summary>Runs the forward pre-hooks.</summary>
    protected void RunPreHooks()
    {
        foreach (var hook in _preHooks)
        {
            hook(this);
        }
    }

    /// <summary>Runs the forward hooks (after the forward).</summary>
    protected void RunPostHooks()
    {
        // Checked first: every layer's call passes here, and no module has hooks outside a profile.
        if (_postHooks.Count == 0)
        {
            return;
        }

        foreach (var hook in _postHooks)
        {
            hook(this);
        }
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
        {
            foreach (var item in child.NamedModules(Join(prefix, name)))
            {
                yield return item;
            }
        }
    }

    /// <summary>Every parameter with its dotted name, in PyTorch's order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in recurse ? NamedModules() : [("", this)])
        {
            foreach (var name in module._parameterOrder)
            {
                if (module._parameters[name] is { } p && seen.Add(p))
                {
                    yield return (Join(prefix, name), p);
                }
            }
        }
    }

    /// <summary>Every parameter, in PyTorch's order.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>Every buffer with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true)
    {
        foreach (var (prefix, module) in recurse ? NamedModules() : [("", this)])
        {
            foreach (var name in module._bufferOrder)
            {
                if (module._buffers[name].Value is { } b)
                {
                    yield return (Join(prefix, name), b);
                }
            }
        }
    }

    /// <summary>Sets training mode on this module and every descendant.</summary>
    public virtual Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children)
        {
            child.Train(mode);
        }

        return this;
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of every parameter (to null, PyTorch's default <c>set_to_none=True</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
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
    /// The parameters and persistent buffers by dotted name, in PyTorch's order (own parameters, own buffers, then
    /// children). The tensors share storage with the module and are detached, like PyTorch's state_dict.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var result = new OrderedDictionary<string, Tensor>();
        AddState(result, "");
        return result;
    }

    private void AddState(OrderedDictionary<string, Tensor> result, string prefix)
    {
        foreach (var name in _parameterOrder)
        {
            if (_parameters[name] is { } p)
            {
                result.Add(Join(prefix, name), p.Detach());
            }
        }

        foreach (var name in _bufferOrder)
        {
            var (value, persistent) = _buffers[name];
            if (value is not null && persistent)
            {
                result.Add(Join(prefix, name), value.Detach());
            }
        }

        foreach (var (name, child) in _children)
        {
            child.AddState(result, Join(prefix, name));
        }
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's parameters and buffers. With
    /// <paramref name="strict"/>, missing or unexpected keys are an error; shape mismatches always are.
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            throw new StateDictException(
                $"Error(s) in loading state_dict for {GetType().Name}: " +
                (missing.Count > 0 ? $"missing keys: {string.Join(", ", missing)}. " : "") +
                (unexpected.Count > 0 ? $"unexpected keys: {string.Join(", ", unexpected)}." : ""),
                missing, unexpected);
        }

        foreach (var (key, target) in own)
        {
            if (!stateDict.TryGetValue(key, out var source))
            {
                continue;
            }

            if (!ShapeUtil.SameShape(target.Shape, source.Shape))
            {
                throw new StateDictException(
                    $"Size mismatch for {key}: the checkpoint has shape {ShapeUtil.Format(source.Shape)}, the model needs {ShapeUtil.Format(target.Shape)}.",
                    missing, unexpected);
            }

            source.Data.CopyTo(target.Data);
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid module member name (non-empty, no dots).");
        }
    }
}

/// <summary>A module with a single-input forward function, like TorchSharp's <c>Module&lt;T, TResult&gt;</c>.</summary>
/// <typeparam name="TIn">Input type.</typeparam>
/// <typeparam name="TOut">Output type.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>The computation of this module. Call it through <see cref="Call"/> so pre-hooks (spectral norm) run.</summary>
    public abstract TOut Forward(TIn input);

    /// <summary>Runs the forward pre-hooks, then <see cref="Forward"/>, then the forward hooks (PyTorch's <c>module(x)</c>).</summary>
    public TOut Call(TIn input)
    {
        RunPreHooks();
        var output = Forward(input);
        RunPostHooks();
        return output;
    }
}

/// <summary>The missing and unexpected keys found by <see cref="Module.LoadStateDict"/>.</summary>
/// <param name="MissingKeys">Keys the module has and the state dict lacks.</param>
/// <param name="UnexpectedKeys">Keys the state dict has and the module lacks.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A state dict that does not fit a module: missing or unexpected keys, or mismatched shapes.</summary>
public sealed class StateDictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateDictException(string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys)
        : base(message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
    }

    /// <summary>Keys the module has and the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has and the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }
}
