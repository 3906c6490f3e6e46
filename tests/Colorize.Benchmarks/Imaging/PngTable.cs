using System.Diagnostics;
using System.Globalization;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.Formats.Png;

namespace Colorize.Benchmarks.Imaging;

/// <summary>
/// PNG encoding time and size per compression level and filter mode, one tab-separated line per case, for
/// <c>pil/bench_png.py</c> to put beside PIL's at the same levels. Each case is timed best of N after a warm-up,
/// with the process's CPU time beside the wall time (on a loaded machine only the CPU time is comparable), and its
/// output is decoded once and compared with the image: every level must be lossless.
/// Run: <c>dotnet Colorize.Benchmarks.dll png-table &lt;a.ppm,b.ppm&gt; &lt;levels&gt; &lt;filters&gt; &lt;threads&gt; [repeats]</c>,
/// e.g. <c>png-table /tmp/colorize-bench/photo24.ppm 1,3,6,9 Adaptive,Up 1,2 3</c>.
/// </summary>
public static class PngTable
{
    public static void Run(IReadOnlyList<string> args)
    {
        string[] images = args[0].Split(',');
        int[] levels = [.. args[1].Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture))];
        PngFilterMode[] filters = [.. args[2].Split(',').Select(Enum.Parse<PngFilterMode>)];
        int[] threadCounts = [.. args[3].Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture))];
        int repeats = args.Count > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine("image\tlevel\tfilter\tthreads\tseconds\tcpu_seconds\tbytes\tlossless");
        foreach (string path in images)
        {
            var image = ReadPpm(path);
            foreach (int threads in threadCounts)
            {
                foreach (int level in levels)
                {
                    foreach (var filter in filters)
                    {
                        var encoder = new PngEncoder { CompressionLevel = level, FilterMode = filter, MaxDegreeOfParallelism = threads };
                        using var output = new MemoryStream(image.Width * image.Height * 4);
                        image.Save(output, encoder);
                        bool lossless = SamePixels(image, Image.Load(output.ToArray()));
                        double best = double.MaxValue, bestCpu = 0;
                        for (int r = 0; r < repeats; r++)
                        {
                            output.SetLength(0);
                            var process = Process.GetCurrentProcess();
                            var cpu = process.TotalProcessorTime;
                            var clock = Stopwatch.StartNew();
                            image.Save(output, encoder);
                            clock.Stop();
                            process.Refresh();
                            if (clock.Elapsed.TotalSeconds < best)
                            {
                                best = clock.Elapsed.TotalSeconds;
                                bestCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
                            }
                        }

                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{Path.GetFileName(path)}\t{level}\t{filter}\t{threads}\t{best:0.000}\t{bestCpu:0.000}\t{output.Length}\t{(lossless ? "yes" : "NO")}"));
                    }
                }
            }
        }
    }

    private static bool SamePixels(Image a, Image b)
    {
        if (a.Width != b.Width || a.Height != b.Height || a.PixelFormat != b.PixelFormat)
        {
            return false;
        }

        for (int y = 0; y < a.Height; y++)
        {
            if (!a.GetRowBytes(y).SequenceEqual(b.GetRowBytes(y)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads a binary PPM (P6, 8-bit), the raw format the Python script writes, as Rgb24.</summary>
    private static Image ReadPpm(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        int position = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)data[position]))
            {
                position++;
            }

            int start = position;
            while (!char.IsWhiteSpace((char)data[position]))
            {
                position++;
            }

            return System.Text.Encoding.ASCII.GetString(data, start, position - start);
        }

        if (Token() != "P6")
        {
            throw new InvalidDataException($"{path} is not a binary PPM (P6).");
        }

        int width = int.Parse(Token(), CultureInfo.InvariantCulture), height = int.Parse(Token(), CultureInfo.InvariantCulture);
        if (Token() != "255")
        {
            throw new InvalidDataException($"{path} is not an 8-bit PPM.");
        }

        position++;
        var image = new Image(width, height, PixelFormat.Rgb24);
        for (int y = 0; y < height; y++)
        {
            data.AsSpan(position + (y * width * 3), width * 3).CopyTo(image.GetRowBytes(y));
        }

        return image;
    }
}
