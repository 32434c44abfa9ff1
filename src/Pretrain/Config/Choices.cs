namespace Pretrain.Config;

// The enumerated settings of a run config. Config spellings are the snake_case member names unless a
// [ChoiceName] says otherwise; Choice<T> is the one list and the one parser.

/// <summary>method.name</summary>
public enum MethodKind { Mocov3, Dino }

/// <summary>optimizer.name</summary>
public enum OptimizerKind { Adamw, Lars, Sgd }

/// <summary>optimizer.lr_scaling: lr = base_lr × batch/256, or base_lr as given.</summary>
public enum LrScalingRule { Linear, None }

/// <summary>
/// optimizer.no_decay, which parameters weight decay skips: none (MoCo v3 + AdamW/SGD: model.parameters()
/// with one weight decay) or biases and 1-D parameters (DINO's get_params_groups; LARS's ndim &gt; 1 rule).
/// `auto` follows the method and optimizer (<see cref="MethodDefaults"/>).
/// </summary>
public enum NoDecayRule { Auto, None, BiasAndNorm }

/// <summary>optimizer.clip_mode: each gradient on its own (DINO) or one global norm (torch clip_grad_norm_).</summary>
public enum GradClipMode { PerParam, Global }

/// <summary>training.precision: fp32 everywhere, or bf16 compute for Linear, attention and convolution
/// layers with fp32 master weights, optimizer state, normalisation statistics, losses and EMA.</summary>
public enum PrecisionKind { Fp32, Bf16 }

/// <summary>data.source</summary>
public enum DataSourceKind { Synthetic, Imagefolder, Cifar10, Cifar100, Idx, Filelist, Shards }

/// <summary>data.decoder: Skia for what it reads and ImageSharp for the rest (TIFF, TGA, PBM), by content;
/// or one of them for every file.</summary>
public enum ImageDecoderKind { Auto, Skia, [ChoiceName("imagesharp")] ImageSharp }

/// <summary>data.on_error: replace an unreadable sample deterministically, or stop.</summary>
public enum OnErrorPolicy { Skip, Fail }

/// <summary>data.label_kind (CIFAR-100).</summary>
public enum Cifar100Labels { Fine, Coarse }

/// <summary>augment.stage: where the photometric ops run.</summary>
public enum AugmentStage { Auto, Loader, Device }

/// <summary>augment.views[].interpolation: PIL's kernels (bicubic a = -0.5), antialiased when downscaling.</summary>
public enum ResampleFilter { Bilinear, Bicubic }

/// <summary>model.arch: preset sizes, or `vit` / `resnet` with explicit sizes.</summary>
public enum ArchKind { VitTiny, VitSmall, VitBase, Vit, Resnet18, Resnet50, Resnet }

/// <summary>model.pos_embed: fixed 2-D sin-cos (MoCo v3) or learned (DINO).</summary>
public enum PositionEmbeddingKind { [ChoiceName("sincos")] SinCos, Learned }

/// <summary>model.block (free ResNet).</summary>
public enum BlockKind { Basic, Bottleneck }

/// <summary>sdmp.preset</summary>
public enum SdmpPreset { None, Official }

/// <summary>sdmp.ops: the mixing ops (the numeric values are logged as `sdmp_op`).</summary>
public enum MixOp
{
    Mixup = 0,
    [ChoiceName("cutmix")] CutMix = 1,
    [ChoiceName("resizemix")] ResizeMix = 2,
}

/// <summary>
/// sdmp.target, how two weighted positives become a loss: SoftCe (the paper and the first official
/// release) w_self·CE(i) + w_flip·CE(p(i)); ProbMix (the latest official code) -log(w_self·P_i,i + w_flip·P_i,p(i)).
/// </summary>
public enum SdmpTarget { SoftCe, ProbMix }

/// <summary>
/// sdmp.partners, data-parallel only: partners over the global batch (the official code all-gathers the
/// images; equal to one process) or within each rank's rows (no image traffic; a different result).
/// </summary>
public enum SdmpPartners { Global, Local }

/// <summary>eval.linear.protocol</summary>
public enum LinearProtocolKind { Auto, Mocov3, Dino }

/// <summary>eval.linear.mode: cached un-augmented features (fast) or the augmented protocol (full).</summary>
public enum LinearModeKind { Auto, Fast, Full }
