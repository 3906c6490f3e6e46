using Colorize.Tensors.Autograd;

namespace Colorize.Tensors.Ops;

/// <summary>
/// Records a linear map and its adjoint as each other's gradients. Pooling, padding and interpolation are linear,
/// so backward is the adjoint and the adjoint's backward is the forward map again: double backward comes for free.
/// </summary>
internal static class LinearOp
{
    public static Tensor Apply(Tensor x, string name, Func<Tensor, Tensor> forward, Func<Tensor, Tensor> adjoint)
    {
        var y = forward(x);
        if (GradMode.ShouldRecord(x))
        {
            Node.Record(y, name, [x], (g, _) => [Apply(g, name + "Backward", adjoint, forward)]);
        }

        return y;
    }
}
