using System.Globalization;
using Pretrain.Config;
using Pretrain.Models;

namespace Pretrain.Eval;

/// <summary>
/// `pretrain export`: the backbone alone, as safetensors with timm names (loadable in PyTorch without
/// pickle) and in TorchSharp's own format (<c>Module.save</c>; load it into
/// <c>BackboneFactory.Create(model config, image size)</c> with <c>Module.load</c>).
/// </summary>
public static class BackboneExport
{
    public sealed record Files(string Safetensors, string TorchSharp, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>The TorchSharp file beside a safetensors path: backbone.safetensors → backbone.torchsharp.bin.</summary>
    public static string TorchSharpPath(string safetensorsPath) =>
        Path.ChangeExtension(safetensorsPath, null) + ".torchsharp.bin";

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
        return new Files(Path.GetFullPath(safetensorsPath), Path.GetFullPath(tsPath), metadata);
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
        if (TimmNames.TimmModel(backbone, imageSize) is { } timm) m["timm_model"] = timm;
        return m;
    }
}
