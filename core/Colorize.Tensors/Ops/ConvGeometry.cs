namespace Colorize.Tensors.Ops;

/// <summary>Stride, padding, dilation and groups of a 2-D convolution, as PyTorch's conv2d takes them.</summary>
internal sealed record ConvGeometry(int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups)
{
    public int OutputSize(int input, int kernel, bool height)
    {
        int pad = height ? PadH : PadW, dil = height ? DilationH : DilationW, stride = height ? StrideH : StrideW;
        return ((input + (2 * pad) - (dil * (kernel - 1)) - 1) / stride) + 1;
    }

    public void Validate()
    {
        if (StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || Groups < 1 || PadH < 0 || PadW < 0)
        {
            throw new ArgumentException("Convolution stride, dilation and groups must be positive and padding non-negative.");
        }
    }
}
