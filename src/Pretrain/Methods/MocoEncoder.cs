using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>Backbone + projector: the part of MoCo v3 shared by the query and the momentum encoder,
/// so the momentum update can match parameters by name.</summary>
public sealed class MocoEncoder : nn.Module<Tensor, Tensor>
{
    public readonly Backbone backbone;
    public readonly MocoMlp projector;

    public MocoEncoder(Backbone backbone, MocoMlp projector) : base(nameof(MocoEncoder))
    {
        this.backbone = backbone;
        this.projector = projector;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => projector.call(backbone.call(x));
}

/// <summary>Query encoder: encoder + predictor.</summary>
public sealed class MocoQueryEncoder : nn.Module<Tensor, Tensor>
{
    public readonly MocoEncoder encoder;
    public readonly MocoMlp predictor;

    public MocoQueryEncoder(MocoEncoder encoder, MocoMlp predictor) : base(nameof(MocoQueryEncoder))
    {
        this.encoder = encoder;
        this.predictor = predictor;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => predictor.call(encoder.call(x));
}
