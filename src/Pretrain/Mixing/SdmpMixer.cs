using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// SDMP's data mixing for one step (docs/sdmp.md §1): one op per batch drawn uniformly from
/// sdmp.ops, one λ vector (Beta(α, α) squeezed into lambda_range) shared by both views, box
/// positions drawn independently per view. Every draw is a pure function of the step key:
/// the op from stream (key, 0), λ_i from stream ((key, 1), i), view v's box centre for sample i
/// from stream (key, 2, v, i).
/// Presets act only through the config values (ops, lambda_range, target).
/// </summary>
public sealed class SdmpMixer
{
    private readonly MixOp[] _ops;
    private readonly double _alpha, _lo, _hi;

    public SdmpMixer(SdmpConfig config)
    {
        if (config.Ops is null || config.Ops.Length == 0) throw new ArgumentException("sdmp.ops must name at least one op");
        _ops = config.OpKinds;
        if (config.LambdaRange is not { Length: 2 }) throw new ArgumentException("sdmp.lambda_range must be [lo, hi]");
        (_lo, _hi) = (config.LambdaRange[0], config.LambdaRange[1]);
        if (!(0 <= _lo && _lo <= _hi && _hi <= 1)) throw new ArgumentException($"sdmp.lambda_range [{_lo}, {_hi}] must satisfy 0 <= lo <= hi <= 1");
        if (!(config.Alpha > 0)) throw new ArgumentException("sdmp.alpha must be > 0");
        _alpha = config.Alpha;
    }

    public MixOp ChooseOp(ulong key) => _ops[new KeyedRandom(KeyedRandom.Key((long)key, 0)).NextInt(_ops.Length)];

    public float[] DrawLambda(ulong key, int n) => MixLambda.Draw(KeyedRandom.Key((long)key, 1), n, _alpha, _lo, _hi);

    /// <summary>Mixes both views of a step; x1 and x2 are [n, C, H, W] on the training device.</summary>
    public MixResult Mix(Tensor x1, Tensor x2, ulong key)
    {
        MixInput.Validate(x1);
        MixInput.Validate(x2);
        if (x1.shape[0] != x2.shape[0]) throw new ArgumentException($"views have batch sizes {x1.shape[0]} and {x2.shape[0]}");
        int n = (int)x1.shape[0];
        var op = ChooseOp(key);
        var lam = DrawLambda(key, n);
        switch (op)
        {
            case MixOp.Mixup:
            {
                var l = HostToDevice.From(lam, [n], x1.device);
                return new MixResult(Mixup.Apply(x1, l), Mixup.Apply(x2, l), l, l, op);
            }
            case MixOp.CutMix:
            {
                var b1 = Boxes(key, 1, op, Height(x1), Width(x1), lam);
                var b2 = Boxes(key, 2, op, Height(x2), Width(x2), lam);
                return new MixResult(CutMix.Apply(x1, b1), CutMix.Apply(x2, b2),
                    MixBox.LambdaTensor(b2, Height(x2), Width(x2), x2.device),
                    MixBox.LambdaTensor(b1, Height(x1), Width(x1), x1.device), op);
            }
            case MixOp.ResizeMix:
            {
                var b1 = Boxes(key, 1, op, Height(x1), Width(x1), lam);
                var b2 = Boxes(key, 2, op, Height(x2), Width(x2), lam);
                return new MixResult(ResizeMix.Apply(x1, b1), ResizeMix.Apply(x2, b2),
                    NominalLambda(x2, lam), NominalLambda(x1, lam), op);
            }
            default:
                throw new InvalidOperationException($"unhandled op {op}");
        }
    }

    /// <summary>The boxes view <paramref name="view"/> (1 or 2) of step <paramref name="key"/> uses for a box op.</summary>
    public MixBox[] Boxes(ulong key, int view, MixOp op, int height, int width, float[] lambda)
    {
        var boxes = new MixBox[lambda.Length];
        for (int i = 0; i < lambda.Length; i++)
        {
            var rng = new KeyedRandom(KeyedRandom.Key((long)key, 2, view, i));
            boxes[i] = op switch
            {
                MixOp.CutMix => CutMixGeometry.Draw(height, width, lambda[i], ref rng),
                MixOp.ResizeMix => ResizeMixGeometry.Draw(height, width, lambda[i], ref rng),
                _ => throw new ArgumentException($"{op} uses no boxes"),
            };
        }
        return boxes;
    }

    private static Tensor NominalLambda(Tensor x, float[] lam) =>
        HostToDevice.From(lam.Select(l => ResizeMixGeometry.Lambda(Height(x), Width(x), l)).ToArray(), [lam.Length], x.device);

    private static int Height(Tensor x) => (int)x.shape[2];
    private static int Width(Tensor x) => (int)x.shape[3];
}
