using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// torchvision's ColorJitter applied with probability jitter_p, each sample with its own random order
/// of brightness, contrast, saturation and hue. At every step the jittered samples are laid out sorted
/// by the op they take at that step, so each op runs once per step on a contiguous slice, in place;
/// going from one step's layout to the next is one gather, and one scatter writes the result back.
/// All layouts are known on the host and travel in the batch's single index upload (BatchSubsets).
/// </summary>
internal static class ColorJitter
{
    public const int Steps = 4;

    /// <summary>Host plan: per step the layout (sample ids) and the slice [start, start + count) of each op.</summary>
    public sealed record Plan(int[][] Layouts, int[][] FromPrevious, int[,] Start, int[,] Count)
    {
        public int Size => Layouts[0].Length;
    }

    public static Plan MakePlan(PhotometricParams p)
    {
        var jittered = Enumerable.Range(0, p.Count).Where(i => p.Jitter[i]).ToArray();
        foreach (var i in jittered) p.CheckOrder(i);
        var layouts = new int[Steps][];
        var fromPrevious = new int[Steps][];
        var start = new int[Steps, Steps];
        var count = new int[Steps, Steps];
        for (int step = 0; step < Steps; step++)
        {
            // OrderBy is stable: ties keep sample order, so the layout is a pure function of the parameters.
            var layout = jittered.OrderBy(i => p.Order[i][step]).ToArray();
            layouts[step] = layout;
            if (step == 0) fromPrevious[step] = layout;
            else
            {
                var position = new Dictionary<int, int>();
                for (int k = 0; k < layouts[step - 1].Length; k++) position[layouts[step - 1][k]] = k;
                fromPrevious[step] = layout.Select(i => position[i]).ToArray();
            }
            foreach (var i in layout) count[step, p.Order[i][step]]++;
            for (int op = 1; op < Steps; op++) start[step, op] = start[step, op - 1] + count[step, op - 1];
        }
        return new Plan(layouts, fromPrevious, start, count);
    }

    /// <summary>
    /// The plan's index lists, in order: step 0's layout, each later step's gather from the previous
    /// layout, and the last layout's sample ids for the final scatter.
    /// </summary>
    public static IEnumerable<int[]> IndexSets(Plan plan) => plan.FromPrevious.Append(plan.Layouts[Steps - 1]);

    /// <summary>
    /// x [B,3,H,W] jittered in place. factors [B, ≥4] on x's device holds (brightness, contrast,
    /// saturation, hue) per sample; sets[firstSet + step] are the plan's index lists.
    /// </summary>
    public static void ApplyInPlace(Tensor x, Plan plan, Tensor factors, BatchSubsets sets, int firstSet)
    {
        if (plan.Size == 0) return;
        using var scope = NewDisposeScope();
        Tensor? y = null, f = null;
        for (int step = 0; step < Steps; step++)
        {
            var gather = sets.Index(firstSet + step);
            y = y is null ? x.index_select(0, gather) : y.index_select(0, gather);
            f = f is null ? factors.index_select(0, gather) : f.index_select(0, gather);
            for (int op = 0; op < Steps; op++)
            {
                int n = plan.Count[step, op];
                if (n == 0) continue;
                var slice = y.narrow(0, plan.Start[step, op], n);
                var factor = f.narrow(0, plan.Start[step, op], n).select(1, op);
                var result = op switch
                {
                    PhotometricParams.BrightnessOp => ColorOps.AdjustBrightnessInPlace(slice, factor),
                    PhotometricParams.ContrastOp => ColorOps.AdjustContrastInPlace(slice, factor),
                    PhotometricParams.SaturationOp => ColorOps.AdjustSaturationInPlace(slice, factor),
                    _ => ColorOps.AdjustHueInPlace(slice, factor),
                };
                if (!ReferenceEquals(result, slice)) slice.copy_(result);
            }
        }
        // Back to the samples' places: the last layout lists their ids.
        x.index_copy_(0, sets.Index(firstSet + Steps), y!);
    }
}
