using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Colorize.Tensors.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with PyTorch's exact update order in float32; <see cref="Decoupled"/> turns it into
/// AdamW (Loshchilov &amp; Hutter 2019). The GAN recipes use betas (0.5, 0.999) for pix2pix and (0, 0.9) for NoGAN.
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Creates Adam over one group of parameters.</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup(parameters, learningRate) { Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay }])
    {
    }

    /// <summary>Creates Adam over several groups, each with its own hyperparameters.</summary>
    public Adam(IEnumerable<ParamGroup> groups)
        : base(groups)
    {
    }

    /// <summary>True for AdamW: weight decay multiplies the parameter instead of adding to the gradient.</summary>
    protected virtual bool Decoupled => false;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, Dictionary<string, Tensor> state, long step, int[] shape)
    {
        var m = StateBuffer(state, "exp_avg", shape, out _);
        var v = StateBuffer(state, "exp_avg_sq", shape, out _);
        float beta1 = (float)group.Beta1, beta2 = (float)group.Beta2;
        float oneMinusBeta1 = (float)(1 - group.Beta1), oneMinusBeta2 = (float)(1 - group.Beta2);
        float wd = (float)group.WeightDecay;
        double bc1 = 1 - Math.Pow(group.Beta1, step);
        double bc2 = 1 - Math.Pow(group.Beta2, step);
        float stepSize = (float)(group.LearningRate / bc1);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        float eps = (float)group.Eps;
        float decay = (float)(1 - (group.LearningRate * group.WeightDecay));
        bool decoupled = Decoupled;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Eight parameters at a time with the very operations of the scalar loop below (no fused multiply-adds,
            // which would round differently), so the bits do not change; the update ran on one thread while the
            // other waited and took about 1.3 % of the samples of a 2-thread wgan-gp step.
            var vBeta1 = Vector256.Create(beta1);
            var vBeta2 = Vector256.Create(beta2);
            var vOneMinusBeta1 = Vector256.Create(oneMinusBeta1);
            var vOneMinusBeta2 = Vector256.Create(oneMinusBeta2);
            var vWd = Vector256.Create(wd);
            var vDecay = Vector256.Create(decay);
            var vBc2Sqrt = Vector256.Create(bc2Sqrt);
            var vEps = Vector256.Create(eps);
            var vMinusStep = Vector256.Create(-stepSize);
            ref float pr = ref MemoryMarshal.GetReference(p);
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float mr = ref MemoryMarshal.GetReference(m);
            ref float vr = ref MemoryMarshal.GetReference(v);
            for (; i <= p.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint at = (nuint)i;
                Vector256<float> grad = Vector256.LoadUnsafe(ref gr, at), param = Vector256.LoadUnsafe(ref pr, at);
                if (decoupled)
                {
                    param *= vDecay;
                }
                else if (wd != 0)
                {
                    grad += vWd * param;
                }

                Vector256<float> mi = (Vector256.LoadUnsafe(ref mr, at) * vBeta1) + (grad * vOneMinusBeta1);
                Vector256<float> vi = (Vector256.LoadUnsafe(ref vr, at) * vBeta2) + (vOneMinusBeta2 * grad * grad);
                Vector256<float> denom = (Vector256.Sqrt(vi) / vBc2Sqrt) + vEps;
                mi.StoreUnsafe(ref mr, at);
                vi.StoreUnsafe(ref vr, at);
                (param + (vMinusStep * (mi / denom))).StoreUnsafe(ref pr, at);
            }
        }

        for (; i < p.Length; i++)
        {
            float grad = g[i];
            if (decoupled)
            {
                p[i] *= decay;
            }
            else if (wd != 0)
            {
                grad += wd * p[i];
            }

            // Same operation order as torch.optim.Adam (mul_ then add_, addcmul_, sqrt / bc2_sqrt + eps, addcdiv_).
            m[i] = (m[i] * beta1) + (grad * oneMinusBeta1);
            v[i] = (v[i] * beta2) + (oneMinusBeta2 * grad * grad);
            float denom = (MathF.Sqrt(v[i]) / bc2Sqrt) + eps;
            p[i] += -stepSize * (m[i] / denom);
        }
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (PyTorch's default weight decay 0.01).</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW over one group of parameters.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>Creates AdamW over several groups.</summary>
    public AdamW(IEnumerable<ParamGroup> groups)
        : base(groups)
    {
    }

    /// <inheritdoc/>
    protected override bool Decoupled => true;
}

/// <summary>Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay, as <c>torch.optim.SGD</c>.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates SGD over one group of parameters.</summary>
    public Sgd(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup(parameters, learningRate) { Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov }])
    {
    }

    /// <summary>Creates SGD over several groups.</summary>
    public Sgd(IEnumerable<ParamGroup> groups)
        : base(groups)
    {
        foreach (var g in ParamGroups)
        {
            if (g.Nesterov && (g.Momentum <= 0 || g.Dampening != 0))
            {
                throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.");
            }
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> g, Dictionary<string, Tensor> state, long step, int[] shape)
    {
        float lr = (float)group.LearningRate, wd = (float)group.WeightDecay;
        float momentum = (float)group.Momentum, dampening = (float)(1 - group.Dampening);
        bool first = false;
        Span<float> buf = momentum != 0 ? StateBuffer(state, "momentum_buffer", shape, out first) : default;
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i];
            if (wd != 0)
            {
                d += wd * p[i];
            }

            if (momentum != 0)
            {
                // PyTorch starts the buffer at the first gradient itself (no dampening on step one).
                buf[i] = first ? d : (buf[i] * momentum) + (dampening * d);
                d = group.Nesterov ? d + (momentum * buf[i]) : buf[i];
            }

            p[i] += -lr * d;
        }
    }
}
