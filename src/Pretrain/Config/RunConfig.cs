using YamlDotNet.Serialization;

namespace Pretrain.Config;

// The typed run configuration. YAML keys are the snake_case forms of these property names
// (e.g. `data.image_size`, `sdmp.lambda_range`). Every default here is the documented default.
// Classes with settable properties (not positional records) so YamlDotNet can fill them and
// `--set` can override single keys; treat them as immutable once loaded. Enumerated settings are
// strings as written; their [YamlIgnore] typed twins (`Kind`, ...) are how code reads them (Choice<T>).

public sealed class RunConfig
{
    /// <summary>Optional parent file, relative to this file; resolved away by the loader.</summary>
    public string? Base { get; set; }
    public ExperimentConfig Experiment { get; set; } = new();
    public DataConfig Data { get; set; } = new();
    public AugmentConfig Augment { get; set; } = new();
    public ModelConfig Model { get; set; } = new();
    public MethodConfig Method { get; set; } = new();
    public SdmpConfig Sdmp { get; set; } = new();
    public OptimizerConfig Optimizer { get; set; } = new();
    public TrainingConfig Training { get; set; } = new();
    public EvalConfig Eval { get; set; } = new();
    public LoggingConfig Logging { get; set; } = new();
    /// <summary>"key=value" for each method-dependent default the loader filled (<see cref="MethodDefaults"/>); not saved.</summary>
    [YamlIgnore] public IReadOnlyList<string> AppliedDefaults { get; internal set; } = [];
}

public sealed class ExperimentConfig
{
    public string Name { get; set; } = "run";
    /// <summary>Parent folder of run folders; the run folder is output/name unless --output is given.</summary>
    public string Output { get; set; } = "runs";
    public long Seed { get; set; } = 0;
    /// <summary>auto | cpu | cuda | cuda:N</summary>
    public string Device { get; set; } = "auto";
    /// <summary>Torch intra-op threads; 0 = free cores minus loader workers (at least 1).</summary>
    public int Threads { get; set; } = 0;
}

public sealed class DataConfig
{
    /// <summary>synthetic | imagefolder | cifar10 | cifar100 | idx | filelist | shards</summary>
    public string Source { get; set; } = "synthetic";
    [YamlIgnore] public DataSourceKind SourceKind => Choice<DataSourceKind>.Parse(Source);
    /// <summary>Root of the data (folder of the source's files). Not used by synthetic. For shards: a folder
    /// holding train/ and val/ shard folders, a folder of .tar files, or a brace pattern (train-{000000..001023}.tar).</summary>
    public string? Path { get; set; }
    /// <summary>Optional separate train/val locations (imagefolder root, file list, IDX prefix, shard folder or pattern).</summary>
    public string? TrainPath { get; set; }
    public string? ValPath { get; set; }
    /// <summary>Fraction of a labelled train set held out as val when the source has no val split.</summary>
    public double ValFraction { get; set; } = 0.0;
    /// <summary>Use only this fraction of the train split (deterministic subset).</summary>
    public double Fraction { get; set; } = 1.0;
    /// <summary>Use at most this many train samples; 0 = all.</summary>
    public int Limit { get; set; } = 0;
    /// <summary>Side of the decoded/crop output before view crops (eval resize target).</summary>
    public int ImageSize { get; set; } = 224;
    public int Workers { get; set; } = 2;
    /// <summary>Ready batches kept in the bounded queue.</summary>
    public int Prefetch { get; set; } = 2;
    /// <summary>skip | fail</summary>
    public string OnError { get; set; } = "skip";
    [YamlIgnore] public OnErrorPolicy OnErrorPolicy => Choice<OnErrorPolicy>.Parse(OnError);
    /// <summary>Most pixels (width × height, from the file header, before decoding) an image file may
    /// have; larger ones are unreadable samples (on_error). 0 = no limit. Default: PIL's MAX_IMAGE_PIXELS.</summary>
    public long MaxImagePixels { get; set; } = 89_478_485;
    /// <summary>auto | skia | imagesharp: which library decodes image files (auto: Skia for JPEG, PNG, WebP,
    /// GIF, BMP; ImageSharp for TIFF, TGA, PBM/PGM/PPM; chosen by the file's first bytes).</summary>
    public string Decoder { get; set; } = "auto";
    [YamlIgnore] public ImageDecoderKind DecoderKind => Choice<ImageDecoderKind>.Parse(Decoder);
    /// <summary>For shards: samples held by each loader stream's shuffle buffer (0 = shard order only).</summary>
    public int ShuffleBuffer { get; set; } = DefaultShuffleBuffer;
    public const int DefaultShuffleBuffer = 1000;
    /// <summary>For cifar100: fine | coarse labels.</summary>
    public string LabelKind { get; set; } = "fine";
    [YamlIgnore] public Cifar100Labels Cifar100Labels => Choice<Cifar100Labels>.Parse(LabelKind);
    public SyntheticDataConfig Synthetic { get; set; } = new();
}

public sealed class SyntheticDataConfig
{
    public int Classes { get; set; } = 10;
    public int TrainSize { get; set; } = 20000;
    public int ValSize { get; set; } = 2000;
    public int Size { get; set; } = 32;
    /// <summary>Full random rotation of the shapes.</summary>
    public bool Rotate { get; set; } = false;
    /// <summary>Random per-image colours (harder; hurts short runs, see README).</summary>
    public bool RandomColors { get; set; } = false;
    /// <summary>Textured random backgrounds (harder).</summary>
    public bool TexturedBackground { get; set; } = false;
    public long Seed { get; set; } = 1234;
}

public sealed class AugmentConfig
{
    public double[] Mean { get; set; } = [0.485, 0.456, 0.406];
    public double[] Std { get; set; } = [0.229, 0.224, 0.225];
    /// <summary>View pipelines in order (MoCo: two views; DINO: two global then locals).</summary>
    public List<ViewConfig> Views { get; set; } = [ViewConfig.MocoView1(), ViewConfig.MocoView2()];
    /// <summary>Eval transform: resize shorter side to this, then center crop data.image_size. 0 = image_size/0.875.</summary>
    public int EvalResize { get; set; } = 0;
    /// <summary>Where the photometric ops (jitter, grayscale, blur, solarize, normalize) run: loader (per
    /// sample in the loader workers, SIMD on the CPU), device (batched tensor ops on the training
    /// device), auto (loader when the training device is the CPU, device otherwise).</summary>
    public string Stage { get; set; } = "auto";
    [YamlIgnore] public AugmentStage StageKind => Choice<AugmentStage>.Parse(Stage);
}

public sealed class ViewConfig
{
    public string Name { get; set; } = "view";
    /// <summary>How many crops this pipeline produces per image (DINO locals: 8).</summary>
    public int Count { get; set; } = 1;
    public int CropSize { get; set; } = 224;
    public double[] Scale { get; set; } = [0.08, 1.0];
    public double[] Ratio { get; set; } = [3.0 / 4.0, 4.0 / 3.0];
    /// <summary>bilinear | bicubic</summary>
    public string Interpolation { get; set; } = "bilinear";
    [YamlIgnore] public ResampleFilter Filter => Choice<ResampleFilter>.Parse(Interpolation);
    public double FlipP { get; set; } = 0.5;
    public double JitterP { get; set; } = 0.8;
    public double Brightness { get; set; } = 0.4;
    public double Contrast { get; set; } = 0.4;
    public double Saturation { get; set; } = 0.2;
    public double Hue { get; set; } = 0.1;
    public double GrayscaleP { get; set; } = 0.2;
    public double BlurP { get; set; } = 1.0;
    public double[] BlurSigma { get; set; } = [0.1, 2.0];
    public double SolarizeP { get; set; } = 0.0;

    public static ViewConfig MocoView1() => new() { Name = "view1", BlurP = 1.0, SolarizeP = 0.0 };
    public static ViewConfig MocoView2() => new() { Name = "view2", BlurP = 0.1, SolarizeP = 0.2 };
}

public sealed class ModelConfig
{
    /// <summary>vit_tiny | vit_small | vit_base | vit (free sizes) | resnet18 | resnet50 | resnet (free sizes)</summary>
    public string Arch { get; set; } = "vit_small";
    [YamlIgnore] public ArchKind ArchKind => Choice<ArchKind>.Parse(Arch);
    public int PatchSize { get; set; } = 16;
    /// <summary>0 = from the preset.</summary>
    public int EmbedDim { get; set; } = 0;
    public int Depth { get; set; } = 0;
    public int NumHeads { get; set; } = 0;
    public double MlpRatio { get; set; } = 4.0;
    public bool QkvBias { get; set; } = true;
    public double DropPath { get; set; } = 0.0;
    /// <summary>sincos (MoCo v3) | learned (DINO); when a config leaves it out, the method's default (<see cref="MethodDefaults"/>).</summary>
    public string PosEmbed { get; set; } = "sincos";
    [YamlIgnore] public PositionEmbeddingKind PosEmbedKind => Choice<PositionEmbeddingKind>.Parse(PosEmbed);
    /// <summary>MoCo v3's frozen random patch projection; method default (true for MoCo v3, false for DINO).</summary>
    public bool StopGradPatchEmbed { get; set; } = true;
    /// <summary>ResNet: 3x3 stride-1 stem, no max-pool.</summary>
    public bool CifarStem { get; set; } = false;
    /// <summary>The last BN of each residual block starts at gamma 0; method default (true for MoCo v3, false for DINO: torchvision's default).</summary>
    public bool ZeroInitResidual { get; set; } = true;
    /// <summary>ResNet: activations stored NHWC (channels-last); faster convolutions on CPU, see README.</summary>
    public bool ChannelsLast { get; set; } = false;
    /// <summary>Free ResNet: basic | bottleneck, blocks and widths per stage.</summary>
    public string Block { get; set; } = "basic";
    [YamlIgnore] public BlockKind BlockKind => Choice<BlockKind>.Parse(Block);
    public int[] Layers { get; set; } = [];
    public int[] Widths { get; set; } = [];

    public ModelConfig Clone() => (ModelConfig)MemberwiseClone();
}

public sealed class MethodConfig
{
    /// <summary>mocov3 | dino</summary>
    public string Name { get; set; } = "mocov3";
    [YamlIgnore] public MethodKind Kind => Choice<MethodKind>.Parse(Name);
    public MocoConfig Mocov3 { get; set; } = new();
    public DinoConfig Dino { get; set; } = new();
}

public sealed class MocoConfig
{
    public double Temperature { get; set; } = 0.2;
    public int ProjLayers { get; set; } = 3;
    public int HiddenDim { get; set; } = 4096;
    public int OutDim { get; set; } = 256;
    public int PredLayers { get; set; } = 2;
    /// <summary>Last BN of the predictor (on for ViT, off for ResNet).</summary>
    public bool PredLastBn { get; set; } = true;
    /// <summary>m0 of the cosine momentum schedule rising to 1.</summary>
    public double Momentum { get; set; } = 0.99;
    public bool MomentumCosine { get; set; } = true;
}

public sealed class DinoConfig
{
    public int OutDim { get; set; } = 65536;
    public int HiddenDim { get; set; } = 2048;
    public int BottleneckDim { get; set; } = 256;
    public bool UseBnInHead { get; set; } = false;
    public bool NormLastLayer { get; set; } = true;
    public double StudentTemp { get; set; } = 0.1;
    public double TeacherTemp { get; set; } = 0.04;
    public double WarmupTeacherTemp { get; set; } = 0.04;
    public int WarmupTeacherTempEpochs { get; set; } = 0;
    public double CenterMomentum { get; set; } = 0.9;
    public double MomentumTeacher { get; set; } = 0.996;
    public int FreezeLastLayer { get; set; } = 1;
    /// <summary>Warn when teacher entropy / ln(out_dim) falls below this.</summary>
    public double CollapseEntropyRatio { get; set; } = 0.05;
}

public sealed class SdmpConfig
{
    public bool Enabled { get; set; } = false;
    /// <summary>none | official (ops [resizemix], lambda_range [0.1,0.9], target prob_mix)</summary>
    public string Preset { get; set; } = "none";
    [YamlIgnore] public SdmpPreset PresetKind => Choice<SdmpPreset>.Parse(Preset);
    public string[] Ops { get; set; } = ["mixup", "cutmix", "resizemix"];
    [YamlIgnore] public MixOp[] OpKinds => Ops.Select(Choice<MixOp>.Parse).ToArray();
    public double Alpha { get; set; } = 1.0;
    public double[] LambdaRange { get; set; } = [0.0, 1.0];
    /// <summary>soft_ce | prob_mix</summary>
    public string Target { get; set; } = "soft_ce";
    [YamlIgnore] public SdmpTarget TargetKind => Choice<SdmpTarget>.Parse(Target);
    public double WeightSource { get; set; } = 0.5;
    public double WeightMix { get; set; } = 0.5;
    /// <summary>Swap the two views' roles with probability 0.5 per step.</summary>
    public bool ViewSwap { get; set; } = true;
    /// <summary>Data-parallel runs: global (partners over the global batch, as one process) | local (within each rank).</summary>
    public string Partners { get; set; } = "global";
    [YamlIgnore] public SdmpPartners PartnersKind => Choice<SdmpPartners>.Parse(Partners);
}

public sealed class OptimizerConfig
{
    /// <summary>adamw | lars | sgd</summary>
    public string Name { get; set; } = "adamw";
    [YamlIgnore] public OptimizerKind Kind => Choice<OptimizerKind>.Parse(Name);
    /// <summary>lr = base_lr × batch/256 when lr_scaling is linear; an explicit lr &gt; 0 wins.</summary>
    public double BaseLr { get; set; } = 1.5e-4;
    public double Lr { get; set; } = 0.0;
    /// <summary>linear | none</summary>
    public string LrScaling { get; set; } = "linear";
    [YamlIgnore] public LrScalingRule LrScalingRule => Choice<LrScalingRule>.Parse(LrScaling);
    public double MinLr { get; set; } = 0.0;
    public double WarmupEpochs { get; set; } = 40;
    public double WeightDecay { get; set; } = 0.1;
    /// <summary>Cosine weight-decay schedule end value (DINO); negative = constant weight_decay.</summary>
    public double WeightDecayEnd { get; set; } = -1;
    /// <summary>auto | none | bias_and_norm: the parameters weight decay skips (see <see cref="NoDecayRule"/>).</summary>
    public string NoDecay { get; set; } = "auto";
    [YamlIgnore] public NoDecayRule NoDecayRule => Choice<NoDecayRule>.Parse(NoDecay);
    public double Momentum { get; set; } = 0.9;
    public double[] Betas { get; set; } = [0.9, 0.999];
    public double Eps { get; set; } = 1e-8;
    public double TrustCoefficient { get; set; } = 0.001;
    /// <summary>0 = no clipping.</summary>
    public double ClipGrad { get; set; } = 0.0;
    /// <summary>per_param (DINO) | global</summary>
    public string ClipMode { get; set; } = "per_param";
    [YamlIgnore] public GradClipMode ClipModeKind => Choice<GradClipMode>.Parse(ClipMode);
}

public sealed class TrainingConfig
{
    public int Epochs { get; set; } = 300;
    /// <summary>Stop after this many optimizer steps in total (0 = epochs decide). Schedules still use epochs.</summary>
    public int MaxSteps { get; set; } = 0;
    public int BatchSize { get; set; } = 256;
    public int LogEverySteps { get; set; } = 10;
    public int CheckpointEveryEpochs { get; set; } = 1;
    /// <summary>Also write `latest` every N steps (0 = only at epoch ends).</summary>
    public int CheckpointEverySteps { get; set; } = 0;
    public int KeepLast { get; set; } = 3;
    /// <summary>At the end, probe the backbone on the labelled split and compare with a random init.</summary>
    public bool FinalProbe { get; set; } = false;
    /// <summary>fp32 | bf16: the dtype Linear, attention and convolution layers compute in. Master weights,
    /// optimizer state, LayerNorm/BatchNorm statistics, losses, the DINO center and the EMA stay fp32.</summary>
    public string Precision { get; set; } = "fp32";
    [YamlIgnore] public PrecisionKind PrecisionKind => Choice<PrecisionKind>.Parse(Precision);
    /// <summary>CUDA only: let fp32 matmuls and convolutions use TF32 tensor cores (torch allow_tf32).</summary>
    public bool Tf32 { get; set; } = false;
}

public sealed class EvalConfig
{
    /// <summary>Online k-NN monitor during pretraining every N epochs (0 = off).</summary>
    public int KnnEveryEpochs { get; set; } = 0;
    public int[] KnnK { get; set; } = [10, 20, 100, 200];
    public double KnnTemperature { get; set; } = 0.07;
    /// <summary>Max labelled samples used by monitors/probes (0 = all).</summary>
    public int ProbeLimit { get; set; } = 0;
    /// <summary>`pretrain linear-eval` settings.</summary>
    public LinearEvalConfig Linear { get; set; } = new();
}

public sealed class LinearEvalConfig
{
    /// <summary>auto (= method.name) | mocov3 | dino</summary>
    public string Protocol { get; set; } = "auto";
    [YamlIgnore] public LinearProtocolKind ProtocolKind => Choice<LinearProtocolKind>.Parse(Protocol);
    /// <summary>0 = the protocol's (mocov3 90, dino 100).</summary>
    public int Epochs { get; set; } = 0;
    /// <summary>Both official protocols: 1024 (MoCo v3 main_lincls; DINO eval_linear 128 per GPU × 8).</summary>
    public int BatchSize { get; set; } = 1024;
    /// <summary>lr = base_lr × batch/256; 0 = the protocol's (mocov3: 3 ViT, 0.1 ResNet; dino 1e-3).</summary>
    public double BaseLr { get; set; } = 0;
    /// <summary>auto (fast up to 100k train samples) | fast | full</summary>
    public string Mode { get; set; } = "auto";
    [YamlIgnore] public LinearModeKind ModeKind => Choice<LinearModeKind>.Parse(Mode);
    /// <summary>dino protocol: CLS tokens of this many last blocks, concatenated.</summary>
    public int NLastBlocks { get; set; } = 4;
    /// <summary>dino protocol: also concatenate the mean patch token of the last block.</summary>
    public bool AvgpoolPatchTokens { get; set; } = false;
    /// <summary>default | query | momentum | teacher | student | online</summary>
    public string Backbone { get; set; } = "default";

    /// <summary>The backbone names a method answers to (default: MoCo v3's query encoder, DINO's teacher).</summary>
    public static readonly string[] BackboneNames = ["default", "query", "momentum", "teacher", "student", "online"];
}

public sealed class LoggingConfig
{
    /// <summary>verbose | debug | information | warning | error</summary>
    public string Level { get; set; } = "information";
    public bool Tensorboard { get; set; } = true;
}
