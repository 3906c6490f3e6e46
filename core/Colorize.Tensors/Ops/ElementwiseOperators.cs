using System.Numerics.Tensors;

namespace Colorize.Tensors.Ops;

/// <summary>A binary elementwise operator in its three span shapes (vector-vector, vector-scalar, scalar-vector).</summary>
internal interface IBinaryOperator
{
    static abstract void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    static abstract void Invoke(ReadOnlySpan<float> x, float y, Span<float> destination);

    static abstract void Invoke(float x, ReadOnlySpan<float> y, Span<float> destination);

    static abstract float Invoke(float x, float y);
}

/// <summary>A unary elementwise operator over spans.</summary>
internal interface IUnaryOperator
{
    static abstract void Invoke(ReadOnlySpan<float> x, Span<float> destination);
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(y, x, d);

    public static float Invoke(float x, float y) => x + y;
}

internal readonly struct SubtractOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);

    public static float Invoke(float x, float y) => x - y;
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(y, x, d);

    public static float Invoke(float x, float y) => x * y;
}

internal readonly struct DivideOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);

    public static float Invoke(float x, float y) => x / y;
}

internal readonly struct MaximumOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Max(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(y, x, d);

    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Max(x, y);
}

internal readonly struct MinimumOperator : IBinaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(x, y, d);

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Min(x, y, d);

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(y, x, d);

    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Min(x, y);
}

internal readonly struct ExpOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Exp(x, d);
}

internal readonly struct LogOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Log(x, d);
}

internal readonly struct SqrtOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sqrt(x, d);
}

internal readonly struct AbsOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Abs(x, d);
}

internal readonly struct NegateOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Negate(x, d);
}

internal readonly struct TanhOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Tanh(x, d);
}

internal readonly struct SigmoidOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sigmoid(x, d);
}

internal readonly struct SquareOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Multiply(x, x, d);
}

internal readonly struct ReluOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d)
    {
        // Max(x, 0) would turn NaN into NaN as PyTorch's relu does; TensorPrimitives.Max propagates NaN.
        TensorPrimitives.Max(x, 0f, d);
    }
}

internal readonly struct SignOperator : IUnaryOperator
{
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            d[i] = v > 0 ? 1f : v < 0 ? -1f : v;
        }
    }
}
