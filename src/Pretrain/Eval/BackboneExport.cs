using System.Globalization;
using Pretrain.Config;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// `pretrain export`: the backbone alone, as safetensors with timm names (loadable in PyTorch without
/// pickle) and in TorchSharp's own format (<c>Module.save</c>; load it into
/// <c>BackboneFactory.Create(model config, image size)</c> with <c>Module.load</c>).
/// </summary>
public static class BackboneExport
{
    public sealed record Files(string Safetensors, string TorchSharp, string Check, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>The TorchSharp file beside a safetensors path: backbone.safetensors → backbone.torchsharp.bin.</summary>
    public static string TorchSharpPath(string safetensorsPath) =>
        Path.ChangeExtension(safetensorsPath, null) + ".torchsharp.bin";

    /// <summary>The interop check file beside it: backbone.safetensors → backbone.check.safetensors.</summary>
    public static string CheckPath(string safetensorsPath) =>
        Path.ChangeExtension(safetensorsPath, null) + ".check.safetensors";

    /// <summary>Images in the check file (a fixed-seed normal draw, the normalised-input scale).</summary>
    public const int CheckImages = 2;

    public static Files Write(PretrainedModel model, string which, string safetensorsPath)
    {
        var backbone = model.Backbone(which);
        var dir = Path.GetDirectoryName(Path.GetFullPath(safetensorsPath))!;
        Directory.CreateDirectory(dir);
        int imageSize = model.Config.Augment.Views[0].CropSize;
        var metadata = Metadata(model, which, backbone, imageSize);
        SafetensorsFile.Write(safetensorsPath, TimmNames.Tensors(backbone), metadata);
        var tsPath = TorchSharpPath(safetensorsPath);
        backbone.save(tsPath);
        var checkPath = CheckPath(safetensorsPath);
        WriteCheck(backbone, imageSize, checkPath);
        return new Files(Path.GetFullPath(safetensorsPath), Path.GetFullPath(tsPath), Path.GetFullPath(checkPath), metadata);
    }

    /// <summary>
    /// A fixed input and the backbone's features for it (eval mode: BatchNorm running statistics), so a
    /// reader in another framework (scripts/check_export.py) can prove it computes the same function.
    /// </summary>
    private static void WriteCheck(Backbone backbone, int imageSize, string path)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var wasTraining = backbone.training;
        backbone.eval();
        try
        {
            var gen = new Generator(20240611, CPU);
            var input = randn([CheckImages, 3, imageSize, imageSize], generator: gen);
            var device = backbone.parameters().First().device;
            var features = backbone.call(input.to(device)).cpu();
            SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["input"] = input, ["features"] = features },
                new Dictionary<string, string> { ["format"] = "pt", ["what"] = "input [N,3,H,W] and the exported backbone's eval-mode features for it" });
        }
        finally
        {
            backbone.train(wasTraining);
        }
    }

    private static Dictionary<string, string> Metadata(PretrainedModel model, string which, Backbone backbone, int imageSize)
    {
        var m = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["producer"] = "pretrain export",
            ["source_checkpoint"] = model.CheckpointPath,
            ["global_step"] = model.Step.ToString(CultureInfo.InvariantCulture),
            ["method"] = model.Config.Method.Name,
            ["backbone"] = which,
            ["arch"] = model.Config.Model.Arch,
            ["image_size"] = imageSize.ToString(CultureInfo.InvariantCulture),
            ["feature_dim"] = backbone.FeatureDim.ToString(CultureInfo.InvariantCulture),
            ["model_config"] = ConfigWriter.SectionYaml(model.Config.Model),
        };
        if (backbone is VisionTransformer vit)
        {
            var s = vit.Settings;
            m["patch_size"] = s.PatchSize.ToString(CultureInfo.InvariantCulture);
            m["embed_dim"] = s.EmbedDim.ToString(CultureInfo.InvariantCulture);
            m["depth"] = s.Depth.ToString(CultureInfo.InvariantCulture);
            m["num_heads"] = s.NumHeads.ToString(CultureInfo.InvariantCulture);
            m["pos_embed"] = s.PosEmbed == PositionEmbeddingKind.SinCos ? "fixed 2-D sin-cos table (exported for timm; not trained)" : "learned";
        }
        if (TimmNames.StockModel(backbone, imageSize) is { } stock) m[backbone is VisionTransformer ? "timm_model" : "torchvision_model"] = stock;
        if (TimmNames.Constructor(backbone, imageSize) is { } constructor) m["python_constructor"] = constructor;
        return m;
    }
}
