using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Methods.Losses;
using Pretrain.Mixing;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>The two views of a step after SDMP's swap, and their mixed versions.</summary>
public sealed record SdmpViews(Tensor View1, Tensor View2, MixResult Mix);

/// <summary>
/// SDMP as one part of a method (docs/sdmp.md): the optional view swap, the mixing of both views, and
/// the weighted totals through the golden-tested loss functions. Every draw comes from a sub-stream of
/// the step key, so a resumed run repeats it: stream 1 decides the swap, stream 2 feeds the mixer
/// (op, λ, boxes). Null when sdmp.enabled is false.
/// </summary>
public sealed class SdmpPart
{
    private const long SwapStream = 1, MixStream = 2;
    private readonly SdmpConfig _cfg;
    private readonly SdmpMixer _mixer;
    private readonly bool _swap;

    /// <param name="honoursViewSwap">MoCo v3 swaps its views' roles when sdmp.view_swap is on; DINO
    /// keeps g1 as the source crop (docs/sdmp.md §3).</param>
    private SdmpPart(SdmpConfig cfg, bool honoursViewSwap)
    {
        _cfg = cfg;
        _mixer = new SdmpMixer(cfg);
        _swap = honoursViewSwap && cfg.ViewSwap;
    }

    public static SdmpPart? From(SdmpConfig cfg, bool honoursViewSwap) => cfg.Enabled ? new SdmpPart(cfg, honoursViewSwap) : null;

    /// <summary>Swaps the views when this step's draw says so, then mixes both.</summary>
    public SdmpViews Mix(Tensor view1, Tensor view2, ulong stepKey)
    {
        if (_swap && new KeyedRandom(KeyedRandom.Key((long)stepKey, SwapStream)).Bernoulli(0.5)) (view1, view2) = (view2, view1);
        return new SdmpViews(view1, view2, _mixer.Mix(view1, view2, KeyedRandom.Key((long)stepKey, MixStream)));
    }

    /// <summary>MoCo v3 + SDMP (docs/sdmp.md §2): L_moco(q1, k2) + w_s·L_source + w_m·L_mix.</summary>
    public SdmpMocoTerms MocoTotal(Tensor q1, Tensor q2Mixed, Tensor k1, Tensor k1Mixed, Tensor k2, MixResult mix, double tau) =>
        SdmpMocoLoss.Total(q1, q2Mixed, k1, k1Mixed, k2, mix.Lambda, tau, _cfg.TargetKind, _cfg.WeightSource, _cfg.WeightMix);

    /// <summary>DINO + SDMP (docs/sdmp.md §3): L_dino + w_s·L_source + w_m·L_mix.</summary>
    public SdmpDinoTerms DinoTotal(Tensor studentOut, Tensor teacherOut, Tensor studentMixed2, Tensor teacherMixed1,
        Tensor center, MixResult mix, double studentTemp, double teacherTemp) =>
        SdmpDinoLoss.Total(studentOut, teacherOut, studentMixed2, teacherMixed1, center, mix.Lambda, studentTemp, teacherTemp,
            _cfg.WeightSource, _cfg.WeightMix);

    /// <summary>The step's logged SDMP scalars.</summary>
    public static void AddScalars(IDictionary<string, double> scalars, MixResult mix) => scalars["sdmp_op"] = (int)mix.Op;
}
