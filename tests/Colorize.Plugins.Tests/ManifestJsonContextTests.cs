using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;

namespace Colorize.Plugins.Tests;

/// <summary>
/// <see cref="PackManifestJson.Parse"/> reads with source-generated metadata; it gives what reflection-based
/// deserialisation with the same naming gives, for a manifest with every field and for one with only the required ones.
/// </summary>
public sealed class ManifestJsonContextTests
{
    private static readonly JsonSerializerOptions Reflection = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private const string Full = """
        {
          "schema": 1, "id": "colorize-base", "version": "1.2.3-rc.1", "name": "Base", "description": "A test pack.",
          "architecture": { "name": "resnet-unet", "version": 1,
            "hyperparameters": { "encoderDepth": 18, "width": 0.5, "selfAttention": true, "hints": true, "norm": "batch" } },
          "input": { "colorSpace": "lab", "normalisation": "l/50-1,ab/110", "defaultRenderSize": 256, "minRenderSize": 64,
            "maxRenderSize": 2048, "chromaGain": 1.15, "hints": true },
          "engine": { "range": ">=0.1.0 <2.0.0" },
          "training": { "recipe": "resnet-unet-nogan", "data": [ { "name": "photos", "license": "CC0-1.0", "count": 320 } ],
            "seed": 11, "epochs": 22 },
          "metrics": { "psnr": 22.790829905646586, "epoch": 14 },
          "weights": { "file": "weights.safetensors", "sha256": "1fc89c3072b99d50d2dfb3cbf1891cd62dbbd1b9ea0695dbf83380ade1fe282b", "dtype": "F16" },
          "license": "CC-BY-SA-4.0",
          "files": { "MODEL_CARD.md": "4813d965637f922ec1f0247f8d21ddbee6f826e83c51c69c0679671624632fee" }
        }
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Parse_GivesWhatReflectionGives(bool everyField)
    {
        var node = JsonNode.Parse(Full)!.AsObject();
        if (!everyField)
        {
            foreach (string optional in new[] { "description", "training", "metrics", "files" })
            {
                node.Remove(optional);
            }

            node["input"]!.AsObject().Remove("chromaGain");
            node["input"]!.AsObject().Remove("hints");
            node["architecture"]!["hyperparameters"] = new JsonObject();
        }

        byte[] json = Encoding.UTF8.GetBytes(node.ToJsonString());
        var generated = PackManifestJson.Parse(json);
        var reflected = JsonSerializer.Deserialize<PackManifest>(json, Reflection)!;

        Assert.Equal(JsonSerializer.Serialize(reflected, Reflection), JsonSerializer.Serialize(generated, Reflection));
        Assert.Equal(everyField, generated.Input.Hints);
        Assert.Equal(everyField ? 1.15 : null, generated.Input.ChromaGain);
    }
}
