using System.Diagnostics;
using Pretrain.Config;
using Pretrain.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// Wall-clock cost of the device photometric stage on a synthetic batch: the conversion alone, each op
/// alone on every sample (p = 1), and the two MoCo view pipelines end to end. Milliseconds per batch,
/// the median of `repeats` runs after one warm-up.
/// </summary>
public static class AugmentBench
{
    public static IReadOnlyDictionary<string, double> Run(Device device, int batch = 64, int size = 224, int repeats = 5)
    {
        var pixels = new byte[(long)batch * size * size * 3];
        new Random(1).NextBytes(pixels);
        var keys = Enumerable.Range(0, batch).Select(i => KeyedRandom.Key(7, i)).ToArray();
        var cfg = new AugmentConfig();
        var augmenter = new BatchAugmenter(cfg);

        ViewConfig Only(Action<ViewConfig> set)
        {
            var v = new ViewConfig { JitterP = 0, GrayscaleP = 0, BlurP = 0, SolarizeP = 0 };
            set(v);
            return v;
        }
        var stages = new (string Name, ViewConfig View)[]
        {
            ("jitter_all", Only(v => v.JitterP = 1)),
            ("grayscale_all", Only(v => v.GrayscaleP = 1)),
            ("blur_all", Only(v => v.BlurP = 1)),
            ("solarize_all", Only(v => v.SolarizeP = 1)),
            ("moco_view1", ViewConfig.MocoView1()),
            ("moco_view2", ViewConfig.MocoView2()),
        };

        var result = new Dictionary<string, double>();
        result["to_tensor"] = Median(repeats, device, () =>
        {
            using var x = augmenter.ToTensor(pixels, batch, size, device);
        });
        result["to_tensor_normalize"] = Median(repeats, device, () =>
        {
            using var scope = NewDisposeScope();
            augmenter.Apply(new RawView { Pixels = pixels, CropSize = size, Config = Only(_ => { }), SampleKeys = keys }, device);
        });
        foreach (var (name, view) in stages)
        {
            var raw = new RawView { Pixels = pixels, CropSize = size, Config = view, SampleKeys = keys };
            result[name] = Median(repeats, device, () =>
            {
                using var x = augmenter.Apply(raw, device);
            });
        }
        return result;
    }

    private static double Median(int repeats, Device device, Action body)
    {
        body();
        var times = new double[Math.Max(1, repeats)];
        for (int i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            body();
            if (device.type == DeviceType.CUDA) cuda.synchronize(device);
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}
