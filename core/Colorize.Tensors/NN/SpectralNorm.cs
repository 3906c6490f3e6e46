namespace Colorize.Tensors.NN;

/// <summary>
/// Spectral normalisation (Miyato et al. 2018) exactly as <c>torch.nn.utils.spectral_norm</c>: the parameter
/// <c>weight</c> becomes <c>weight_orig</c>, buffers <c>weight_u</c> and <c>weight_v</c> hold the power-iteration
/// vectors, and before every forward the weight is <c>weight_orig / σ</c> with σ = uᵀ·W·v.
/// </summary>
public static class SpectralNorm
{
    /// <summary>Applies spectral norm to <paramref name="module"/>'s parameter <paramref name="name"/> and returns the module.</summary>
    /// <param name="module">The layer (Conv2d, ConvTranspose2d, Linear, …).</param>
    /// <param name="name">Parameter name.</param>
    /// <param name="nPowerIterations">Power iterations per forward in training mode.</param>
    /// <param name="eps">Norm floor used when normalising u and v.</param>
    /// <param name="dim">Output dimension of the weight; null picks 1 for ConvTranspose2d and 0 otherwise, as PyTorch does.</param>
    /// <param name="generator">Random source of the initial u and v.</param>
    public static T Apply<T>(T module, string name = "weight", int nPowerIterations = 1, float eps = 1e-12f, int? dim = null, Generator? generator = null)
        where T : Module
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nPowerIterations);
        int d = dim ?? (module is ConvTranspose2d ? 1 : 0);
        var weight = module.RemoveParameter(name);
        var rng = generator ?? Generator.Default;
        var (h, w) = MatrixSize(weight, d);
        var u = Normalize(Tensor.Randn(rng, h), eps);
        var v = Normalize(Tensor.Randn(rng, w), eps);

        RegisterOrig(module, name, weight);
        RegisterBuffers(module, name, u, v);
        module.SetAttribute(name, weight.Detach());
        module.AddForwardPreHook(new Hook(name, nPowerIterations, eps, d).Run);
        return module;
    }

    /// <summary>
    /// Removes spectral norm from <paramref name="module"/>'s parameter <paramref name="name"/>, as
    /// <c>torch.nn.utils.remove_spectral_norm</c>: the weight <c>weight_orig / σ</c> is computed once from the current
    /// u and v (no power iteration, so exactly what an eval-mode forward uses) and becomes the plain parameter
    /// <paramref name="name"/> again, registered last; <c>weight_orig</c>, <c>weight_u</c>, <c>weight_v</c> and the hook go.
    /// </summary>
    /// <param name="module">A module that <see cref="Apply{T}"/> was called on.</param>
    /// <param name="name">The parameter's name.</param>
    /// <returns>The module.</returns>
    /// <exception cref="ArgumentException">The module has no spectral norm on <paramref name="name"/>.</exception>
    public static T Remove<T>(T module, string name = "weight")
        where T : Module
    {
        var run = module.ForwardPreHooks.FirstOrDefault(h => h.Target is Hook hook && hook.Name == name)
            ?? throw new ArgumentException($"Module {module.GetType().Name} has no spectral norm on '{name}'.", nameof(name));
        var hook = (Hook)run.Target!;
        Tensor weight;
        using (Tensor.NoGrad())
        {
            weight = ComputeWeight(module, name, iterations: 0, hook.Eps, hook.Dim).Detach();
        }

        module.RemoveForwardPreHook(run);
        module.RemoveAttribute(name);
        module.RemoveParameter(name + "_orig");
        module.RemoveBuffer(name + "_u");
        module.RemoveBuffer(name + "_v");
        module.RegisterParameterInternal(name, weight);
        return module;
    }

    /// <summary>The names of <paramref name="module"/>'s own parameters under spectral norm, in the order it was applied.</summary>
    internal static IReadOnlyList<string> NormalizedParameters(Module module) =>
        [.. module.ForwardPreHooks.Select(h => h.Target).OfType<Hook>().Select(h => h.Name)];

    private static void RegisterOrig(Module module, string name, Tensor weight) => module.RegisterParameterInternal(name + "_orig", weight);

    private static void RegisterBuffers(Module module, string name, Tensor u, Tensor v)
    {
        module.RegisterBufferInternal(name + "_u", u);
        module.RegisterBufferInternal(name + "_v", v);
    }

    private static Tensor ComputeWeight(Module module, string name, int iterations, float eps, int dim)
    {
        var weight = module.GetTensor(name + "_orig")!;
        var u = module.GetTensor(name + "_u")!;
        var v = module.GetTensor(name + "_v")!;
        var matrix = ToMatrix(weight, dim);
        if (module.Training && iterations > 0)
        {
            using (Tensor.NoGrad())
            {
                var m = matrix.Detach();
                for (int i = 0; i < iterations; i++)
                {
                    // In place, like PyTorch's normalize(..., out=v): the buffers carry over to the next forward.
                    Normalize(m.T().Matmul(u), eps).Data.CopyTo(v.Data);
                    Normalize(m.Matmul(v), eps).Data.CopyTo(u.Data);
                }
            }
        }

        // u and v are constants here (PyTorch clones them so autograd does not see the in-place updates).
        var sigma = u.Detach().Clone().Matmul(matrix.Matmul(v.Detach().Clone()));
        return weight / sigma;
    }

    private static (int H, int W) MatrixSize(Tensor weight, int dim)
    {
        int h = weight.Shape[dim];
        return (h, weight.Count / h);
    }

    private static Tensor ToMatrix(Tensor weight, int dim)
    {
        if (dim != 0)
        {
            var perm = new int[weight.Rank];
            perm[0] = dim;
            for (int i = 0, j = 1; i < weight.Rank; i++)
            {
                if (i != dim)
                {
                    perm[j++] = i;
                }
            }

            weight = weight.Permute(perm);
        }

        return weight.Reshape(weight.Shape[0], -1);
    }

    /// <summary>The forward pre-hook of one parametrised tensor; <see cref="Remove{T}"/> finds it by type and name.</summary>
    private sealed class Hook(string name, int iterations, float eps, int dim)
    {
        public string Name { get; } = name;

        public float Eps { get; } = eps;

        public int Dim { get; } = dim;

        public void Run(Module module) => module.SetAttribute(Name, ComputeWeight(module, Name, iterations, Eps, Dim));
    }

    /// <summary>x / max(‖x‖, eps), as <c>torch.nn.functional.normalize</c>.</summary>
    private static Tensor Normalize(Tensor x, float eps)
    {
        float norm = x.Norm().Item();
        return x.Detach().Mul(1f / Math.Max(norm, eps));
    }
}
