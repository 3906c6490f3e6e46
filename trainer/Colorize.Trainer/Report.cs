using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>What the epoch loop writes besides checkpoints and metrics: the sample grid and report.html.</summary>
internal static class RunArtifacts
{
    /// <summary>
    /// Writes <c>samples/epoch-NNN.png</c> and rewrites <c>report.html</c>. A failure here (a full disk, say) is
    /// logged and does not stop training: the checkpoint of the epoch is already safe.
    /// </summary>
    public static void AfterEpoch(string runDirectory, int epoch, Module<Tensor, Tensor> generator, IReadOnlyList<PhotoEntry> validation, int size, TextWriter log)
    {
        try
        {
            SampleGrid.Write(runDirectory, epoch, generator, SampleGrid.Pick(validation), size);
            Report.Write(runDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or TrainerException)
        {
            log.WriteLine($"warning: could not write the sample grid or report.html: {e.Message}");
        }
    }
}

/// <summary>
/// <c>report.html</c>: one self-contained page (no scripts, styles or images from elsewhere) with inline SVG charts
/// of metrics.jsonl, the first and latest sample grids as base64 PNG, timing and the run's config.json.
/// </summary>
internal static class Report
{
    public const string FileName = "report.html";

    private static readonly string[] s_palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>Builds the page from the run directory's files and writes it atomically; returns its path.</summary>
    public static string Write(string runDirectory)
    {
        string html = Build(runDirectory);
        string path = Path.Combine(runDirectory, FileName);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(html));
        return path;
    }

    /// <summary>One parsed line of metrics.jsonl: the epoch and every numeric field by its JSON name.</summary>
    internal sealed record EpochRow(int Epoch, IReadOnlyDictionary<string, double> Values)
    {
        public double? this[string name] => Values.TryGetValue(name, out double v) ? v : null;
    }

    /// <summary>
    /// Reads metrics.jsonl; when an epoch appears twice (a run killed between writing its metrics and its checkpoint
    /// trains that epoch again) the later line wins. Unparseable lines (a torn last line) are skipped.
    /// </summary>
    public static IReadOnlyList<EpochRow> ReadMetrics(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "metrics.jsonl");
        var rows = new SortedDictionary<int, EpochRow>();
        if (!File.Exists(path))
        {
            return [];
        }

        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var values = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Number)
                    {
                        values[p.Name] = p.Value.GetDouble();
                    }
                }

                if (values.TryGetValue("epoch", out double epoch))
                {
                    rows[(int)epoch] = new EpochRow((int)epoch, values);
                }
            }
            catch (JsonException)
            {
                // A line cut short by a kill; the next run of the epoch writes it again.
            }
        }

        return [.. rows.Values];
    }

    public static string Build(string runDirectory)
    {
        if (!File.Exists(Path.Combine(runDirectory, "config.json")))
        {
            throw new TrainerException($"{runDirectory} is not a run directory (no config.json).");
        }

        string configText = File.ReadAllText(Path.Combine(runDirectory, "config.json"));
        string recipe = "?", generator = "?";
        int plannedEpochs = 0;
        try
        {
            using var config = JsonDocument.Parse(configText, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = config.RootElement;
            recipe = root.TryGetProperty("recipe", out var r) ? r.GetString() ?? "?" : "?";
            generator = root.TryGetProperty("generator", out var g) && g.TryGetProperty("name", out var n) ? n.GetString() ?? "?" : "?";
            plannedEpochs = root.TryGetProperty("epochs", out var e) && e.TryGetInt32(out int ep) ? ep : 0;
            // A phased recipe's "epochs" is the length of each GAN phase; the run's length is the whole schedule's.
            if (JsonSerializer.Deserialize<TrainConfig>(configText, TrainConfig.Json) is { } parsed)
            {
                plannedEpochs = TrainingSchedule.From(parsed).TotalEpochs;
            }
        }
        catch (JsonException)
        {
            // Shown as text below anyway.
        }

        var rows = ReadMetrics(runDirectory);
        var best = Checkpoints.ReadState(runDirectory, Checkpoints.Best);
        var html = new StringBuilder();
        string title = $"colorize-train run: {recipe} ({Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory)))})";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Enc(title)).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}")
            .Append("h1{font-size:22px}h2{font-size:18px;margin-top:28px}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #ddd;background:#fff}")
            .Append("pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}img{image-rendering:pixelated;max-width:100%}")
            .Append("\n</style>\n</head>\n<body>\n");
        html.Append("<h1>").Append(Enc(title)).Append("</h1>\n");

        // Summary.
        html.Append("<table>\n");
        Row("recipe", $"{recipe} ({generator})");
        Row("epochs", rows.Count == 0 ? $"0 of {plannedEpochs}" : $"{rows[^1].Epoch} of {plannedEpochs}");
        if (rows.Count > 0)
        {
            var last = rows[^1];
            Row("latest validation PSNR", $"{F(last["psnr"], "F2")} dB (all-grey baseline {F(last["psnrGrey"], "F2")} dB)");
            if (last["auc"] is not null)
            {
                Row("latest validation AuC", $"{F(last["auc"], "F2")} % (grey {F(last["aucGrey"], "F2")} %)");
            }

            Row("latest colourfulness", $"{F(last["colorfulnessPred"], "F1")} (truth {F(last["colorfulnessTruth"], "F1")}, ΔCF {F(last["deltaColorfulness"], "F1")})");
            double total = rows.Sum(x => x["seconds"] ?? 0);
            Row("time", $"{total.ToString("F0", CultureInfo.InvariantCulture)} s for {rows.Count} epochs in this file; {F(rows.Average(x => x["seconds"] ?? 0), "F1")} s per epoch, {F(rows.Average(x => x["imagesPerSecond"] ?? 0), "F1")} training img/s on average");
        }

        if (best is not null)
        {
            Row("best checkpoint", $"epoch {best.BestEpoch}, validation PSNR {F(best.BestPsnr, "F2")} dB");
        }

        html.Append("</table>\n");

        // Charts.
        html.Append("<h2>Losses and validation metrics per epoch</h2>\n<div class=\"charts\">\n");
        // The adversarial terms are about 1 while the total carries λ·L1, so they get a chart of their own.
        Chart("Generator loss (total)", "loss", ("G", "lossG"));
        Chart("Adversarial losses", "loss", ("G adversarial", "lossGAdv"), ("D", "lossD"));
        Chart("L1 on ab (training)", "L1 (ab/110)", ("L1", "lossL1"));
        Chart("Validation PSNR", "dB", ("model", "psnr"), ("all-grey baseline", "psnrGrey"));
        Chart("Validation AuC (ab error ≤ 0…150)", "%", ("model", "auc"), ("all-grey baseline", "aucGrey"));
        Chart("Validation ab MAE", "ab units", ("MAE", "abMae"));
        Chart("Validation colourfulness", "CF", ("prediction", "colorfulnessPred"), ("truth", "colorfulnessTruth"), ("ΔCF", "deltaColorfulness"));
        Chart("Learning rate (generator)", "rate", ("lr", "learningRate"));
        Chart("Training throughput", "img/s", ("img/s", "imagesPerSecond"));
        Chart("Time per epoch", "s", ("total", "seconds"), ("training", "trainSeconds"));
        html.Append("</div>\n");

        // Sample grids.
        html.Append("<h2>Samples (grayscale input | colorized | truth)</h2>\n");
        var grids = Directory.Exists(Path.Combine(runDirectory, SampleGrid.Folder))
            ? Directory.GetFiles(Path.Combine(runDirectory, SampleGrid.Folder), "epoch-*.png").Order(StringComparer.Ordinal).ToList()
            : [];
        if (grids.Count == 0)
        {
            html.Append("<p>No sample grids yet.</p>\n");
        }
        else
        {
            foreach (string grid in grids.Count == 1 ? new[] { grids[0] } : new[] { grids[^1], grids[0] })
            {
                byte[] png = File.ReadAllBytes(grid);
                // Small training crops are shown enlarged (whole multiples, pixelated) so they can be judged by eye.
                int pngWidth = png.Length >= 24 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)) : 0;
                int zoom = pngWidth is > 0 and < 480 ? (int)Math.Ceiling(480.0 / pngWidth) : 1;
                html.Append("<figure><img alt=\"").Append(Enc(Path.GetFileName(grid))).Append('"')
                    .Append(zoom > 1 ? Inv($" width=\"{pngWidth * zoom}\"") : "").Append(" src=\"data:image/png;base64,")
                    .Append(Convert.ToBase64String(png)).Append("\"><figcaption>")
                    .Append(Enc(Path.GetFileNameWithoutExtension(grid))).Append(grid == grids[^1] ? " (latest)" : " (first)").Append("</figcaption></figure>\n");
            }
        }

        // Timing table.
        html.Append("<h2>Epochs</h2>\n<table>\n<tr><th>epoch</th><th>step</th><th>loss G</th><th>L1</th><th>val PSNR</th><th>grey PSNR</th><th>AuC</th><th>ab MAE</th><th>CF</th><th>ΔCF</th><th>lr</th><th>s</th><th>train s</th><th>img/s</th></tr>\n");
        foreach (var r in rows)
        {
            html.Append("<tr>");
            foreach (var (key, format) in new[] { ("epoch", "F0"), ("step", "F0"), ("lossG", "F4"), ("lossL1", "F4"), ("psnr", "F2"), ("psnrGrey", "F2"), ("auc", "F2"), ("abMae", "F2"), ("colorfulnessPred", "F1"), ("deltaColorfulness", "F1"), ("learningRate", "G3"), ("seconds", "F1"), ("trainSeconds", "F1"), ("imagesPerSecond", "F1") })
            {
                html.Append("<td>").Append(F(r[key], format)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n");
        html.Append("<h2>config.json</h2>\n<pre>").Append(Enc(configText)).Append("</pre>\n");
        html.Append("<p>Written ").Append(Enc(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append(" UTC by colorize-train.</p>\n</body>\n</html>\n");
        return html.ToString();

        void Row(string name, string value) => html.Append("<tr><th style=\"text-align:left\">").Append(Enc(name)).Append("</th><td style=\"text-align:left\">").Append(Enc(value)).Append("</td></tr>\n");

        void Chart(string chartTitle, string unit, params (string Label, string Key)[] series)
        {
            var present = series
                .Select(s => (s.Label, Points: rows.Where(r => r[s.Key] is { } v && double.IsFinite(v)).Select(r => (X: (double)r.Epoch, Y: r[s.Key]!.Value)).ToList()))
                .Where(s => s.Points.Count > 0)
                .ToList();
            if (present.Count > 0)
            {
                html.Append(Svg(chartTitle, unit, present)).Append('\n');
            }
        }
    }

    /// <summary>A line chart as inline SVG (no namespace URL: inline SVG in HTML needs none).</summary>
    internal static string Svg(string title, string unit, IReadOnlyList<(string Label, List<(double X, double Y)> Points)> series)
    {
        const int width = 520, height = 260, left = 64, right = 12, top = 40, bottom = 36;
        double xMin = series.Min(s => s.Points.Min(p => p.X)), xMax = series.Max(s => s.Points.Max(p => p.X));
        double yMin = series.Min(s => s.Points.Min(p => p.Y)), yMax = series.Max(s => s.Points.Max(p => p.Y));
        if (xMax == xMin)
        {
            (xMin, xMax) = (xMin - 1, xMax + 1);
        }

        if (yMax == yMin)
        {
            double pad = Math.Abs(yMin) > 0 ? Math.Abs(yMin) * 0.1 : 1;
            (yMin, yMax) = (yMin - pad, yMax + pad);
        }
        else
        {
            double pad = (yMax - yMin) * 0.05;
            (yMin, yMax) = (yMin - pad, yMax + pad);
        }

        double X(double x) => left + (x - xMin) / (xMax - xMin) * (width - left - right);
        double Y(double y) => top + (yMax - y) / (yMax - yMin) * (height - top - bottom);
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.Append("<title>").Append(Enc(title)).Append("</title>");
        svg.Append(Inv($"<text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">")).Append(Enc(title)).Append("</text>");
        // Axes and grid lines with five y ticks and at most ten x ticks on whole epochs.
        svg.Append(Inv($"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"#888\"/>"));
        svg.Append(Inv($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#888\"/>"));
        // Enough decimals that neighbouring ticks differ (losses of a slow run change in the fourth digit).
        double tickStep = (yMax - yMin) / 4;
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(tickStep)) + 1, 0, 8);
        string tickFormat = Math.Max(Math.Abs(yMin), Math.Abs(yMax)) >= 1e6 ? "G4" : "F" + decimals.ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i <= 4; i++)
        {
            double v = yMin + tickStep * i;
            double y = Y(v);
            svg.Append(Inv($"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{width - right}\" y2=\"{y:F1}\" stroke=\"#eee\"/>"));
            svg.Append(Inv($"<text x=\"{left - 4}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{v.ToString(tickFormat, CultureInfo.InvariantCulture)}</text>"));
        }

        int firstEpoch = (int)Math.Ceiling(xMin), lastEpoch = (int)Math.Floor(xMax);
        int stepX = Math.Max(1, (int)Math.Ceiling((lastEpoch - firstEpoch + 1) / 10.0));
        for (int e = firstEpoch; e <= lastEpoch; e += stepX)
        {
            svg.Append(Inv($"<text x=\"{X(e):F1}\" y=\"{height - bottom + 14}\" text-anchor=\"middle\">{e}</text>"));
        }

        svg.Append(Inv($"<text x=\"{(left + width - right) / 2}\" y=\"{height - 4}\" text-anchor=\"middle\">epoch</text>"));
        svg.Append(Inv($"<text x=\"12\" y=\"{(top + height - bottom) / 2}\" transform=\"rotate(-90 12 {(top + height - bottom) / 2})\" text-anchor=\"middle\">")).Append(Enc(unit)).Append("</text>");
        for (int s = 0; s < series.Count; s++)
        {
            string colour = s_palette[s % s_palette.Length];
            var pts = series[s].Points;
            svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" points=\""))
                .AppendJoin(' ', pts.Select(p => Inv($"{X(p.X):F1},{Y(p.Y):F1}"))).Append("\"/>");
            if (pts.Count <= 60)
            {
                foreach (var p in pts)
                {
                    svg.Append(Inv($"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"2.5\" fill=\"{colour}\"/>"));
                }
            }

            double lx = left + 8 + s * 130;
            svg.Append(Inv($"<rect x=\"{lx}\" y=\"24\" width=\"10\" height=\"4\" fill=\"{colour}\"/><text x=\"{lx + 14}\" y=\"30\">")).Append(Enc(series[s].Label)).Append("</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
}
