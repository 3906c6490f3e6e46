using BenchmarkDotNet.Attributes;
using Colorize.Tensors.Kernels;

namespace Colorize.Benchmarks.Tensors;

/// <summary>One convolution layer; for a transposed one, <see cref="Shape"/> is the equivalent convolution.</summary>
public sealed record ConvCase(string Name, Conv2dShapeInfo Info, bool Transposed) : IFlopCount
{
    internal Conv2dShape Shape => Info.Shape;

    /// <summary>Gets the multiply-adds × 2 of one pass (forward, input gradient and weight gradient cost the same).</summary>
    public double Flops => 2.0 * Shape.Batch * Shape.OutChannels * Shape.OutSpatial * Shape.ColumnRows;

    public override string ToString() => Name;
}

/// <summary>Wraps the internal shape so the public benchmark parameter can carry it.</summary>
public sealed class Conv2dShapeInfo
{
    internal Conv2dShapeInfo(Conv2dShape shape) => Shape = shape;

    internal Conv2dShape Shape { get; }
}

/// <summary>
/// Convolution layers typical of a pix2pix U-Net (batch 1, 256×256 input): forward, input gradient and
/// weight (+ bias) gradient. The transposed layer's forward is the convolution's input gradient and so on.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class ConvBenchmarks
{
    private float[] _in = [], _inResult = [], _out = [], _outResult = [], _w = [], _wResult = [], _bias = [], _biasResult = [];

    public static IEnumerable<ConvCase> Cases() =>
    [
        new("conv 1→64 4×4 s2 @256²", new(new Conv2dShape(1, 1, 256, 256, 64, 4, 4, 2, 2, 1, 1)), false),
        new("conv 128→256 4×4 s2 @64²", new(new Conv2dShape(1, 128, 64, 64, 256, 4, 4, 2, 2, 1, 1)), false),
        new("conv 512→512 4×4 s2 @8²", new(new Conv2dShape(1, 512, 8, 8, 512, 4, 4, 2, 2, 1, 1)), false),
        new("convT 256→64 4×4 s2 @64²→128²", new(Conv2dShape.ForTransposed(1, 256, 64, 64, 64, 4, 4, 2, 2, 1, 1)), true),
    ];

    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = Cases().First();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Buffers named after the equivalent convolution: "in" has its input's shape, "out" its output's.
        Conv2dShape s = Case.Shape;
        var rng = new Random(42);
        float[] Random(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _in = Random(s.InputLength);
        _inResult = new float[s.InputLength];
        _out = Random(s.OutputLength);
        _outResult = new float[s.OutputLength];
        _w = Random(s.WeightLength);
        _wResult = new float[s.WeightLength];
        _bias = Random(Case.Transposed ? s.InChannels : s.OutChannels);
        _biasResult = new float[_bias.Length];
    }

    /// <summary>conv2d forward (with bias), or conv_transpose2d forward (with bias) for the transposed layer.</summary>
    [Benchmark]
    public void Forward()
    {
        if (Case.Transposed)
        {
            Convolution.ConvTranspose2dForward(Case.Shape, _out, _w, _bias, _inResult, Threads);
        }
        else
        {
            Convolution.Conv2dForward(Case.Shape, _in, _w, _bias, _outResult, Threads);
        }
    }

    /// <summary>The gradient with respect to the layer's input.</summary>
    [Benchmark]
    public void BackwardInput()
    {
        if (Case.Transposed)
        {
            // conv_transpose2d's input gradient is the plain convolution of its output gradient.
            Convolution.Conv2dForward(Case.Shape, _in, _w, default, _outResult, Threads);
        }
        else
        {
            Convolution.Conv2dBackwardInput(Case.Shape, _out, _w, _inResult, Threads);
        }
    }

    /// <summary>The gradient with respect to the layer's weight and bias.</summary>
    [Benchmark]
    public void BackwardWeight()
    {
        Conv2dShape s = Case.Shape;
        if (Case.Transposed)
        {
            // Roles swap: the layer's output gradient (_in) plays the convolution's input, its input (_out) the output gradient.
            Convolution.Conv2dBackwardWeight(s, _in, _out, _wResult, default, Threads);
            for (int c = 0; c < s.InChannels; c++)
            {
                _biasResult[c] = System.Numerics.Tensors.TensorPrimitives.Sum(_in.AsSpan(c * s.InSpatial, s.InSpatial));
            }
        }
        else
        {
            Convolution.Conv2dBackwardWeight(s, _in, _out, _wResult, _biasResult, Threads);
        }
    }
}
