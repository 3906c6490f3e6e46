using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors;

public sealed partial class Tensor
{
    /// <summary>Starts a scope in which operations are not recorded (PyTorch's <c>torch.no_grad()</c>).</summary>
    public static GradMode.Scope NoGrad() => GradMode.Disable();

    /// <summary>Starts a scope in which operations are recorded even inside a <see cref="NoGrad"/> scope.</summary>
    public static GradMode.Scope EnableGrad() => GradMode.Enable();

    /// <summary>Computes gradients of this tensor with respect to every leaf that requires grad (<c>tensor.backward()</c>).</summary>
    /// <param name="gradient">The incoming gradient; may be omitted for one-element tensors.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass.</param>
    /// <param name="createGraph">Record the backward pass so the gradients can be differentiated again.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        AutogradEngine.Backward([this], [gradient], retainGraph, createGraph);

    // ---- binary ------------------------------------------------------------------------------------------

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, float b) => a.Add(b);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(float a, Tensor b) => b.Add(a);

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, float b) => a.Add(-b);

    /// <summary>Subtracts from a scalar.</summary>
    public static Tensor operator -(float a, Tensor b) => b.Neg().Add(a);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, float b) => a.Mul(b);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(float a, Tensor b) => b.Mul(a);

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, float b) => a.Mul(1f / b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other)
    {
        var result = Elementwise.Binary<AddOperator>(this, other);
        if (GradMode.ShouldRecord(this, other))
        {
            var (sa, sb) = (ShapeArray, other.ShapeArray);
            Node.Record(result, "AddBackward0", [this, other], (g, n) => [n[0] ? SumTo(g, sa) : null, n[1] ? SumTo(g, sb) : null]);
        }

        return result;
    }

    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other)
    {
        var result = Elementwise.Binary<SubtractOperator>(this, other);
        if (GradMode.ShouldRecord(this, other))
        {
            var (sa, sb) = (ShapeArray, other.ShapeArray);
            Node.Record(result, "SubBackward0", [this, other], (g, n) => [n[0] ? SumTo(g, sa) : null, n[1] ? SumTo(g.Neg(), sb) : null]);
        }

        return result;
    }

    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other)
    {
        var result = Elementwise.Binary<MultiplyOperator>(this, other);
        if (GradMode.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Node.Record(result, "MulBackward0", [a, b], (g, n) => [n[0] ? SumTo(g * b, a.ShapeArray) : null, n[1] ? SumTo(g * a, b.ShapeArray) : null]);
        }

        return result;
    }

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other)
    {
        var result = Elementwise.Binary<DivideOperator>(this, other);
        if (GradMode.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Node.Record(result, "DivBackward0", [a, b], (g, n) =>
                [n[0] ? SumTo(g / b, a.ShapeArray) : null, n[1] ? SumTo((g.Neg() * a) / (b * b), b.ShapeArray) : null]);
        }

        return result;
    }

    /// <summary>Elementwise maximum with broadcasting; the gradient goes to the larger input (split evenly on ties, as PyTorch does).</summary>
    public Tensor Maximum(Tensor other) => MinMax(other, max: true);

    /// <summary>Elementwise minimum with broadcasting.</summary>
    public Tensor Minimum(Tensor other) => MinMax(other, max: false);

    private Tensor MinMax(Tensor other, bool max)
    {
        var result = max ? Elementwise.Binary<MaximumOperator>(this, other) : Elementwise.Binary<MinimumOperator>(this, other);
        if (GradMode.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Node.Record(result, max ? "MaximumBackward0" : "MinimumBackward0", [a, b], (g, n) =>
            {
                using var _ = NoGrad();
                var wa = Elementwise.Binary<CompareWeightOperator>(a, b);
                var wb = wa.Neg().Add(1f);
                if (!max)
                {
                    (wa, wb) = (wb, wa);
                }

                return [n[0] ? SumTo(g * wa, a.ShapeArray) : null, n[1] ? SumTo(g * wb, b.ShapeArray) : null];
            });
        }

        return result;
    }

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(float value)
    {
        var result = Tensor.Empty(ShapeArray);
        System.Numerics.Tensors.TensorPrimitives.Add(Data, value, result.Data);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "AddBackward1", [this], (g, _) => [g]);
        }

        return result;
    }

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(float value)
    {
        var result = Tensor.Empty(ShapeArray);
        System.Numerics.Tensors.TensorPrimitives.Multiply(Data, value, result.Data);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "MulBackward1", [this], (g, _) => [g.Mul(value)]);
        }

        return result;
    }

    /// <summary>Raises every element to <paramref name="exponent"/>.</summary>
    public Tensor Pow(float exponent)
    {
        Tensor result;
        if (exponent == 2f)
        {
            result = Elementwise.Unary<SquareOperator>(this);
        }
        else
        {
            result = Tensor.Empty(ShapeArray);
            System.Numerics.Tensors.TensorPrimitives.Pow(Data, exponent, result.Data);
        }

        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "PowBackward0", [x], (g, _) => [exponent == 2f ? g * x.Mul(2f) : g * x.Pow(exponent - 1f).Mul(exponent)]);
        }

        return result;
    }

    // ---- unary -------------------------------------------------------------------------------------------

    /// <summary>Negation.</summary>
    public Tensor Neg()
    {
        var result = Elementwise.Unary<NegateOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "NegBackward0", [this], (g, _) => [g.Neg()]);
        }

        return result;
    }

    /// <summary>e to the power of each element.</summary>
    public Tensor Exp()
    {
        var result = Elementwise.Unary<ExpOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "ExpBackward0", [this], (g, _) => [g * result]);
        }

        return result;
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log()
    {
        var result = Elementwise.Unary<LogOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "LogBackward0", [x], (g, _) => [g / x]);
        }

        return result;
    }

    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        var result = Elementwise.Unary<SqrtOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "SqrtBackward0", [this], (g, _) => [g / result.Mul(2f)]);
        }

        return result;
    }

    /// <summary>Absolute value; the gradient at 0 is 0, as in PyTorch.</summary>
    public Tensor Abs()
    {
        var result = Elementwise.Unary<AbsOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "AbsBackward0", [x], (g, _) => [g * DerivativeMask(x, v => v > 0 ? 1f : v < 0 ? -1f : v)]);
        }

        return result;
    }

    /// <summary>The sign of each element (-1, 0 or 1); not differentiable (gradient 0).</summary>
    public Tensor Sign() => Elementwise.Unary<SignOperator>(this);

    /// <summary>Elementwise square.</summary>
    public Tensor Square() => Pow(2f);

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var result = Elementwise.Unary<TanhOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "TanhBackward0", [this], (g, _) => [g * (1f - (result * result))]);
        }

        return result;
    }

    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid()
    {
        var result = Elementwise.Unary<SigmoidOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            Node.Record(result, "SigmoidBackward0", [this], (g, _) => [g * (result * (1f - result))]);
        }

        return result;
    }

    /// <summary>max(x, 0).</summary>
    public Tensor Relu()
    {
        var result = Elementwise.Unary<ReluOperator>(this);
        if (GradMode.ShouldRecord(this))
        {
            // Outside createGraph the fused kernel does mask and product in one pass.
            Node.Record(result, "ReluBackward0", [this], (g, _) =>
                [GradMode.IsEnabled ? g * DerivativeMask(result, v => v > 0 ? 1f : 0f) : ActivationKernels.LeakyReluBackward(g, result, 0f)]);
        }

        return result;
    }

    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f)
    {
        var result = ActivationKernels.LeakyRelu(this, negativeSlope);
        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "LeakyReluBackward0", [x], (g, _) =>
                [GradMode.IsEnabled ? g * DerivativeMask(x, v => v > 0 ? 1f : negativeSlope) : ActivationKernels.LeakyReluBackward(g, x, negativeSlope)]);
        }

        return result;
    }

    /// <summary>Clamps every element to [<paramref name="min"/>, <paramref name="max"/>]; gradient flows where the input was inside.</summary>
    public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        var result = Elementwise.Map(this, v => float.IsNaN(v) ? v : Math.Min(Math.Max(v, min), max));
        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "ClampBackward1", [x], (g, _) => [g * DerivativeMask(x, v => v >= min && v <= max ? 1f : 0f)]);
        }

        return result;
    }

    /// <summary>Chooses <paramref name="a"/> where <paramref name="condition"/> is non-zero, else <paramref name="b"/> (broadcasting).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Tensor mask;
        using (NoGrad())
        {
            mask = Mask(condition, v => v != 0 ? 1f : 0f);
        }

        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape), b.Shape);
        Tensor result;
        using (NoGrad())
        {
            var m = Elementwise.BroadcastTo(mask, shape);
            var av = Elementwise.BroadcastTo(a, shape);
            var bv = Elementwise.BroadcastTo(b, shape);
            result = Empty(shape);
            var (md, ad, bd, rd) = (m.Storage, av.Storage, bv.Storage, result.Storage);
            for (int i = 0; i < result.Count; i++)
            {
                rd[i] = md[i] != 0 ? ad[i] : bd[i];
            }
        }

        if (GradMode.ShouldRecord(a, b))
        {
            var (sa, sb) = (a.ShapeArray, b.ShapeArray);
            Node.Record(result, "WhereBackward0", [a, b], (g, n) =>
            {
                Tensor? ga = n[0] ? SumTo(g * mask, sa) : null;
                Tensor? gb = n[1] ? SumTo(g * (1f - mask), sb) : null;
                return [ga, gb];
            });
        }

        return result;
    }

    /// <summary>1 where this tensor is greater than <paramref name="value"/>, else 0 (not differentiable).</summary>
    public Tensor Gt(float value) => Mask(this, v => v > value ? 1f : 0f);

    /// <summary>1 where this tensor is less than <paramref name="value"/>, else 0 (not differentiable).</summary>
    public Tensor Lt(float value) => Mask(this, v => v < value ? 1f : 0f);

    /// <summary>A constant tensor f(x), outside autograd.</summary>
    internal static Tensor Mask(Tensor x, Func<float, float> f) => Elementwise.Map(x, f);

    /// <summary>
    /// A piecewise-constant derivative f(x) (relu's step, abs's sign, clamp's window) used inside backward functions.
    /// Its own derivative is zero; under createGraph it is recorded as such, so a parameter reached only through it
    /// gets a zero gradient, as in PyTorch, rather than none.
    /// </summary>
    internal static Tensor DerivativeMask(Tensor x, Func<float, float> f)
    {
        var mask = Elementwise.Map(x, f);
        if (GradMode.ShouldRecord(x))
        {
            var shape = x.ShapeArray;
            Node.Record(mask, "DerivativeMaskBackward", [x], (_, _) => [Zeros(shape)]);
        }

        return mask;
    }

    /// <summary>Reduces a broadcast gradient back to <paramref name="shape"/> by summing the broadcast dimensions.</summary>
    internal static Tensor SumTo(Tensor g, int[] shape)
    {
        if (ShapeUtil.SameShape(g.Shape, shape))
        {
            return g;
        }

        int lead = g.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.Rank; i++)
        {
            if (i < lead || (shape[i - lead] == 1 && g.Shape[i] != 1))
            {
                dims.Add(i);
            }
        }

        var summed = dims.Count == 0 ? g : g.Sum([.. dims], keepDim: true);
        return summed.Reshape(shape);
    }
}

/// <summary>1 where x &gt; y, 0 where x &lt; y, ½ on ties: the share of the gradient that goes to x in max(x, y).</summary>
internal readonly struct CompareWeightOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = Invoke(x[i], y[i]);
        }
    }

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = Invoke(x[i], y);
        }
    }

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = Invoke(x, y[i]);
        }
    }

    public static float Invoke(float x, float y) => x > y ? 1f : x < y ? 0f : 0.5f;
}
