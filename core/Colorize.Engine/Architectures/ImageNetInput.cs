using Colorize.Tensors;

namespace Colorize.Engine.Architectures;

/// <summary>
/// Turns the networks' normalised Lab tensors into the input an ImageNet-trained ResNet18 expects: 8-bit-scale sRGB in
/// B, G, R channel order minus the per-channel means of ML.NET's <c>ResNetPreprocess.onnx</c> (no division by a
/// standard deviation; that is how the CNTK model in <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> was trained).
/// Built from differentiable tensor ops, so the trainer's feature loss can send gradients back through it.
/// </summary>
public static class ImageNetInput
{
    /// <summary>
    /// Channel averages (B, G, R) of the 3×224×224 mean image in <c>ResNetPreprocess.onnx</c>. The per-pixel image is
    /// replaced by its channel averages so that any input size works; the difference is a small, smooth offset.
    /// </summary>
    public static ReadOnlySpan<float> MeanBgr => [103.0626f, 115.9029f, 123.1516f];

    // CIE Lab ↔ XYZ: f⁻¹(t) = t³ above δ = 6/29, 3δ²(t − 4/29) below; D65 white.
    private const float Delta = 6f / 29f;
    private const float Xn = 0.95047f, Zn = 1.08883f;

    // sRGB transfer function: 12.92·c below 0.0031308, 1.055·c^(1/2.4) − 0.055 above.
    private const float SrgbKnee = 0.0031308f;

    /// <summary>
    /// Lab → sRGB in [0, 1] for normalised tensors: <paramref name="l"/> is L/50 − 1 (N×1×H×W), <paramref name="ab"/>
    /// is ab/110 (N×2×H×W) or null for grey. Returns N×3×H×W in R, G, B order, clipped to [0, 1] per channel.
    /// </summary>
    public static Tensor LabToSrgb(Tensor l, Tensor? ab)
    {
        var fy = (l * 50f + 66f) * (1f / 116f);                      // (L + 16) / 116 with L = 50·(x + 1)
        var y = FInverse(fy);
        if (ab is null)
        {
            var grey = Gamma(y);
            return Tensor.Cat([grey, grey, grey], 1);
        }

        var a = ab.Narrow(1, 0, 1);
        var b = ab.Narrow(1, 1, 1);
        var x = FInverse(fy + (a * (110f / 500f))) * Xn;
        // As skimage's lab2xyz (and so the imaging library and the pipeline): a negative fz is taken as 0.
        var z = FInverse((fy - (b * (110f / 200f))).Clamp(min: 0f)) * Zn;

        // XYZ → linear sRGB (IEC 61966-2-1 matrix, as the imaging library's Lab conversion).
        var r = (x * 3.2404542f) - (y * 1.5371385f) - (z * 0.4985314f);
        var g = (x * -0.9692660f) + (y * 1.8760108f) + (z * 0.0415560f);
        var bl = (x * 0.0556434f) - (y * 0.2040259f) + (z * 1.0572252f);
        return Tensor.Cat([Gamma(r), Gamma(g), Gamma(bl)], 1);
    }

    /// <summary>
    /// sRGB in [0, 1] (N×3×H×W, R, G, B) → the ResNet's input: B, G, R order, × 255, minus <see cref="MeanBgr"/>.
    /// </summary>
    public static Tensor FromSrgb(Tensor rgb)
    {
        var mean = MeanBgr;
        return Tensor.Cat(
        [
            (rgb.Narrow(1, 2, 1) * 255f) - mean[0],
            (rgb.Narrow(1, 1, 1) * 255f) - mean[1],
            (rgb.Narrow(1, 0, 1) * 255f) - mean[2],
        ], 1);
    }

    /// <summary>Grey input L/50 − 1 (N×1×H×W) as the ResNet sees a black-and-white photo: three equal channels.</summary>
    public static Tensor FromGrey(Tensor l) => FromSrgb(LabToSrgb(l, null));

    // Written with clamps so that both pieces and their gradients are exact on either side of the knee.
    private static Tensor FInverse(Tensor t)
    {
        const float delta3 = Delta * Delta * Delta;
        var cube = t.Clamp(min: Delta).Pow(3f) - delta3;
        var linear = (t.Clamp(max: Delta) - (4f / 29f)) * (3f * Delta * Delta);
        return cube + linear;
    }

    private static Tensor Gamma(Tensor c)
    {
        // Clip to the gamut first, as an 8-bit image would be; then the knee split as in FInverse.
        var clipped = c.Clamp(0f, 1f);
        var high = (clipped.Clamp(min: SrgbKnee).Pow(1f / 2.4f) * 1.055f) - (0.055f + (12.92f * SrgbKnee));
        var low = clipped.Clamp(max: SrgbKnee) * 12.92f;
        return high + low;
    }
}
