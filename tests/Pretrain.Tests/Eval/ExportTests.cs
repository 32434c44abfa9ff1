using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Pretrain.Eval;
using Pretrain.Models;
using Pretrain.Tests.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

public class ExportTests
{
    static Backbone TinyVit(long seed)
    {
        var cfg = TinyRun.Config();
        cfg.Model.Depth = 2;
        manual_seed(seed);
        return BackboneFactory.Create(cfg.Model, 16);
    }

    static void AssertSameTensors(nn.Module a, nn.Module b)
    {
        var x = EvalFixtures.Bytes(a);
        var y = EvalFixtures.Bytes(b);
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        foreach (var (k, v) in x) Assert.True(v.AsSpan().SequenceEqual(y[k]), $"{k} differs");
    }

    [Fact]
    public void VitNamesFollowTimm()
    {
        using var vit = TinyVit(1);
        var names = TimmNames.Tensors(vit).Keys.ToHashSet();
        foreach (var k in new[] { "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias", "blocks.0.norm1.weight",
                     "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight", "blocks.1.norm2.bias",
                     "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc2.bias", "norm.weight", "norm.bias" })
            Assert.Contains(k, names);
        Assert.DoesNotContain(names, n => n.StartsWith("patch_embed.weight"));
        Assert.Equal(2 + 2 + 2 * 12 + 2, names.Count);
    }

    [Fact]
    public void ResNetNamesFollowTorchvisionWithRunningStatistics()
    {
        var cfg = EvalFixtures.TinyResNet();
        using var resnet = EvalFixtures.Backbone(cfg);
        var tensors = TimmNames.Tensors(resnet);
        foreach (var k in new[] { "conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                     "layer1.0.conv1.weight", "layer1.0.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var" })
            Assert.Contains(k, tensors.Keys);
        Assert.Equal(ScalarType.Int64, tensors["bn1.num_batches_tracked"].dtype);
        Assert.Empty(tensors["bn1.num_batches_tracked"].shape);
    }

    [Fact]
    public void SafetensorsLayoutIsTheFormatsAndRoundTripsExactly()
    {
        var cfg = EvalFixtures.TinyResNet();
        using var source = EvalFixtures.Backbone(cfg, seed: 1);
        var path = Path.Combine(TinyRun.TempDir(), "b.safetensors");
        SafetensorsFile.Write(path, TimmNames.Tensors(source), new Dictionary<string, string> { ["format"] = "pt", ["arch"] = "resnet" });

        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        var spans = header.Where(kv => kv.Key != "__metadata__")
            .Select(kv => (kv.Key, Dtype: kv.Value!["dtype"]!.GetValue<string>(), Begin: kv.Value["data_offsets"]![0]!.GetValue<long>(), End: kv.Value["data_offsets"]![1]!.GetValue<long>()))
            .OrderBy(s => s.Begin).ToList();
        Assert.Equal(0, spans[0].Begin);
        for (int i = 1; i < spans.Count; i++) Assert.Equal(spans[i - 1].End, spans[i].Begin);   // no holes
        Assert.Equal(bytes.Length - 8 - n, spans[^1].End);
        Assert.Equal("I64", header["bn1.num_batches_tracked"]!["dtype"]!.GetValue<string>());
        Assert.Equal("F32", header["conv1.weight"]!["dtype"]!.GetValue<string>());
        Assert.All(spans.Where(s => s.Dtype == "I64"), s => Assert.Equal(0, s.Begin % 8));

        var (tensors, meta) = SafetensorsFile.Read(path);
        Assert.Equal("resnet", meta["arch"]);
        using var target = EvalFixtures.Backbone(cfg, seed: 2);
        TimmNames.LoadInto(target, tensors);
        AssertSameTensors(source, target);
    }

    [Fact]
    public void VitWithFixedSinCosTableRoundTripsThroughBothFormats()
    {
        using var source = TinyVit(1);
        var dir = TinyRun.TempDir();
        var st = Path.Combine(dir, "vit.safetensors");
        SafetensorsFile.Write(st, TimmNames.Tensors(source));
        var (tensors, _) = SafetensorsFile.Read(st);
        Assert.Equal([1L, 1 + 16, 32], tensors["pos_embed"].shape);
        Assert.True(tensors["pos_embed"].eq(PositionEmbedding.SinCos2d(4, 4, 32)).all().item<bool>());
        using var viaSafetensors = TinyVit(2);
        TimmNames.LoadInto(viaSafetensors, tensors);
        AssertSameTensors(source, viaSafetensors);

        var ts = BackboneExport.TorchSharpPath(st);
        source.save(ts);
        using var viaTorchSharp = TinyVit(3);
        viaTorchSharp.load(ts);
        AssertSameTensors(source, viaTorchSharp);
        using var _ = no_grad();
        var x = randn(2, 3, 16, 16);
        source.eval();
        viaTorchSharp.eval();
        Assert.True(source.call(x).eq(viaTorchSharp.call(x)).all().item<bool>());
    }

    [Fact]
    public void AStockModelIsNamedOnlyWhenEveryArchitecturalFieldMatches()
    {
        // MoCo v3's ViT-S has 12 heads, timm's vit_small_patch16_224 has 6: no stock name, the constructor instead.
        using var mocoVitS = new VisionTransformer(new VitSettings(224, 16, 384, 12, 12));
        Assert.Null(TimmNames.StockModel(mocoVitS, 224));
        Assert.Equal("timm.models.vision_transformer.VisionTransformer(img_size=224, patch_size=16, embed_dim=384, depth=12, num_heads=12, mlp_ratio=4, qkv_bias=True, num_classes=0)",
            TimmNames.Constructor(mocoVitS, 224));
        using var dinoVitS = new VisionTransformer(new VitSettings(224, 16, 384, 12, 6, PosEmbed: Pretrain.Config.PositionEmbeddingKind.Learned));
        Assert.Equal("vit_small_patch16_224", TimmNames.StockModel(dinoVitS, 224));
        Assert.Equal("timm.create_model(\"vit_small_patch16_224\", num_classes=0)", TimmNames.Constructor(dinoVitS, 224));
        Assert.Null(TimmNames.StockModel(dinoVitS, 96));              // another image size: another pos_embed shape
        using var noBias = new VisionTransformer(new VitSettings(224, 16, 192, 12, 3, QkvBias: false));
        Assert.Null(TimmNames.StockModel(noBias, 224));
        Assert.Contains("qkv_bias=False", TimmNames.Constructor(noBias, 224));

        using var r18 = new ResNet(ResNetSettings.ResNet18());
        Assert.Equal("resnet18", TimmNames.StockModel(r18, 224));
        Assert.Equal("torchvision.models.resnet18()", TimmNames.Constructor(r18, 224));
        using var cifar = new ResNet(ResNetSettings.ResNet18(cifarStem: true));
        Assert.Null(TimmNames.StockModel(cifar, 32));
        Assert.Null(TimmNames.Constructor(cifar, 32));
        using var free = new ResNet(new ResNetSettings(Pretrain.Config.BlockKind.Basic, [1, 1, 1, 1], [64, 128, 256, 512]));
        Assert.Null(TimmNames.StockModel(free, 224));
        Assert.Equal("torchvision.models.resnet.ResNet(torchvision.models.resnet.BasicBlock, [1, 1, 1, 1])", TimmNames.Constructor(free, 224));
    }
}
