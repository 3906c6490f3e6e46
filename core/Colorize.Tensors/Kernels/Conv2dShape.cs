namespace Colorize.Tensors.Kernels;

/// <summary>
/// The geometry of a 2-D convolution over NCHW data with PyTorch's conv2d semantics:
/// input [Batch, InChannels, InHeight, InWidth], weight [OutChannels, InChannels / Groups, KernelHeight, KernelWidth],
/// output [Batch, OutChannels, OutHeight, OutWidth].
/// </summary>
/// <param name="Batch">Images in the batch (N).</param>
/// <param name="InChannels">Input channels (C_in), a multiple of <paramref name="Groups"/>.</param>
/// <param name="InHeight">Input height.</param>
/// <param name="InWidth">Input width.</param>
/// <param name="OutChannels">Output channels (C_out), a multiple of <paramref name="Groups"/>.</param>
/// <param name="KernelHeight">Kernel height.</param>
/// <param name="KernelWidth">Kernel width.</param>
/// <param name="StrideHeight">Vertical stride.</param>
/// <param name="StrideWidth">Horizontal stride.</param>
/// <param name="PaddingHeight">Zero rows added above and below.</param>
/// <param name="PaddingWidth">Zero columns added left and right.</param>
/// <param name="DilationHeight">Vertical spacing of kernel taps.</param>
/// <param name="DilationWidth">Horizontal spacing of kernel taps.</param>
/// <param name="Groups">Channel groups; each output group sees only its input group.</param>
internal readonly record struct Conv2dShape(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1,
    int PaddingHeight = 0, int PaddingWidth = 0,
    int DilationHeight = 1, int DilationWidth = 1,
    int Groups = 1)
{
    /// <summary>Gets the output height: ⌊(H + 2·pad − dil·(k − 1) − 1) / stride⌋ + 1.</summary>
    public int OutHeight => ((InHeight + (2 * PaddingHeight) - (DilationHeight * (KernelHeight - 1)) - 1) / StrideHeight) + 1;

    /// <summary>Gets the output width.</summary>
    public int OutWidth => ((InWidth + (2 * PaddingWidth) - (DilationWidth * (KernelWidth - 1)) - 1) / StrideWidth) + 1;

    /// <summary>Gets the input channels of one group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Gets the output channels of one group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Gets the rows of one group's im2col matrix: InChannelsPerGroup · KernelHeight · KernelWidth.</summary>
    public int ColumnRows => InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>Gets the output positions of one image: OutHeight · OutWidth.</summary>
    public int OutSpatial => OutHeight * OutWidth;

    /// <summary>Gets the positions of one input channel: InHeight · InWidth.</summary>
    public int InSpatial => InHeight * InWidth;

    /// <summary>Gets the number of input elements.</summary>
    public long InputLength => (long)Batch * InChannels * InHeight * InWidth;

    /// <summary>Gets the number of weight elements.</summary>
    public long WeightLength => (long)OutChannels * InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>Gets the number of output elements.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Gets whether the convolution is a plain per-pixel matrix product (1×1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PaddingHeight == 0 && PaddingWidth == 0;

    /// <summary>
    /// The convolution whose input gradient is PyTorch's conv_transpose2d forward. The transposed convolution
    /// maps x [batch, inChannels, inHeight, inWidth] with weight [inChannels, outChannels / groups, kH, kW]
    /// to y [batch, outChannels, (inHeight − 1)·stride − 2·pad + dil·(kH − 1) + outputPadding + 1, …].
    /// Its forward is <c>Convolution.Conv2dBackwardInput</c> of the returned shape with x as the
    /// output gradient; its input gradient is <c>Convolution.Conv2dForward</c> and its weight gradient
    /// <c>Convolution.Conv2dBackwardWeight</c> with the roles of input and output swapped.
    /// </summary>
    /// <param name="batch">Images in the batch.</param>
    /// <param name="inChannels">Channels of the transposed convolution's input.</param>
    /// <param name="inHeight">Height of its input.</param>
    /// <param name="inWidth">Width of its input.</param>
    /// <param name="outChannels">Channels of its output.</param>
    /// <param name="kernelHeight">Kernel height.</param>
    /// <param name="kernelWidth">Kernel width.</param>
    /// <param name="strideHeight">Vertical stride.</param>
    /// <param name="strideWidth">Horizontal stride.</param>
    /// <param name="paddingHeight">Vertical padding.</param>
    /// <param name="paddingWidth">Horizontal padding.</param>
    /// <param name="outputPaddingHeight">Extra rows at the bottom of the output (less than the stride or the dilation).</param>
    /// <param name="outputPaddingWidth">Extra columns at the right of the output.</param>
    /// <param name="dilationHeight">Vertical dilation.</param>
    /// <param name="dilationWidth">Horizontal dilation.</param>
    /// <param name="groups">Channel groups.</param>
    /// <returns>The shape of the equivalent convolution (its input is the transposed convolution's output).</returns>
    public static Conv2dShape ForTransposed(
        int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1, int paddingHeight = 0, int paddingWidth = 0,
        int outputPaddingHeight = 0, int outputPaddingWidth = 0, int dilationHeight = 1, int dilationWidth = 1, int groups = 1)
    {
        if (outputPaddingHeight < 0 || outputPaddingWidth < 0
            || (outputPaddingHeight >= strideHeight && outputPaddingHeight >= dilationHeight)
            || (outputPaddingWidth >= strideWidth && outputPaddingWidth >= dilationWidth))
        {
            throw new ArgumentException("Output padding must be non-negative and smaller than either the stride or the dilation.");
        }

        int outHeight = ((inHeight - 1) * strideHeight) - (2 * paddingHeight) + (dilationHeight * (kernelHeight - 1)) + outputPaddingHeight + 1;
        int outWidth = ((inWidth - 1) * strideWidth) - (2 * paddingWidth) + (dilationWidth * (kernelWidth - 1)) + outputPaddingWidth + 1;
        var shape = new Conv2dShape(
            batch, outChannels, outHeight, outWidth, inChannels, kernelHeight, kernelWidth,
            strideHeight, strideWidth, paddingHeight, paddingWidth, dilationHeight, dilationWidth, groups);
        shape.Validate();
        if (shape.OutHeight != inHeight || shape.OutWidth != inWidth)
        {
            throw new ArgumentException($"A transposed convolution of a {inHeight}×{inWidth} input with these settings has no valid output size.");
        }

        return shape;
    }

    /// <summary>Throws a typed exception when the geometry is impossible.</summary>
    public void Validate()
    {
        if (Batch < 0 || InChannels < 1 || OutChannels < 1 || InHeight < 1 || InWidth < 1 || KernelHeight < 1 || KernelWidth < 1)
        {
            throw new ArgumentException($"Convolution sizes must be positive (batch {Batch}, channels {InChannels}→{OutChannels}, input {InHeight}×{InWidth}, kernel {KernelHeight}×{KernelWidth}).");
        }

        if (StrideHeight < 1 || StrideWidth < 1 || DilationHeight < 1 || DilationWidth < 1 || PaddingHeight < 0 || PaddingWidth < 0)
        {
            throw new ArgumentException("Convolution stride and dilation must be positive and padding non-negative.");
        }

        if (Groups < 1 || InChannels % Groups != 0 || OutChannels % Groups != 0)
        {
            throw new ArgumentException($"Groups ({Groups}) must divide both the input ({InChannels}) and output ({OutChannels}) channels.");
        }

        if (OutHeight < 1 || OutWidth < 1 || InHeight + (2 * PaddingHeight) < (DilationHeight * (KernelHeight - 1)) + 1 || InWidth + (2 * PaddingWidth) < (DilationWidth * (KernelWidth - 1)) + 1)
        {
            throw new ArgumentException($"The {KernelHeight}×{KernelWidth} kernel (dilation {DilationHeight}×{DilationWidth}) does not fit the padded {InHeight}×{InWidth} input.");
        }

        if (OutputLength > int.MaxValue || InputLength > int.MaxValue || WeightLength > int.MaxValue || (long)ColumnRows * 256 > int.MaxValue)
        {
            throw new ArgumentException("The convolution is too large for one call.");
        }
    }
}
