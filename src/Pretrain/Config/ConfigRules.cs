using System.Globalization;
using System.Text.RegularExpressions;

namespace Pretrain.Config;

/// <summary>
/// Value checks on the deserialized config: enumerations, ranges, list lengths, cross-key constraints
/// and data paths. They run before any work starts so a bad value costs seconds, not a training run.
/// The first failure is reported, pointing at the key's file position (or the top file for defaults).
/// </summary>
internal sealed partial class ConfigRules(ConfigTree tree)
{
    public static void Check(RunConfig config, ConfigTree tree) => new ConfigRules(tree).CheckAll(config);

    void CheckAll(RunConfig c)
    {
        CheckExperiment(c.Experiment);
        CheckData(c.Data);
        CheckAugment(c.Augment);
        CheckModel(c.Model);
        CheckMethod(c.Method);
        CheckSdmp(c.Sdmp);
        CheckOptimizer(c.Optimizer);
        CheckTraining(c.Training);
        CheckEval(c.Eval);
        Require(LogLevels.Canonical(c.Logging.Level) is not null, "logging.level",
            $"'{c.Logging.Level}' is not one of {string.Join(", ", LogLevels.Names)} (or {string.Join(", ", LogLevels.Aliases.Keys)})");
    }

    void CheckExperiment(ExperimentConfig e)
    {
        Require(e.Name.Length > 0 && e.Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && e.Name is not ("." or ".."),
            "experiment.name", $"must be a folder name (no '/'), got '{e.Name}'");
        Require(e.Output.Length > 0, "experiment.output", "must not be empty");
        Require(DevicePattern().IsMatch(e.Device), "experiment.device", $"must be auto, cpu, cuda or cuda:N, got '{e.Device}'");
        AtLeast(e.Threads, 0, "experiment.threads");
    }

    void CheckData(DataConfig d)
    {
        OneOf<DataSourceKind>(d.Source, "data.source");
        Require(d.ValFraction is >= 0 and < 1, "data.val_fraction", $"must be in [0, 1), got {Num(d.ValFraction)}");
        Require(d.Fraction is > 0 and <= 1, "data.fraction", $"must be in (0, 1], got {Num(d.Fraction)}");
        AtLeast(d.Limit, 0, "data.limit");
        AtLeast(d.ImageSize, 1, "data.image_size");
        AtLeast(d.Workers, 0, "data.workers");
        AtLeast(d.Prefetch, 1, "data.prefetch");
        OneOf<OnErrorPolicy>(d.OnError, "data.on_error");
        AtLeast(d.MaxImagePixels, 0, "data.max_image_pixels", " (0 = no limit)");
        OneOf<Cifar100Labels>(d.LabelKind, "data.label_kind");
        OneOf<ImageDecoderKind>(d.Decoder, "data.decoder");
        AtLeast(d.ShuffleBuffer, 0, "data.shuffle_buffer", " (0 = shard order only)");

        var s = d.Synthetic;
        AtLeast(s.Classes, 2, "data.synthetic.classes");
        AtLeast(s.TrainSize, 1, "data.synthetic.train_size");
        AtLeast(s.ValSize, 0, "data.synthetic.val_size");
        AtLeast(s.Size, 8, "data.synthetic.size");

        if (d.SourceKind == DataSourceKind.Synthetic) return;
        Require(d.Path is not null || d.TrainPath is not null, "data.path", $"required when data.source is {d.Source} (or give data.train_path)");
        CheckExists(d.Path, "data.path", d.SourceKind);
        CheckExists(d.TrainPath, "data.train_path", d.SourceKind);
        CheckExists(d.ValPath, "data.val_path", d.SourceKind);
    }

    void CheckExists(string? path, string key, DataSourceKind source)
    {
        if (path is null) return;
        bool exists = File.Exists(path) || Directory.Exists(path) || (source == DataSourceKind.Idx && IdxPrefixExists(path))
                      || (source == DataSourceKind.Shards && ShardPatternFolderExists(path));
        Require(exists, key, $"no such file or folder: {path} (relative paths resolve against {Environment.CurrentDirectory})");
    }

    // A shard location may be a brace pattern (`shards/train-{000000..000099}.tar`): its folder must exist;
    // the shard files themselves are checked when the data is opened.
    static bool ShardPatternFolderExists(string pattern)
    {
        if (!pattern.Contains('{')) return false;
        var dir = Path.GetDirectoryName(Path.GetFullPath(pattern));
        return dir is not null && Directory.Exists(dir);
    }

    // An IDX location may be a prefix of the file names (`mnist/train` for `mnist/train-images-idx3-ubyte`).
    static bool IdxPrefixExists(string prefix)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix));
        var name = Path.GetFileName(prefix);
        return dir is not null && name.Length > 0 && Directory.Exists(dir) && Directory.EnumerateFiles(dir, name + "*").Any();
    }

    void CheckAugment(AugmentConfig a)
    {
        Require(a.Mean.Length == 3, "augment.mean", $"needs 3 values (one per RGB channel), got {a.Mean.Length}");
        Require(a.Std.Length == 3 && a.Std.All(v => v > 0), "augment.std", "needs 3 values > 0 (one per RGB channel)");
        Require(a.Views.Count > 0, "augment.views", "needs at least one view");
        AtLeast(a.EvalResize, 0, "augment.eval_resize");
        OneOf<AugmentStage>(a.Stage, "augment.stage");
        for (int i = 0; i < a.Views.Count; i++) CheckView(a.Views[i], $"augment.views[{i}]");
    }

    void CheckView(ViewConfig v, string key)
    {
        Require(v.Name.Length > 0, $"{key}.name", "must not be empty");
        AtLeast(v.Count, 1, $"{key}.count");
        AtLeast(v.CropSize, 1, $"{key}.crop_size");
        OrderedPair(v.Scale, $"{key}.scale", 0, 1, lowExclusive: true);
        OrderedPair(v.Ratio, $"{key}.ratio", 0, double.PositiveInfinity, lowExclusive: true);
        OneOf<ResampleFilter>(v.Interpolation, $"{key}.interpolation");
        Probability(v.FlipP, $"{key}.flip_p");
        Probability(v.JitterP, $"{key}.jitter_p");
        AtLeastReal(v.Brightness, 0, $"{key}.brightness");
        AtLeastReal(v.Contrast, 0, $"{key}.contrast");
        AtLeastReal(v.Saturation, 0, $"{key}.saturation");
        Require(v.Hue is >= 0 and <= 0.5, $"{key}.hue", $"must be in [0, 0.5], got {Num(v.Hue)}");
        Probability(v.GrayscaleP, $"{key}.grayscale_p");
        Probability(v.BlurP, $"{key}.blur_p");
        OrderedPair(v.BlurSigma, $"{key}.blur_sigma", 0, double.PositiveInfinity, lowExclusive: true);
        Probability(v.SolarizeP, $"{key}.solarize_p");
    }

    void CheckModel(ModelConfig m)
    {
        OneOf<ArchKind>(m.Arch, "model.arch");
        AtLeast(m.PatchSize, 1, "model.patch_size");
        AtLeast(m.EmbedDim, 0, "model.embed_dim");
        AtLeast(m.Depth, 0, "model.depth");
        AtLeast(m.NumHeads, 0, "model.num_heads");
        Positive(m.MlpRatio, "model.mlp_ratio");
        Require(m.DropPath is >= 0 and < 1, "model.drop_path", $"must be in [0, 1), got {Num(m.DropPath)}");
        OneOf<PositionEmbeddingKind>(m.PosEmbed, "model.pos_embed");
        OneOf<BlockKind>(m.Block, "model.block");
        Require(m.Layers.All(v => v > 0), "model.layers", "blocks per stage must be > 0");
        Require(m.Widths.All(v => v > 0), "model.widths", "widths must be > 0");
        if (m.ArchKind == ArchKind.Vit)
        {
            AtLeast(m.EmbedDim, 1, "model.embed_dim", " (arch vit has no preset size)");
            AtLeast(m.Depth, 1, "model.depth", " (arch vit has no preset size)");
            AtLeast(m.NumHeads, 1, "model.num_heads", " (arch vit has no preset size)");
        }
        if (m.EmbedDim > 0 && m.NumHeads > 0)
            Require(m.EmbedDim % m.NumHeads == 0, "model.embed_dim", $"{m.EmbedDim} is not divisible by model.num_heads {m.NumHeads}");
        Require(!m.ChannelsLast || m.ArchKind is ArchKind.Resnet or ArchKind.Resnet18 or ArchKind.Resnet50, "model.channels_last",
            $"applies to ResNets only (model.arch is {m.Arch})");
        if (m.ArchKind == ArchKind.Resnet)
        {
            Require(m.Layers.Length > 0, "model.layers", "arch resnet needs blocks per stage, e.g. [2, 2, 2, 2]");
            Require(m.Widths.Length == m.Layers.Length, "model.widths", $"needs one width per stage ({m.Layers.Length}), got {m.Widths.Length}");
        }
    }

    void CheckMethod(MethodConfig m)
    {
        OneOf<MethodKind>(m.Name, "method.name");
        var moco = m.Mocov3;
        Positive(moco.Temperature, "method.mocov3.temperature");
        AtLeast(moco.ProjLayers, 1, "method.mocov3.proj_layers");
        AtLeast(moco.HiddenDim, 1, "method.mocov3.hidden_dim");
        AtLeast(moco.OutDim, 1, "method.mocov3.out_dim");
        AtLeast(moco.PredLayers, 1, "method.mocov3.pred_layers");
        Probability(moco.Momentum, "method.mocov3.momentum");

        var dino = m.Dino;
        AtLeast(dino.OutDim, 1, "method.dino.out_dim");
        AtLeast(dino.HiddenDim, 1, "method.dino.hidden_dim");
        AtLeast(dino.BottleneckDim, 1, "method.dino.bottleneck_dim");
        Positive(dino.StudentTemp, "method.dino.student_temp");
        Positive(dino.TeacherTemp, "method.dino.teacher_temp");
        Positive(dino.WarmupTeacherTemp, "method.dino.warmup_teacher_temp");
        AtLeast(dino.WarmupTeacherTempEpochs, 0, "method.dino.warmup_teacher_temp_epochs");
        Probability(dino.CenterMomentum, "method.dino.center_momentum");
        Probability(dino.MomentumTeacher, "method.dino.momentum_teacher");
        AtLeast(dino.FreezeLastLayer, 0, "method.dino.freeze_last_layer");
        Probability(dino.CollapseEntropyRatio, "method.dino.collapse_entropy_ratio");
    }

    void CheckSdmp(SdmpConfig s)
    {
        OneOf<SdmpPreset>(s.Preset, "sdmp.preset");
        Require(s.Ops.Length > 0, "sdmp.ops", "needs at least one of mixup, cutmix, resizemix");
        foreach (var op in s.Ops) OneOf<MixOp>(op, "sdmp.ops");
        Require(s.Ops.Distinct().Count() == s.Ops.Length, "sdmp.ops", "lists an op twice");
        Positive(s.Alpha, "sdmp.alpha");
        OrderedPair(s.LambdaRange, "sdmp.lambda_range", 0, 1, lowExclusive: false);
        OneOf<SdmpTarget>(s.Target, "sdmp.target");
        OneOf<SdmpPartners>(s.Partners, "sdmp.partners");
        AtLeastReal(s.WeightSource, 0, "sdmp.weight_source");
        AtLeastReal(s.WeightMix, 0, "sdmp.weight_mix");
    }

    void CheckOptimizer(OptimizerConfig o)
    {
        OneOf<OptimizerKind>(o.Name, "optimizer.name");
        AtLeastReal(o.BaseLr, 0, "optimizer.base_lr");
        AtLeastReal(o.Lr, 0, "optimizer.lr");
        Require(o.Lr > 0 || o.BaseLr > 0, "optimizer.base_lr", "optimizer.base_lr or optimizer.lr must be > 0");
        OneOf<LrScalingRule>(o.LrScaling, "optimizer.lr_scaling");
        AtLeastReal(o.MinLr, 0, "optimizer.min_lr");
        AtLeastReal(o.WarmupEpochs, 0, "optimizer.warmup_epochs");
        AtLeastReal(o.WeightDecay, 0, "optimizer.weight_decay");
        OneOf<NoDecayRule>(o.NoDecay, "optimizer.no_decay");
        Require(!(o.Kind == OptimizerKind.Lars && o.NoDecayRule == NoDecayRule.None), "optimizer.no_decay",
            "LARS decays and adapts only parameters with ndim > 1 (MoCo v3's and DINO's rule); use bias_and_norm or auto");
        Require(o.Momentum is >= 0 and < 1, "optimizer.momentum", $"must be in [0, 1), got {Num(o.Momentum)}");
        Require(o.Betas.Length == 2 && o.Betas.All(b => b is >= 0 and < 1), "optimizer.betas", "needs 2 values in [0, 1)");
        Positive(o.Eps, "optimizer.eps");
        Positive(o.TrustCoefficient, "optimizer.trust_coefficient");
        AtLeastReal(o.ClipGrad, 0, "optimizer.clip_grad");
        OneOf<GradClipMode>(o.ClipMode, "optimizer.clip_mode");
    }

    void CheckTraining(TrainingConfig t)
    {
        AtLeast(t.Epochs, 1, "training.epochs");
        AtLeast(t.MaxSteps, 0, "training.max_steps");
        AtLeast(t.BatchSize, 1, "training.batch_size");
        AtLeast(t.LogEverySteps, 1, "training.log_every_steps");
        AtLeast(t.CheckpointEveryEpochs, 1, "training.checkpoint_every_epochs");
        AtLeast(t.CheckpointEverySteps, 0, "training.checkpoint_every_steps");
        AtLeast(t.KeepLast, 1, "training.keep_last");
        OneOf<PrecisionKind>(t.Precision, "training.precision");
    }

    void CheckEval(EvalConfig e)
    {
        AtLeast(e.KnnEveryEpochs, 0, "eval.knn_every_epochs");
        Require(e.KnnK.Length > 0 && e.KnnK.All(k => k > 0), "eval.knn_k", "needs at least one k, each > 0");
        Positive(e.KnnTemperature, "eval.knn_temperature");
        AtLeast(e.ProbeLimit, 0, "eval.probe_limit");
        OneOf<LinearProtocolKind>(e.Linear.Protocol, "eval.linear.protocol");
        AtLeast(e.Linear.Epochs, 0, "eval.linear.epochs");
        AtLeast(e.Linear.BatchSize, 1, "eval.linear.batch_size");
        AtLeastReal(e.Linear.BaseLr, 0, "eval.linear.base_lr");
        OneOf<LinearModeKind>(e.Linear.Mode, "eval.linear.mode");
        AtLeast(e.Linear.NLastBlocks, 1, "eval.linear.n_last_blocks");
        OneOf(e.Linear.Backbone, "eval.linear.backbone", LinearEvalConfig.BackboneNames);
    }

    void Require(bool ok, string key, string message)
    {
        if (!ok) throw tree.ErrorAt(key, message);
    }

    void OneOf<T>(string value, string key) where T : struct, Enum => OneOf(value, key, [.. Choice<T>.Names]);

    void OneOf(string value, string key, params string[] allowed) =>
        Require(allowed.Contains(value), key, $"'{value}' is not one of {string.Join(", ", allowed)}{EditDistance.DidYouMean(value, allowed)}");

    void AtLeast(long value, long min, string key, string why = "") => Require(value >= min, key, $"must be >= {min}, got {value}{why}");

    void AtLeastReal(double value, double min, string key) => Require(value >= min, key, $"must be >= {Num(min)}, got {Num(value)}");

    void Positive(double value, string key) => Require(value > 0, key, $"must be > 0, got {Num(value)}");

    void Probability(double value, string key) => Require(value is >= 0 and <= 1, key, $"must be a probability in [0, 1], got {Num(value)}");

    void OrderedPair(double[] pair, string key, double low, double high, bool lowExclusive)
    {
        var rule = $"needs [a, b] with {Num(low)} {(lowExclusive ? "<" : "<=")} a <= b{(double.IsFinite(high) ? $" <= {Num(high)}" : "")}";
        Require(pair.Length == 2, key, $"{rule}, got {pair.Length} values");
        bool lowOk = lowExclusive ? pair[0] > low : pair[0] >= low;
        Require(lowOk && pair[0] <= pair[1] && pair[1] <= high, key, $"{rule}, got [{Num(pair[0])}, {Num(pair[1])}]");
    }

    static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(auto|cpu|cuda(:\d+)?)$")]
    private static partial Regex DevicePattern();
}
