namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>
/// The state-dict keys and shapes of the pix2pix reference <c>UnetGenerator(1, 2, num_downs, ngf,
/// norm_layer=BatchNorm2d)</c>, written out from the PyTorch code's structure (junyanz/pytorch-CycleGAN-and-pix2pix
/// networks.py: UnetSkipConnectionBlock's Sequential indices), not from our engine: the engine must accept them.
/// </summary>
internal static class Pix2PixWeights
{
    public static List<SafeTensorsWriter.Tensor> Create(int numDowns = 5, int ngf = 8, int seed = 1)
    {
        var random = new Random(seed);
        var tensors = new List<SafeTensorsWriter.Tensor>();

        void Add(string name, params int[] shape)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            float[] values;
            if (name.EndsWith("running_var", StringComparison.Ordinal) || (name.EndsWith(".weight", StringComparison.Ordinal) && shape.Length == 1))
            {
                values = [.. Enumerable.Range(0, n).Select(_ => 0.5f + (float)random.NextDouble())];
            }
            else if (name.EndsWith("bias", StringComparison.Ordinal) || name.EndsWith("running_mean", StringComparison.Ordinal))
            {
                values = [.. Enumerable.Range(0, n).Select(_ => 0.1f * (float)(random.NextDouble() - 0.5))];
            }
            else
            {
                // Conv weights: wide enough that the random network paints visible colour.
                values = [.. Enumerable.Range(0, n).Select(_ => 0.3f * (float)(random.NextDouble() - 0.5))];
            }

            tensors.Add(new SafeTensorsWriter.Tensor(name, shape, values));
        }

        void BatchNorm(string prefix, int channels)
        {
            Add(prefix + ".weight", channels);
            Add(prefix + ".bias", channels);
            Add(prefix + ".running_mean", channels);
            Add(prefix + ".running_var", channels);
            tensors.Add(new SafeTensorsWriter.Tensor(prefix + ".num_batches_tracked", [], [0f], "I64"));
        }

        // Levels from the outside in: (outer channels, inner channels, input channels).
        var levels = new List<(int Outer, int Inner, int Input)> { (2, ngf, 1), (ngf, ngf * 2, ngf), (ngf * 2, ngf * 4, ngf * 2), (ngf * 4, ngf * 8, ngf * 4) };
        for (int i = 0; i < numDowns - 5; i++)
        {
            levels.Add((ngf * 8, ngf * 8, ngf * 8));
        }

        levels.Add((ngf * 8, ngf * 8, ngf * 8)); // innermost
        string prefix = "model.";
        for (int level = 0; level < levels.Count; level++)
        {
            var (outer, inner, input) = levels[level];
            if (level == 0)
            {
                // [downconv, submodule, uprelu, upconv (bias), tanh]
                Add(prefix + "model.0.weight", inner, input, 4, 4);
                Add(prefix + "model.3.weight", inner * 2, outer, 4, 4);
                Add(prefix + "model.3.bias", outer);
                prefix += "model.1.";
            }
            else if (level == levels.Count - 1)
            {
                // [downrelu, downconv, uprelu, upconv, upnorm]
                Add(prefix + "model.1.weight", inner, input, 4, 4);
                Add(prefix + "model.3.weight", inner, outer, 4, 4);
                BatchNorm(prefix + "model.4", outer);
            }
            else
            {
                // [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm(, dropout)]
                Add(prefix + "model.1.weight", inner, input, 4, 4);
                BatchNorm(prefix + "model.2", inner);
                Add(prefix + "model.5.weight", inner * 2, outer, 4, 4);
                BatchNorm(prefix + "model.6", outer);
                prefix += "model.3.";
            }
        }

        return tensors;
    }
}
