using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;
using YamlDotNet.Serialization.NamingConventions;

namespace Pretrain.Config;

/// <summary>
/// Writes a resolved config as YAML with every key, in the model's order; loading the text with
/// <see cref="ConfigLoader"/> gives back the same config. Lists of numbers or names are written inline
/// (`lambda_range: [0.1, 0.9]`) because that is how people write them.
/// </summary>
public static class ConfigWriter
{
    internal static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .WithEventEmitter(next => new InlineScalarLists(next))
        .DisableAliases()
        .Build();

    public static string ToYaml(RunConfig config) => Serializer.Serialize(config);

    /// <summary>One section (e.g. the model) as YAML, for comparing two configs section by section.</summary>
    public static string SectionYaml(object section) => Serializer.Serialize(section);

    sealed class InlineScalarLists(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(SequenceStartEventInfo eventInfo, IEmitter emitter)
        {
            var element = ConfigSchema.ElementType(eventInfo.Source.Type);
            if (element is not null && (element.IsPrimitive || element == typeof(string)))
                eventInfo.Style = SequenceStyle.Flow;
            base.Emit(eventInfo, emitter);
        }
    }
}
