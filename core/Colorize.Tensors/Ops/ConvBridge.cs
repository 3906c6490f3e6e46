namespace Colorize.Tensors.Ops;

/// <summary>
/// The convolution kernels the ops call (NCHW, PyTorch semantics): forward, gradient with respect to the input
/// and gradient with respect to the weight, through im2col/col2im and <see cref="GemmBridge"/>.
/// </summary>
internal static class ConvBridge
{
    /// <summary>y[N, Cout, Ho, Wo] = conv(x[N, Cin, H, W], w[Cout, Cin/g, kh, kw]).</summary>
    public static void Forward(float[] x, int[] xs, float[] w, int[] ws, float[] y, int[] ys, ConvGeometry geo)
    {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3];
        int cout = ws[0], kh = ws[2], kw = ws[3];
        int ho = ys[2], wo = ys[3];
        int g = geo.Groups, cinG = cin / g, coutG = cout / g;
        int kdim = cinG * kh * kw, spatial = ho * wo;
        var cols = new float[kdim * spatial];
        for (int b = 0; b < n; b++)
        {
            for (int gi = 0; gi < g; gi++)
            {
                var xin = x.AsSpan(((b * cin) + (gi * cinG)) * h * wd, cinG * h * wd);
                Im2Col(xin, cinG, h, wd, kh, kw, ho, wo, geo, cols);
                GemmBridge.Gemm(false, false, coutG, spatial, kdim,
                    w.AsSpan(gi * coutG * kdim, coutG * kdim), cols,
                    y.AsSpan(((b * cout) + (gi * coutG)) * spatial, coutG * spatial), accumulate: false);
            }
        }
    }

    /// <summary>dx[N, Cin, H, W] = Σ over the kernel of w and dy (the transposed convolution).</summary>
    public static void BackwardInput(float[] dy, int[] ys, float[] w, int[] ws, float[] dx, int[] xs, ConvGeometry geo)
    {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3];
        int cout = ws[0], kh = ws[2], kw = ws[3];
        int ho = ys[2], wo = ys[3];
        int g = geo.Groups, cinG = cin / g, coutG = cout / g;
        int kdim = cinG * kh * kw, spatial = ho * wo;
        var cols = new float[kdim * spatial];
        Array.Clear(dx, 0, n * cin * h * wd);
        for (int b = 0; b < n; b++)
        {
            for (int gi = 0; gi < g; gi++)
            {
                GemmBridge.Gemm(true, false, kdim, spatial, coutG,
                    w.AsSpan(gi * coutG * kdim, coutG * kdim),
                    dy.AsSpan(((b * cout) + (gi * coutG)) * spatial, coutG * spatial), cols, accumulate: false);
                Col2Im(cols, cinG, h, wd, kh, kw, ho, wo, geo, dx.AsSpan(((b * cin) + (gi * cinG)) * h * wd, cinG * h * wd));
            }
        }
    }

    /// <summary>dw[Cout, Cin/g, kh, kw] = Σ over batch and positions of dy·x.</summary>
    public static void BackwardWeight(float[] x, int[] xs, float[] dy, int[] ys, float[] dw, int[] ws, ConvGeometry geo)
    {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3];
        int cout = ws[0], kh = ws[2], kw = ws[3];
        int ho = ys[2], wo = ys[3];
        int g = geo.Groups, cinG = cin / g, coutG = cout / g;
        int kdim = cinG * kh * kw, spatial = ho * wo;
        var cols = new float[kdim * spatial];
        Array.Clear(dw, 0, cout * kdim);
        for (int b = 0; b < n; b++)
        {
            for (int gi = 0; gi < g; gi++)
            {
                var xin = x.AsSpan(((b * cin) + (gi * cinG)) * h * wd, cinG * h * wd);
                Im2Col(xin, cinG, h, wd, kh, kw, ho, wo, geo, cols);
                GemmBridge.Gemm(false, true, coutG, kdim, spatial,
                    dy.AsSpan(((b * cout) + (gi * coutG)) * spatial, coutG * spatial), cols,
                    dw.AsSpan(gi * coutG * kdim, coutG * kdim), accumulate: true);
            }
        }
    }

    private static void Im2Col(ReadOnlySpan<float> x, int c, int h, int w, int kh, int kw, int ho, int wo, ConvGeometry geo, Span<float> cols)
    {
        int row = 0;
        for (int ci = 0; ci < c; ci++)
        {
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++, row++)
                {
                    var dst = cols.Slice(row * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = (oy * geo.StrideH) - geo.PadH + (ki * geo.DilationH);
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = (ox * geo.StrideW) - geo.PadW + (kj * geo.DilationW);
                            dst[(oy * wo) + ox] = (uint)iy < (uint)h && (uint)ix < (uint)w ? x[(((ci * h) + iy) * w) + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    private static void Col2Im(ReadOnlySpan<float> cols, int c, int h, int w, int kh, int kw, int ho, int wo, ConvGeometry geo, Span<float> x)
    {
        int row = 0;
        for (int ci = 0; ci < c; ci++)
        {
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++, row++)
                {
                    var src = cols.Slice(row * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = (oy * geo.StrideH) - geo.PadH + (ki * geo.DilationH);
                        if ((uint)iy >= (uint)h)
                        {
                            continue;
                        }

                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = (ox * geo.StrideW) - geo.PadW + (kj * geo.DilationW);
                            if ((uint)ix < (uint)w)
                            {
                                x[(((ci * h) + iy) * w) + ix] += src[(oy * wo) + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
