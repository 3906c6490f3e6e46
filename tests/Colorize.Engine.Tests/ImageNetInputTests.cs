using Colorize.Engine.Architectures;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

/// <summary>The differentiable Lab → sRGB → ImageNet input against the imaging library's (skimage-exact) Lab.</summary>
public sealed class ImageNetInputTests
{
    private static (float[] L, float[] Ab, (double L, double A, double B)[] Lab) Colours()
    {
        // A grid over the Lab range the networks produce, including out-of-gamut pairs and the knees of f⁻¹ and sRGB.
        var lab = new List<(double, double, double)>();
        foreach (double l in new[] { 0, 0.5, 3, 8, 20, 50, 75, 99, 100 })
        {
            foreach (double a in new[] { -110, -60, -5, 0, 7, 40, 110 })
            {
                foreach (double b in new[] { -110, -30, 0, 12, 80, 110 })
                {
                    lab.Add((l, a, b));
                }
            }
        }

        int n = lab.Count;
        var lNorm = new float[n];
        var ab = new float[2 * n];
        for (int i = 0; i < n; i++)
        {
            lNorm[i] = (float)((lab[i].Item1 / 50) - 1);
            ab[i] = (float)(lab[i].Item2 / 110);
            ab[n + i] = (float)(lab[i].Item3 / 110);
        }

        return (lNorm, ab, [.. lab]);
    }

    [Fact]
    public void LabToSrgb_MatchesTheImagingLibrary()
    {
        var (l, ab, lab) = Colours();
        int n = lab.Length;
        var rgb = ImageNetInput.LabToSrgb(Tensor.FromArray(l, 1, 1, 1, n), Tensor.FromArray(ab, 1, 2, 1, n)).ToArray();
        for (int i = 0; i < n; i++)
        {
            var (r, g, b) = CieLab.ToSrgb(lab[i].L, lab[i].A, lab[i].B);
            // The imaging library uses skimage's rounded knee constants (7.787, 0.2068966) where this uses 6/29 exactly.
            Assert.Equal(r, rgb[i], 2e-3);
            Assert.Equal(g, rgb[n + i], 2e-3);
            Assert.Equal(b, rgb[(2 * n) + i], 2e-3);
        }
    }

    [Fact]
    public void FromGrey_IsThreeEqualChannelsMinusTheMeans()
    {
        float[] l = [-1f, -0.5f, 0f, 0.4f, 1f];
        var x = ImageNetInput.FromGrey(Tensor.FromArray(l, 1, 1, 1, 5)).ToArray();
        for (int i = 0; i < l.Length; i++)
        {
            var (grey, _, _) = CieLab.ToSrgb(50 * (l[i] + 1), 0, 0);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal((grey * 255) - ImageNetInput.MeanBgr[c], x[(c * 5) + i], 0.3);
            }
        }
    }

    [Fact]
    public void LabToSrgb_GradientMatchesFiniteDifferences()
    {
        // Points away from the clipping edges and on both sides of both knees.
        float[] l = [-0.98f, -0.9f, -0.2f, 0.5f];
        float[] ab = [0.05f, -0.1f, 0.2f, 0.0f, -0.05f, 0.1f, -0.15f, 0.1f];
        var lt = Tensor.FromArray(l, 1, 1, 1, 4);
        var abt = Tensor.FromArray(ab, 1, 2, 1, 4);
        abt.RequiresGrad = true;
        var weights = Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => 0.3f + (0.1f * i))], 1, 3, 1, 4);
        (ImageNetInput.LabToSrgb(lt, abt) * weights).Sum().Backward();
        var grad = abt.Grad!.ToArray();
        const float h = 1e-3f;
        for (int i = 0; i < ab.Length; i++)
        {
            float Eval(float delta)
            {
                var copy = (float[])ab.Clone();
                copy[i] += delta;
                using (Tensor.NoGrad())
                {
                    return (ImageNetInput.LabToSrgb(lt, Tensor.FromArray(copy, 1, 2, 1, 4)) * weights).Sum().Item();
                }
            }

            double numeric = (Eval(h) - Eval(-h)) / (2 * h);
            Assert.Equal(numeric, grad[i], 2e-2 * Math.Max(1, Math.Abs(numeric)));
        }
    }
}
