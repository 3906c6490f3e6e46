using Colorize.Tensors;
using Colorize.Tensors.Autograd;

namespace Colorize.Tensors.Tests.Gradients;

public sealed class AutogradSemanticsTests
{
    [Fact]
    public void Backward_AccumulatesIntoLeafGradients_AcrossCalls()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3).SetRequiresGrad();
        (x * x).Sum().Backward();
        (x * 3f).Sum().Backward();
        // d/dx (x²) = 2x, then + 3 accumulated.
        Assert.Equal([5f, 7f, 9f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_ThroughSharedSubexpression_SumsBothPaths()
    {
        var x = Tensor.FromArray([2f], 1).SetRequiresGrad();
        var y = x * x;
        var z = (y + y) * x; // 2x³ → 6x²
        z.Sum().Backward();
        Assert.Equal(24f, x.Grad!.Item(), 5);
    }

    [Fact]
    public void Detach_CutsTheGraph()
    {
        var x = Tensor.FromArray([1f, 2f], 2).SetRequiresGrad();
        var y = (x * 2f).Detach();
        Assert.False(y.RequiresGrad);
        var z = (x * y).Sum();
        z.Backward();
        Assert.Equal(y.ToArray(), x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradScope_RecordsNothing_AndRestoresOnDispose()
    {
        var x = Tensor.Ones(2).SetRequiresGrad();
        Tensor y;
        using (Tensor.NoGrad())
        {
            y = x * 2f;
            Assert.False(GradMode.IsEnabled);
        }

        Assert.True(GradMode.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True((x * 2f).RequiresGrad);
    }

    [Fact]
    public void BackwardTwice_WithoutRetainGraph_Throws()
    {
        var x = Tensor.Ones(2).SetRequiresGrad();
        var y = (x * x).Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackwardTwice_WithRetainGraph_DoublesTheGradient()
    {
        var x = Tensor.FromArray([3f], 1).SetRequiresGrad();
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(12f, x.Grad!.Item());
    }

    [Fact]
    public void Backward_OnNonScalarWithoutGradient_Throws()
    {
        var x = Tensor.Ones(3).SetRequiresGrad();
        Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
    }

    [Fact]
    public void Grad_ReturnsGradientsWithoutTouchingLeafGrad()
    {
        var x = Tensor.FromArray([1f, -2f], 2).SetRequiresGrad();
        var w = Tensor.FromArray([3f, 4f], 2).SetRequiresGrad();
        var y = (x * w).Sum();
        var g = AutogradEngine.Grad([y], [x])[0];
        Assert.Equal([3f, 4f], g.ToArray());
        Assert.Null(x.Grad);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void Grad_WithCreateGraph_GivesSecondDerivative()
    {
        var x = Tensor.FromArray([2f], 1).SetRequiresGrad();
        var y = (x * x * x).Sum(); // x³
        var dy = AutogradEngine.Grad([y], [x], createGraph: true)[0]; // 3x² = 12
        Assert.Equal(12f, dy.Item(), 4);
        dy.Sum().Backward(); // 6x = 12
        Assert.Equal(12f, x.Grad!.Item(), 4);
    }

    [Fact]
    public void Grad_OfUnusedInput_ThrowsUnlessAllowed()
    {
        var x = Tensor.Ones(2).SetRequiresGrad();
        var unused = Tensor.Ones(2).SetRequiresGrad();
        var y = (x * 2f).Sum();
        Assert.Throws<InvalidOperationException>(() => AutogradEngine.Grad([y], [unused], retainGraph: true));
        var g = AutogradEngine.Grad([y], [unused], allowUnused: true)[0];
        Assert.Equal([0f, 0f], g.ToArray());
    }

    [Fact]
    public void RequiresGrad_CannotBeClearedOnNonLeaf()
    {
        var x = Tensor.Ones(2).SetRequiresGrad();
        var y = x * 2f;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }

    [Fact]
    public void BroadcastGradient_IsSummedBackToTheInputShape()
    {
        var a = Tensor.Ones(2, 3).SetRequiresGrad();
        var b = Tensor.FromArray([1f, 2f, 3f], 3).SetRequiresGrad();
        (a * b).Sum().Backward();
        Assert.Equal([2f, 2f, 2f], b.Grad!.ToArray());
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], a.Grad!.ToArray());
    }
}
