using Pretrain.Checkpoints;
using Pretrain.Config;
using Pretrain.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Ema;

/// <summary>How a method names the two sides of its pair: MoCo v3 query/momentum (probes the query by
/// default), DINO student/teacher (probes the teacher by default).</summary>
public sealed record EmaRoles(string Method, string Online, string Target, bool ProbeTargetByDefault);

/// <summary>
/// The online network and its EMA copy, the part MoCo v3 (query and momentum encoder) and DINO
/// (student and teacher) share: built on the device, the target initialised as an exact copy, updated
/// by <see cref="MomentumUpdater"/>, saved and loaded under the roles' names, switched between train
/// and eval mode together, and asked for a backbone by role. <paramref name="emaSource"/> is the part of
/// the online network the target mirrors (MoCo's query encoder minus its predictor); by default the
/// whole online network.
/// </summary>
public sealed class EmaPair<TOnline, TTarget> : IDisposable
    where TOnline : nn.Module
    where TTarget : nn.Module
{
    private readonly nn.Module _emaSource;
    private readonly EmaRoles _roles;
    private readonly Func<TOnline, Backbone> _onlineBackbone;
    private readonly Func<TTarget, Backbone> _targetBackbone;

    public EmaPair(TOnline online, TTarget target, Device device, EmaRoles roles,
        Func<TOnline, Backbone> onlineBackbone, Func<TTarget, Backbone> targetBackbone, nn.Module? emaSource = null)
    {
        Online = online;
        Target = target;
        _roles = roles;
        _onlineBackbone = onlineBackbone;
        _targetBackbone = targetBackbone;
        _emaSource = emaSource ?? online;
        online.to(device);
        target.to(device);
        MomentumUpdater.CopyInto(_emaSource, target);
    }

    /// <summary>The network the optimizer trains.</summary>
    public TOnline Online { get; }

    /// <summary>The EMA copy (no gradients).</summary>
    public TTarget Target { get; }

    /// <summary>target ← m·target + (1−m)·source, parameters only.</summary>
    public void Update(double m) => MomentumUpdater.Update(_emaSource, Target, m);

    /// <summary>Both networks' parameters and buffers under "{online}." and "{target}.".</summary>
    public void AddState(IDictionary<string, Tensor> state)
    {
        ModuleTensors.AddTo(state, Online, _roles.Online + ".");
        ModuleTensors.AddTo(state, Target, _roles.Target + ".");
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        ModuleTensors.LoadInto(Online, state, _roles.Online + ".");
        ModuleTensors.LoadInto(Target, state, _roles.Target + ".");
    }

    public void SetTraining(bool training)
    {
        Online.train(training);
        Target.train(training);
    }

    /// <summary>The backbone for probes and export: "default", "online", "momentum"/"teacher", or a role name.</summary>
    public Backbone Backbone(string which)
    {
        bool target = which switch
        {
            "default" => _roles.ProbeTargetByDefault,
            "online" => false,
            "momentum" or "teacher" => true,
            _ when which == _roles.Online => false,
            _ when which == _roles.Target => true,
            _ => throw new UserInputException(
                $"unknown backbone '{which}' for {_roles.Method} (use {(_roles.ProbeTargetByDefault ? $"{_roles.Target} or {_roles.Online}" : $"{_roles.Online} or {_roles.Target}")})"),
        };
        return target ? _targetBackbone(Target) : _onlineBackbone(Online);
    }

    public void Dispose()
    {
        Online.Dispose();
        Target.Dispose();
    }
}
