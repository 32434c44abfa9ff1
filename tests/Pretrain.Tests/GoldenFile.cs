using System.Text.Json;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests;

/// <summary>
/// Reads the golden vectors (copied from shared/golden into Golden/, see its README): one JSON object
/// per file with params, inputs and expected as {shape, data} (row-major, shape [] for scalars).
/// </summary>
public sealed class GoldenFile
{
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Golden");

    private GoldenFile(string name, JsonElement root)
    {
        Name = name;
        Root = root;
    }

    public string Name { get; }
    public JsonElement Root { get; }

    /// <summary>xunit MemberData rows: one per golden file whose name starts with <paramref name="prefix"/>.</summary>
    public static IEnumerable<object[]> Named(string prefix)
    {
        var files = Directory.GetFiles(Folder, prefix + "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new FileNotFoundException($"no golden files {prefix}*.json in {Folder}");
        return files.Select(f => new object[] { f! });
    }

    public static GoldenFile Load(string fileName)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, fileName)));
        return new GoldenFile(fileName, doc.RootElement.Clone());
    }

    public JsonElement Params => Root.GetProperty("params");
    public double Param(string name) => Params.GetProperty(name).GetDouble();

    public (long[] Shape, double[] Data) Input(string name) => Read(Root.GetProperty("inputs").GetProperty(name));
    public (long[] Shape, double[] Data) Expected(string name) => Read(Root.GetProperty("expected").GetProperty(name));
    public bool HasExpected(string name) => Root.GetProperty("expected").TryGetProperty(name, out _);

    /// <summary>The input as a float32 tensor (the precision the implementation runs in).</summary>
    public Tensor InputTensor(string name, bool requiresGrad = false)
    {
        var (shape, data) = Input(name);
        return ToTensor(shape, data, ScalarType.Float32, requiresGrad);
    }

    public static Tensor ToTensor(long[] shape, double[] data, ScalarType dtype, bool requiresGrad = false)
    {
        var t = tensor(data, shape, ScalarType.Float64).to(dtype);
        return requiresGrad ? t.requires_grad_() : t;
    }

    /// <summary>Asserts |got - exp| &lt;= atol + rtol·|exp| elementwise and the shapes agree.</summary>
    public void AssertExpected(string name, Tensor got, double atol = 1e-5, double rtol = 1e-4)
    {
        var (shape, data) = Expected(name);
        Assert.True(shape.SequenceEqual(got.shape), $"{Name}: {name} shape [{string.Join(",", got.shape)}], expected [{string.Join(",", shape)}]");
        AssertClose(data, got, atol, rtol, $"{Name}: {name}");
    }

    public static void AssertClose(double[] expected, Tensor got, double atol, double rtol, string what)
    {
        var actual = got.detach().cpu().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]), bound = atol + rtol * Math.Abs(expected[i]);
            Assert.True(err <= bound, $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R} (|err| {err:E3} > {bound:E3})");
        }
    }

    public static void AssertClose(double expected, double actual, double atol, double rtol, string what)
    {
        double err = Math.Abs(actual - expected), bound = atol + rtol * Math.Abs(expected);
        Assert.True(err <= bound, $"{what} = {actual:R}, expected {expected:R} (|err| {err:E3} > {bound:E3})");
    }

    private static (long[] Shape, double[] Data) Read(JsonElement e) =>
        (e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
         e.GetProperty("data").EnumerateArray().Select(x => x.GetDouble()).ToArray());
}
