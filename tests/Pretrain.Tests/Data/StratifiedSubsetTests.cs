using Pretrain.Data;
using Xunit;

namespace Pretrain.Tests.Data;

/// <summary>eval.probe_limit takes a seeded class-stratified subset, not the first N of a class-sorted folder.</summary>
public class StratifiedSubsetTests
{
    // A class-sorted split as an image folder is: 10 classes × 100 samples, then one class of 5.
    static InMemorySplit Sorted(out long[] labels)
    {
        var l = new List<long>();
        for (int c = 0; c < 10; c++) l.AddRange(Enumerable.Repeat((long)c, 100));
        l.AddRange(Enumerable.Repeat(10L, 5));
        labels = [.. l];
        return new InMemorySplit("sorted", "s", 1, 1, new byte[labels.Length * 3], labels, Enumerable.Range(0, 11).Select(c => $"c{c}").ToArray());
    }

    [Fact]
    public void EveryClassIsInTheSubsetInEqualShares()
    {
        var split = Sorted(out var labels);
        var idx = StratifiedSubset.Indices(split, 100, seed: 3);
        Assert.Equal(100, idx.Length);
        Assert.Equal(idx.Order(), idx);
        Assert.Equal(idx.Length, idx.Distinct().Count());
        var perClass = idx.GroupBy(i => labels[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(11, perClass.Count);
        // Round-robin over 11 classes: class 10 runs out after its 5; 100 = 5·11 + 4·10 + 5, so classes
        // 0-4 get 10 and classes 5-9 get 9.
        Assert.Equal(5, perClass[10]);
        Assert.All(Enumerable.Range(0, 5), c => Assert.Equal(10, perClass[c]));
        Assert.All(Enumerable.Range(5, 5), c => Assert.Equal(9, perClass[c]));
    }

    [Fact]
    public void SmallClassesGiveAllTheyHaveAndOthersFillIn()
    {
        var split = Sorted(out var labels);
        var idx = StratifiedSubset.Indices(split, 505, seed: 3);
        var perClass = idx.GroupBy(i => labels[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(5, perClass[10]);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(50, perClass[c]));
    }

    [Fact]
    public void DeterministicFromTheSeedAndNotTheFirstSamples()
    {
        var split = Sorted(out _);
        Assert.Equal(StratifiedSubset.Indices(split, 50, 1), StratifiedSubset.Indices(split, 50, 1));
        Assert.NotEqual(StratifiedSubset.Indices(split, 50, 1), StratifiedSubset.Indices(split, 50, 2));
        // Within class 0 the pick is random, not samples 0..4.
        Assert.NotEqual([0, 1, 2, 3, 4], StratifiedSubset.Indices(split, 55, 1).Where(i => i < 100).ToArray());
        Assert.Same(split, StratifiedSubset.Of(split, 0, 1));
        Assert.Same(split, StratifiedSubset.Of(split, split.Count, 1));
        Assert.Equal(50, StratifiedSubset.Of(split, 50, 1).Count);
    }
}
