using Pretrain.Common;
using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>The train split and the val split (null when the source has none and no val_fraction).</summary>
public sealed record DataSplits(IDataSplit Train, IDataSplit? Val)
{
    /// <summary>Both splits exist and carry labels (what k-NN and linear probes need).</summary>
    public bool Labelled => Val is not null && Train.Classes.Count > 0 && Val.Classes.Count > 0;

    private const long HoldoutStream = 0x56414C; // "VAL"
    private const long SubsetStream = 0x535542;  // "SUB"

    /// <summary>Opens data.source with its train/val locations, holds out data.val_fraction of train when
    /// there is no val split, then keeps the deterministic data.fraction / data.limit subset of train.
    /// Throws <see cref="DataException"/> (one line, naming the path) for missing or empty data. Image
    /// files are decoded by <paramref name="decoder"/>, by default data.decoder with data.max_image_pixels.</summary>
    public static DataSplits Open(DataConfig cfg, long seed, IImageDecoder? decoder = null)
    {
        if (cfg.MaxImagePixels < 0) throw new DataException($"data.max_image_pixels must be >= 0, got {cfg.MaxImagePixels}");
        decoder ??= AutoImageDecoder.For(cfg.DecoderKind, cfg.MaxImagePixels);
        var (train, val) = OpenSource(cfg, decoder);
        if (cfg.ValFraction < 0 || cfg.ValFraction >= 1)
            throw new DataException($"data.val_fraction must be in [0, 1), got {cfg.ValFraction}");
        if (cfg.Fraction <= 0 || cfg.Fraction > 1)
            throw new DataException($"data.fraction must be in (0, 1], got {cfg.Fraction}");
        if (cfg.Limit < 0) throw new DataException($"data.limit must be >= 0, got {cfg.Limit}");
        if (val == null && cfg.ValFraction > 0)
        {
            var perm = new KeyedRandom(KeyedRandom.Key(seed, HoldoutStream)).Permutation(train.Count);
            int nVal = (int)Math.Round(train.Count * cfg.ValFraction);
            if (nVal < 1 || nVal >= train.Count)
                throw new DataException($"data.val_fraction {cfg.ValFraction} of {train.Count} samples leaves an empty split: {train.Description}");
            var valIdx = perm[..nVal].Order().ToArray();
            var trainIdx = perm[nVal..].Order().ToArray();
            val = new SubsetSplit(train, valIdx, "val_fraction held out");
            train = new SubsetSplit(train, trainIdx, "train after val_fraction");
        }
        int keep = (int)Math.Round(train.Count * cfg.Fraction);
        if (cfg.Limit > 0) keep = Math.Min(keep, cfg.Limit);
        keep = Math.Max(keep, 1);
        if (keep < train.Count)
        {
            var perm = new KeyedRandom(KeyedRandom.Key(seed, SubsetStream)).Permutation(train.Count);
            train = new SubsetSplit(train, perm[..keep].Order().ToArray(), "data.fraction/limit");
        }
        return new DataSplits(train, val);
    }

    private static (IDataSplit Train, IDataSplit? Val) OpenSource(DataConfig cfg, IImageDecoder decoder)
    {
        switch (cfg.SourceKind)
        {
            case DataSourceKind.Synthetic:
                return (new SyntheticShapes(cfg.Synthetic, train: true),
                        cfg.Synthetic.ValSize > 0 ? new SyntheticShapes(cfg.Synthetic, train: false) : null);
            case DataSourceKind.Imagefolder:
            {
                string? root = cfg.Path;
                string trainRoot = cfg.TrainPath ?? ChildIfPresent(Required(root, "data.path"), "train") ?? root!;
                string? valRoot = cfg.ValPath ?? (root != null && cfg.TrainPath == null ? ChildIfPresent(root, "val") : null);
                var train = ImageFolderReader.Read(trainRoot, decoder);
                // A val file list labels a flat val folder (ImageNet's val/): `file,wnid` or `file,index` lines.
                var val = valRoot == null ? null
                    : File.Exists(valRoot) ? FileListReader.Read(valRoot, decoder, train.Classes)
                    : ImageFolderReader.Read(valRoot, decoder);
                return (train, val);
            }
            case DataSourceKind.Cifar10:
            case DataSourceKind.Cifar100:
            {
                bool c100 = cfg.SourceKind == DataSourceKind.Cifar100;
                var dir = CifarReader.ResolveFolder(RequireFolder(cfg.Path, "data.path"), c100);
                if (!c100) return (CifarReader.ReadCifar10(dir, true), CifarReader.ReadCifar10(dir, false));
                bool fine = cfg.Cifar100Labels == Cifar100Labels.Fine;
                var testFile = Path.Combine(dir, "test.bin");
                return (CifarReader.ReadCifar100(dir, true, fine), File.Exists(testFile) ? CifarReader.ReadCifar100(dir, false, fine) : null);
            }
            case DataSourceKind.Idx:
            {
                string? trainImages = cfg.TrainPath ?? IdxReader.FindImages(RequireFolder(cfg.Path, "data.path"), train: true);
                if (trainImages == null) throw new DataException($"no *train-images-idx3-ubyte(.gz) file in {cfg.Path}");
                string? valImages = cfg.ValPath ?? (cfg.Path != null ? IdxReader.FindImages(cfg.Path, train: false) : null);
                return (IdxReader.Read(trainImages, IdxReader.LabelsFor(trainImages)),
                        valImages != null ? IdxReader.Read(valImages, IdxReader.LabelsFor(valImages)) : null);
            }
            case DataSourceKind.Shards:
            {
                string? root = cfg.Path;
                string trainAt = cfg.TrainPath ?? ChildIfPresent(Required(root, "data.path"), "train") ?? root!;
                string? valAt = cfg.ValPath ?? (root != null && cfg.TrainPath == null ? ChildIfPresent(root, "val") : null);
                int threads = Math.Max(1, cfg.Workers);
                return (ShardSplit.Open(trainAt, decoder, threads), valAt != null ? ShardSplit.Open(valAt, decoder, threads) : null);
            }
            case DataSourceKind.Filelist:
            {
                var trainList = cfg.TrainPath ?? Required(cfg.Path, "data.path");
                return (FileListReader.Read(trainList, decoder), cfg.ValPath != null ? FileListReader.Read(cfg.ValPath, decoder) : null);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(cfg), cfg.SourceKind, "unhandled data.source");
        }
    }

    private static string Required(string? path, string key) =>
        string.IsNullOrWhiteSpace(path) ? throw new DataException($"{key} is not set") : path;

    private static string RequireFolder(string? path, string key)
    {
        var p = Required(path, key);
        return Directory.Exists(p) ? p : throw new DataException($"data folder not found: {p}");
    }

    private static string? ChildIfPresent(string root, string child)
    {
        var p = Path.Combine(root, child);
        return Directory.Exists(p) ? p : null;
    }
}
