using PaintDotNet.Effects;
using PaintDotNet.PropertySystem;

namespace Colorize.PaintDotNet.Tests;

/// <summary>The stubs behave as Paint.NET documents: clamping properties, tokens that hold copies.</summary>
public sealed class PdnSdkStubTests
{
    [Fact]
    public void ScalarProperties_ClampByDefault_AndThrowWhenAskedTo()
    {
        var size = new Int32Property("size", 5, 0, 10);
        size.Value = 42;
        Assert.Equal(10, size.Value);
        var strict = new DoubleProperty("s", 1, 0, 2, false, ValueValidationFailureResult.ThrowException);
        Assert.Throws<ArgumentOutOfRangeException>(() => strict.Value = 3.0);
        var ignoring = new DoubleProperty("s", 1, 0, 2, false, ValueValidationFailureResult.Ignore);
        ignoring.Value = -1.0;
        Assert.Equal(1.0, ignoring.Value);
    }

    [Fact]
    public void AChoiceOutsideTheList_FallsBackToTheDefaultChoice()
    {
        var choice = new StaticListChoiceProperty("pack", ["a@1.0.0", "b@2.0.0"], 1);
        Assert.Equal("b@2.0.0", choice.Value);
        choice.Value = "a@1.0.0";
        Assert.Equal("a@1.0.0", choice.Value);
        choice.Value = "gone@9.9.9";
        Assert.Equal("b@2.0.0", choice.Value);
    }

    [Fact]
    public void ATokenHoldsACopy_SoTheDialogCanChangeWhileTheEffectWorks()
    {
        var dialog = new PropertyCollection([new DoubleProperty("strength", 1, 0, 2), new BooleanProperty("keep", true)]);
        var token = new PropertyBasedEffectConfigToken(dialog);
        dialog["strength"]!.Value = 0.25;

        Assert.Equal(1.0, token.GetProperty<DoubleProperty>("strength")!.Value);
        var clone = (PropertyBasedEffectConfigToken)token.Clone();
        Assert.True(token.SetPropertyValue("strength", 1.5));
        Assert.Equal(1.0, clone.GetProperty<DoubleProperty>("strength")!.Value);
        Assert.False(token.SetPropertyValue("missing", 1));
        Assert.Equal(["strength", "keep"], token.PropertyNames);
    }
}
