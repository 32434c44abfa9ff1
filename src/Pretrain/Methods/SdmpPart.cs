using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Distributed;
using Pretrain.Methods.Losses;
using Pretrain.Mixing;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// One step's views after SDMP: the two clean views (after the swap) and their mixed versions, this
/// rank's rows; the λ the loss weighs with (the global batch's under global partners, else this
/// rank's); where this rank's rows sit among gathered rows (null in one process); the op.
/// </summary>
public sealed record SdmpViews(Tensor View1, Tensor View2, Tensor Mixed1, Tensor Mixed2, Tensor Lambda, QueryRows? Rows, MixOp Op);

/// <summary>
/// SDMP as one part of a method (docs/sdmp.md): the optional view swap, the mixing of both views, and
/// the weighted totals through the golden-tested loss functions. Every draw comes from a sub-stream of
/// the step key, so a resumed run repeats it: stream 1 decides the swap, stream 2 feeds the mixer
/// (op, λ, boxes). Null when sdmp.enabled is false.
/// Data-parallel (docs/sdmp.md §5): with sdmp.partners global (the official code's all-gather) every
/// rank gathers both views, mixes the global batch exactly as one process would and keeps its rows, so
/// partners p(i) = N-1-i span the ranks; with local, each rank mixes its own rows with partners from its
/// own block (draws keyed by rank too): no image traffic, a different (documented) result.
/// </summary>
public sealed class SdmpPart
{
    private const long SwapStream = 1, MixStream = 2;
    private readonly SdmpConfig _cfg;
    private readonly SdmpMixer _mixer;
    private readonly bool _swap;
    private readonly DataParallel _dp;
    private readonly bool _global;

    /// <param name="honoursViewSwap">MoCo v3 swaps its views' roles when sdmp.view_swap is on; DINO
    /// keeps g1 as the source crop (docs/sdmp.md §3).</param>
    private SdmpPart(SdmpConfig cfg, bool honoursViewSwap, DataParallel dp)
    {
        _cfg = cfg;
        _mixer = new SdmpMixer(cfg);
        _swap = honoursViewSwap && cfg.ViewSwap;
        _dp = dp;
        _global = cfg.PartnersKind == SdmpPartners.Global;
    }

    public static SdmpPart? From(SdmpConfig cfg, bool honoursViewSwap, DataParallel? dp = null) =>
        cfg.Enabled ? new SdmpPart(cfg, honoursViewSwap, dp ?? DataParallel.Single) : null;

    /// <summary>Swaps the views when this step's draw says so, then mixes both.</summary>
    public SdmpViews Mix(Tensor view1, Tensor view2, ulong stepKey)
    {
        if (_swap && new KeyedRandom(KeyedRandom.Key((long)stepKey, SwapStream)).Bernoulli(0.5)) (view1, view2) = (view2, view1);
        long n = view1.shape[0];
        if (!_dp.IsDistributed)
        {
            var mix = _mixer.Mix(view1, view2, KeyedRandom.Key((long)stepKey, MixStream));
            return new SdmpViews(view1, view2, mix.Mixed1, mix.Mixed2, mix.Lambda, null, mix.Op);
        }
        var rows = new QueryRows(_dp.Offset(n), n * _dp.World, LocalPartners: !_global);
        if (_global)
        {
            var mix = _mixer.Mix(_dp.Gather(view1), _dp.Gather(view2), KeyedRandom.Key((long)stepKey, MixStream));
            return new SdmpViews(view1, view2, _dp.LocalRows(mix.Mixed1), _dp.LocalRows(mix.Mixed2), mix.Lambda, rows, mix.Op);
        }
        var local = _mixer.Mix(view1, view2, KeyedRandom.Key((long)stepKey, MixStream, _dp.Rank));
        return new SdmpViews(view1, view2, local.Mixed1, local.Mixed2, local.Lambda, rows, local.Op);
    }

    /// <summary>MoCo v3 + SDMP (docs/sdmp.md §2): L_moco(q1, k2) + w_s·L_source + w_m·L_mix. The keys
    /// are every rank's (gathered) when data-parallel.</summary>
    public SdmpMocoTerms MocoTotal(Tensor q1, Tensor q2Mixed, Tensor k1, Tensor k1Mixed, Tensor k2, SdmpViews views, double tau) =>
        SdmpMocoLoss.Total(q1, q2Mixed, k1, k1Mixed, k2, views.Lambda, tau, _cfg.TargetKind, _cfg.WeightSource, _cfg.WeightMix, views.Rows);

    /// <summary>DINO + SDMP (docs/sdmp.md §3): L_dino + w_s·L_source + w_m·L_mix. Under global partners
    /// the teacher rows the targets come from are gathered from every rank.</summary>
    public SdmpDinoTerms DinoTotal(Tensor studentOut, Tensor teacherOut, Tensor studentMixed2, Tensor teacherG1, Tensor teacherMixed1,
        Tensor center, SdmpViews views, double studentTemp, double teacherTemp)
    {
        // Local partners live in this rank's own teacher rows; global ones in the gathered batch.
        var rows = views.Rows is { LocalPartners: false } global ? global : (QueryRows?)null;
        if (rows is not null)
        {
            teacherG1 = _dp.Gather(teacherG1);
            teacherMixed1 = _dp.Gather(teacherMixed1);
        }
        return SdmpDinoLoss.Total(studentOut, teacherOut, studentMixed2, teacherMixed1, center, views.Lambda, studentTemp, teacherTemp,
            _cfg.WeightSource, _cfg.WeightMix, rows, teacherG1);
    }

    /// <summary>The step's logged SDMP scalars.</summary>
    public static void AddScalars(IDictionary<string, double> scalars, SdmpViews views) => scalars["sdmp_op"] = (int)views.Op;
}
