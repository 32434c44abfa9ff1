using System.Globalization;
using System.Text.Json.Serialization;

namespace Pretrain.Data;

/// <summary>What `pretrain data bench` reports (JSON names are the documented keys).</summary>
public sealed record DataBenchResult
{
    [JsonPropertyName("decode_crop_images_per_sec")] public double DecodeCropImagesPerSec { get; init; }
    [JsonPropertyName("decode_crop_images_per_sec_per_core")] public double DecodeCropImagesPerSecPerCore { get; init; }
    [JsonPropertyName("pipeline_images_per_sec")] public double PipelineImagesPerSec { get; init; }
    [JsonPropertyName("pipeline_images_per_sec_per_core")] public double PipelineImagesPerSecPerCore { get; init; }
    [JsonPropertyName("workers")] public int Workers { get; init; }
    /// <summary>Where the pipeline run's photometric ops ran: loader (worker threads) or device (consumer thread, tensors).</summary>
    [JsonPropertyName("photometric_stage")] public string PhotometricStage { get; init; } = "device";
    [JsonPropertyName("images_measured")] public int ImagesMeasured { get; init; }
    [JsonPropertyName("peak_rss_mib")] public double PeakRssMib { get; init; }

    public string ToText()
    {
        var ci = CultureInfo.InvariantCulture;
        return string.Create(ci,
            $"decode+crop: {DecodeCropImagesPerSec:F0} images/s with {Workers} workers ({DecodeCropImagesPerSecPerCore:F0} per core)\n" +
            $"full pipeline: {PipelineImagesPerSec:F0} images/s ({PipelineImagesPerSecPerCore:F0} per loader core), photometric ops in the {PhotometricStage}\n" +
            $"images measured per run: {ImagesMeasured}; peak RSS {PeakRssMib:F0} MiB\n");
    }
}
