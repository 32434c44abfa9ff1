using Pretrain.Config;
using Pretrain.Methods;
using Pretrain.Models;
using Pretrain.Tests.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

public class DinoMultiCropTests
{
    /// <summary>A ViT that records the shape of every batch it is called on.</summary>
    private sealed class RecordingBackbone : Backbone
    {
        private readonly VisionTransformer _vit;
        public List<long[]> Calls { get; } = [];

        public RecordingBackbone(VisionTransformer vit) : base(nameof(RecordingBackbone))
        {
            _vit = vit;
            register_module("vit", _vit);
        }

        public override int FeatureDim => _vit.FeatureDim;

        public override Tensor forward(Tensor x)
        {
            Calls.Add(x.shape);
            return _vit.call(x);
        }

        public override BackboneTokens LastBlockTokens(Tensor x, int n, bool patchMean = true) => _vit.LastBlockTokens(x, n, patchMean);
    }

    private static (DinoNetwork Net, RecordingBackbone Backbone) Build()
    {
        manual_seed(4);
        var backbone = new RecordingBackbone(new VisionTransformer(new VitSettings(16, 4, 32, 1, 2, PosEmbed: PositionEmbeddingKind.Learned)));
        var net = new DinoNetwork(backbone, new DinoHead(32, 64, hiddenDim: 64, bottleneckDim: 16));
        net.eval();
        return (net, backbone);
    }

    [Fact]
    public void TwoGlobalAndFourLocalCropsMakeTwoBackboneCalls()
    {
        using var scope = NewDisposeScope();
        var (net, backbone) = Build();
        var crops = DinoTinyRun.RandomCrops(batch: 3);
        Assert.Equal([(0, 2), (2, 4)], DinoNetwork.ResolutionGroups(crops));

        var outputs = net.Forward(crops);

        Assert.Equal(2, backbone.Calls.Count);
        Assert.Equal([6L, 3, 16, 16], backbone.Calls[0]);
        Assert.Equal([12L, 3, 8, 8], backbone.Calls[1]);
        Assert.Equal([18L, 64], outputs.shape);
        // Crop-major rows: crop c of sample b is row c·B + b, equal to running that crop alone.
        for (int c = 0; c < crops.Length; c++)
            TensorAssert.Close(net.forward(crops[c]), outputs.narrow(0, 3 * c, 3), 1e-5, $"crop {c}");
    }

    [Fact]
    public void GroupsAreRunsOfConsecutiveCropsOfOneSize()
    {
        var g = zeros(2, 3, 16, 16);
        var l = zeros(2, 3, 8, 8);
        var w = zeros(2, 3, 16, 12);
        Assert.Equal([(0, 3), (3, 2)], DinoNetwork.ResolutionGroups([g, g, g, l, l]));     // SDMP student: g1, g2, g̃2, locals
        Assert.Equal([(0, 1), (1, 1), (2, 1), (3, 1)], DinoNetwork.ResolutionGroups([g, l, g, w]));
        Assert.Equal([(0, 1)], DinoNetwork.ResolutionGroups([l]));
    }
}
