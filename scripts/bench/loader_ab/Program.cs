// Two loader setups timed on one thread, batch by batch, alternating ABBA so that both see the same load
// on a shared machine; prints medians of wall images/s and of process CPU ms per image.
// dotnet run -c Release --project scripts/bench/loader_ab -- MODE ARGS, MODE one of:
//   shards PHOTO_DIR SHARD_DIR [ROUNDS]: the image folder against its `data pack` shards (both MoCo v3 views at 224)
//   decoder PHOTO_DIR [ROUNDS]:          data.decoder skia against imagesharp (one random resized crop to 224)
//   index SHARD_DIR [ROUNDS]:            time to open (index) the shards
using System.Diagnostics;
using Pretrain.Config;
using Pretrain.Data;

string mode = args.Length > 0 ? args[0] : "";
int RoundsArg(int at, int fallback) => args.Length > at ? int.Parse(args[at]) : fallback;
if (mode == "index")
{
    for (int t = 0, n = RoundsArg(2, 3); t < n; t++)
    {
        var w = Stopwatch.StartNew();
        var split = ShardSplit.Open(args[1], new SkiaImageDecoder(), 2);
        Console.WriteLine($"indexed {split.Count} samples in {split.ShardFiles.Count} shards: {w.Elapsed.TotalMilliseconds:F0} ms");
    }
    return;
}
var moco = new AugmentConfig().Views;
var one = new List<ViewConfig> { new() { Name = "v", CropSize = 224, Scale = [0.08, 1.0] } };
static TrainLoaderOptions Options(IReadOnlyList<ViewConfig> views) => new() { BatchSize = 32, Seed = 1, Views = views, Workers = 0 };
(string Name, TrainLoader Loader)[] sides;
int rounds;
switch (mode)
{
    case "shards":
        sides = [("folder", new TrainLoader(ImageFolderReader.Read(args[1], new SkiaImageDecoder()), Options(moco))),
                 ("shards", new TrainLoader(ShardSplit.Open(args[2], new SkiaImageDecoder(), 2), Options(moco)))];
        rounds = RoundsArg(3, 200);
        break;
    case "decoder":
        sides = [("skia", new TrainLoader(ImageFolderReader.Read(args[1], new SkiaImageDecoder()), Options(one))),
                 ("imagesharp", new TrainLoader(ImageFolderReader.Read(args[1], new ImageSharpDecoder()), Options(one)))];
        rounds = RoundsArg(2, 120);
        break;
    default:
        Console.Error.WriteLine("usage: loader_ab shards PHOTO_DIR SHARD_DIR [ROUNDS] | decoder PHOTO_DIR [ROUNDS] | index SHARD_DIR [ROUNDS]");
        Environment.Exit(2);
        return;
}
var process = Process.GetCurrentProcess();
var wall = sides.Select(_ => new List<double>()).ToArray();
var cpu = sides.Select(_ => new List<double>()).ToArray();
foreach (var s in sides) s.Loader.Batch(0, 0); // warm-up (JIT, page cache)
for (int r = 0; r < rounds; r++)
for (int k = 0; k < sides.Length; k++)
{
    int i = r % 2 == 0 ? k : sides.Length - 1 - k;
    var loader = sides[i].Loader;
    int per = Math.Max(1, loader.BatchesPerEpoch - 1);
    process.Refresh();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var batch = loader.Batch(r / per, 1 + r % per);
    sw.Stop();
    process.Refresh();
    wall[i].Add(batch.Size / sw.Elapsed.TotalSeconds);
    cpu[i].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds / batch.Size);
}
static double Quantile(List<double> x, double q)
{
    var s = x.Order().ToArray();
    double at = q * (s.Length - 1);
    int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
    return s[lo] + (s[hi] - s[lo]) * (at - lo);
}
for (int i = 0; i < sides.Length; i++)
    Console.WriteLine($"{sides[i].Name}: median {Quantile(wall[i], 0.5):F1} img/s wall on one thread (quartiles {Quantile(wall[i], 0.25):F1}-{Quantile(wall[i], 0.75):F1}), " +
                      $"median {Quantile(cpu[i], 0.5):F2} CPU ms/img, {wall[i].Count} batches of 32");
