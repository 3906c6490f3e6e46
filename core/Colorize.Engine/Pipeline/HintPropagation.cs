using Colorize.Abstractions;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Engine.Pipeline;

/// <summary>
/// How far a hint's correction spreads after the network (<see cref="HintPropagation"/>). A path from a hint's disc to
/// a pixel costs <c>length / (Reach · short side) + Σ max(0, |ΔL| − Floor) / EdgeL</c> over its steps between
/// 8-neighbours (length 1 or √2 render pixels, L* at the render size); the distance d is the cheapest path's cost and
/// the weight is <c>exp(−d^Shape)</c>, 0 below <see cref="Cutoff"/>.
/// </summary>
internal sealed record HintPropagationSettings
{
    /// <summary>The settings the product runs with, chosen on the validation photos (docs/DESIGN.md, "Colour hints").</summary>
    public static HintPropagationSettings Default { get; } = new();

    /// <summary>In flat L*, the distance (a share of the render's short side) at which a hint's weight has fallen to 1/e.</summary>
    public double Reach { get; init; } = 1;

    /// <summary>Accumulated change of L* (beyond <see cref="Floor"/> per step) that costs as much as <see cref="Reach"/>: an edge of that contrast stops a hint as much as a flat stretch that long.</summary>
    public double EdgeL { get; init; } = 8;

    /// <summary>|ΔL*| per step that costs nothing: noise and gentle shading within an object do not stop a hint.</summary>
    public double Floor { get; init; } = 1;

    /// <summary>The weight's shape: 1 is exp(−d), 2 is exp(−d²), flat near the hint and falling faster further out.</summary>
    public double Shape { get; init; } = 1;

    /// <summary>Weights below this are 0, so a hint changes nothing far from it and its distance stops spreading.</summary>
    public double Cutoff { get; init; } = 1.0 / 512;

    /// <summary>
    /// How many of the nearest hints each pixel keeps (Yatziv and Sapiro keep a few): the cost does not grow with the
    /// hint count. More is not better: a pixel blending more distant hints drifts from the nearest one's colour
    /// (validation, 20 hints: 1 slot 25.47 dB, 2: 25.69, 3: 25.66, 4: 25.64, 8: 25.48); with 3, nearby hints still blend smoothly.
    /// </summary>
    public int Slots { get; init; } = 3;

    /// <summary>
    /// The most forward-and-backward scan pairs; scanning stops earlier when a pair changes nothing. Paths that wind
    /// through texture need more pairs than this to converge fully (16–48 on validation photos at render 256), but
    /// after 8 the distances left to settle move the colours little (mean under 0.5 ab, validation PSNR within 0.04 dB
    /// of 24 pairs) and the cost stays bounded.
    /// </summary>
    public int MaxScanPairs { get; init; } = 8;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Reach > 0 && double.IsFinite(Reach)) || !(EdgeL > 0 && double.IsFinite(EdgeL)) || !(Floor >= 0 && double.IsFinite(Floor))
            || !(Shape > 0 && double.IsFinite(Shape)) || !(Cutoff is > 0 and < 1) || Slots is < 1 or > 64 || MaxScanPairs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(HintPropagationSettings), this, "Hint propagation settings out of range.");
        }
    }
}

/// <summary>
/// Edge-aware propagation of colour hints after the network, as classic interactive colorization spreads a user's
/// scribbles (Yatziv and Sapiro 2006, "Fast image and video colorization using chrominance blending": geodesic
/// distances over the luminance, a few nearest scribbles blended per pixel). A hint network that barely uses its hints
/// colours little more than a hint's own dot; this makes a hint recolour the region it sits in and stop at edges.
/// </summary>
/// <remarks>
/// At the render size, on the predicted ab already in output units (after strength × chroma gain): each hint's
/// residual r_h = its Lab ab − the mean predicted ab over its disc (<see cref="RenderDisc"/>); a geodesic distance
/// d_h(p) from its disc over L* (<see cref="HintPropagationSettings"/>), found by raster-scan chamfer passes over the
/// 8-neighbours, forward then backward, repeated until a pair of scans changes nothing or
/// <see cref="HintPropagationSettings.MaxScanPairs"/> pairs have run; each pixel keeps only its
/// <see cref="HintPropagationSettings.Slots"/> nearest hints, so 1024 hints cost about what 3 do. Then
/// <c>Δ(p) = Σ_h w_h(p)·r_h / max(1, Σ_h w_h(p))</c> is added: at a lone hint the colour is the hint's, far from every
/// hint it is the network's, nearby conflicting hints blend. One thread, in a fixed order, ties broken by the later
/// hint: the same bits at any thread count. Working memory: two arrays of Slots entries per render pixel.
/// </remarks>
internal static class HintPropagation
{
    /// <summary>
    /// Adds the hints' propagated residuals to <paramref name="ab"/> (a then b, each <see cref="RenderGeometry.PaddedWidth"/>
    /// × <see cref="RenderGeometry.PaddedHeight"/>, Lab units as output); the padding is left alone.
    /// </summary>
    /// <param name="ab">The predicted ab in output units, padded layout; changed in place.</param>
    /// <param name="l">L* at the render size, <see cref="RenderGeometry.Width"/> × <see cref="RenderGeometry.Height"/>, row-major.</param>
    /// <param name="geometry">The render geometry.</param>
    /// <param name="hints">The hints, in source pixels (validated).</param>
    /// <param name="width">The source's width.</param>
    /// <param name="height">The source's height.</param>
    /// <param name="settings">The distance and weight settings.</param>
    public static void Apply(Span<float> ab, ReadOnlySpan<float> l, RenderGeometry geometry, IReadOnlyList<ColorHint> hints, int width, int height, HintPropagationSettings settings)
    {
        settings.Validate();
        int w = geometry.Width, h = geometry.Height, pw = geometry.PaddedWidth, plane = pw * geometry.PaddedHeight;
        if (ab.Length < 2 * plane || l.Length < w * h)
        {
            throw new ArgumentException("The ab planes or the L plane are smaller than the render geometry.");
        }

        if (hints.Count == 0)
        {
            return;
        }

        int slots = Math.Min(settings.Slots, hints.Count);
        var residualA = new float[hints.Count];
        var residualB = new float[hints.Count];
        var dist = GC.AllocateUninitializedArray<float>(w * h * slots);
        var label = GC.AllocateUninitializedArray<int>(w * h * slots);
        dist.AsSpan().Fill(float.PositiveInfinity);
        label.AsSpan().Fill(-1);
        var field = new Field(dist, label, slots);

        // Residuals and seeds: every pixel of a hint's disc is at distance 0 from it.
        for (int i = 0; i < hints.Count; i++)
        {
            var hint = hints[i];
            var disc = RenderDisc.Of(hint, width, height, geometry);
            double sumA = 0, sumB = 0;
            int count = 0;
            for (int y = disc.Y0; y <= disc.Y1; y++)
            {
                for (int x = disc.X0; x <= disc.X1; x++)
                {
                    if (disc.Contains(x, y))
                    {
                        sumA += ab[(y * pw) + x];
                        sumB += ab[plane + (y * pw) + x];
                        count++;
                        field.Offer((y * w) + x, i, 0f);
                    }
                }
            }

            var (_, hintA, hintB) = CieLab.FromSrgb(hint.Red / 255.0, hint.Green / 255.0, hint.Blue / 255.0);
            residualA[i] = (float)(hintA - (sumA / count));
            residualB[i] = (float)(hintB - (sumB / count));
        }

        // Beyond this distance a weight is below the cutoff: such candidates are not spread (nor counted below).
        float reachLimit = (float)Math.Pow(-Math.Log(settings.Cutoff), 1 / settings.Shape);
        var cost = new StepCost(
            (float)(1 / (settings.Reach * Math.Min(w, h))),
            (float)(Math.Sqrt(2) / (settings.Reach * Math.Min(w, h))),
            (float)settings.Floor,
            (float)(1 / settings.EdgeL));
        for (int pair = 0; pair < settings.MaxScanPairs; pair++)
        {
            bool changed = Scan(field, l, w, h, cost, reachLimit, forward: true);
            changed |= Scan(field, l, w, h, cost, reachLimit, forward: false);
            if (!changed)
            {
                break;
            }
        }

        // Δ = Σ w·r / max(1, Σ w), in pixel order.
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = (y * w) + x, s0 = p * slots;
                float sumW = 0, sumA = 0, sumB = 0;
                for (int s = 0; s < slots && label[s0 + s] >= 0; s++)
                {
                    float d = dist[s0 + s];
                    if (d > reachLimit)
                    {
                        break;
                    }

                    float weight = Weight(d, settings.Shape);
                    sumW += weight;
                    sumA += weight * residualA[label[s0 + s]];
                    sumB += weight * residualB[label[s0 + s]];
                }

                if (sumW > 0)
                {
                    float norm = Math.Max(1f, sumW);
                    ab[(y * pw) + x] += sumA / norm;
                    ab[plane + (y * pw) + x] += sumB / norm;
                }
            }
        }
    }

    private static float Weight(float d, double shape) =>
        (float)Math.Exp(-(shape == 2 ? (double)d * d : shape == 1 ? d : Math.Pow(d, shape)));

    /// <summary>One chamfer scan: each pixel takes candidates from its four neighbours already visited in this direction.</summary>
    private static bool Scan(Field field, ReadOnlySpan<float> l, int w, int h, StepCost cost, float reachLimit, bool forward)
    {
        bool changed = false;
        int step = forward ? 1 : -1;
        int yStart = forward ? 0 : h - 1, yEnd = forward ? h : -1;
        int xStart = forward ? 0 : w - 1, xEnd = forward ? w : -1;
        for (int y = yStart; y != yEnd; y += step)
        {
            int yPrev = y - step;
            bool hasPrevRow = yPrev >= 0 && yPrev < h;
            for (int x = xStart; x != xEnd; x += step)
            {
                int p = (y * w) + x;
                float lp = l[p];
                int xPrev = x - step, xNext = x + step;
                bool hasPrev = xPrev >= 0 && xPrev < w, hasNext = xNext >= 0 && xNext < w;
                if (hasPrev)
                {
                    changed |= Pull(field, p, (y * w) + xPrev, cost.Straight + cost.Luminance(lp, l[(y * w) + xPrev]), reachLimit);
                }

                if (hasPrevRow)
                {
                    int row = yPrev * w;
                    if (hasPrev)
                    {
                        changed |= Pull(field, p, row + xPrev, cost.Diagonal + cost.Luminance(lp, l[row + xPrev]), reachLimit);
                    }

                    changed |= Pull(field, p, row + x, cost.Straight + cost.Luminance(lp, l[row + x]), reachLimit);
                    if (hasNext)
                    {
                        changed |= Pull(field, p, row + xNext, cost.Diagonal + cost.Luminance(lp, l[row + xNext]), reachLimit);
                    }
                }
            }
        }

        return changed;
    }

    /// <summary>Offers pixel <paramref name="p"/> each hint its neighbour <paramref name="q"/> holds, one step further.</summary>
    private static bool Pull(Field field, int p, int q, float stepCost, float reachLimit)
    {
        bool changed = false;
        int q0 = q * field.Slots;
        for (int s = 0; s < field.Slots; s++)
        {
            int hint = field.Label[q0 + s];
            if (hint < 0)
            {
                break;
            }

            float d = field.Dist[q0 + s] + stepCost;
            if (d > reachLimit)
            {
                // Slots are sorted by distance: the rest are further still.
                break;
            }

            changed |= field.Offer(p, hint, d);
        }

        return changed;
    }

    /// <summary>Per-step cost: a spatial part for the step's length and the luminance change beyond the floor.</summary>
    private readonly record struct StepCost(float Straight, float Diagonal, float Floor, float PerL)
    {
        public float Luminance(float a, float b) => Math.Max(0f, Math.Abs(a - b) - Floor) * PerL;
    }

    /// <summary>
    /// Each pixel's nearest hints: <see cref="Slots"/> (distance, hint) pairs, sorted by distance and, at equal
    /// distance, later hint first; empty slots (hint −1, distance ∞) last.
    /// </summary>
    private sealed class Field(float[] dist, int[] label, int slots)
    {
        public float[] Dist { get; } = dist;

        public int[] Label { get; } = label;

        public int Slots { get; } = slots;

        /// <summary>Records that <paramref name="hint"/> is <paramref name="d"/> away from pixel <paramref name="p"/> if that is news; true when it was.</summary>
        public bool Offer(int p, int hint, float d)
        {
            int s0 = p * Slots, pos = Slots - 1;
            for (int s = 0; s < Slots; s++)
            {
                int held = Label[s0 + s];
                if (held == hint)
                {
                    if (!(d < Dist[s0 + s]))
                    {
                        return false;
                    }

                    pos = s;
                    break;
                }

                if (held < 0)
                {
                    pos = s;
                    break;
                }
            }

            if (Label[s0 + pos] >= 0 && Label[s0 + pos] != hint && !Before(d, hint, Dist[s0 + pos], Label[s0 + pos]))
            {
                // All slots hold other hints, each nearer than this one.
                return false;
            }

            // Move the entries this one goes before down by one, over the slot it leaves (or the dropped last one).
            while (pos > 0 && Before(d, hint, Dist[s0 + pos - 1], Label[s0 + pos - 1]))
            {
                Dist[s0 + pos] = Dist[s0 + pos - 1];
                Label[s0 + pos] = Label[s0 + pos - 1];
                pos--;
            }

            Dist[s0 + pos] = d;
            Label[s0 + pos] = hint;
            return true;
        }

        private static bool Before(float d, int hint, float otherD, int otherHint) => d < otherD || (d == otherD && hint > otherHint);
    }
}
