using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

public class EditDistanceTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("weight_decay", "wieght_decay", 2)]
    [InlineData("same", "same", 0)]
    public void LevenshteinDistance(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.Levenshtein(a, b));
        Assert.Equal(expected, EditDistance.Levenshtein(b, a));
    }

    [Fact]
    public void SuggestsOnlyPlausibleTypos()
    {
        string[] keys = ["weight_decay", "weight_decay_end", "momentum", "name"];
        Assert.Equal("weight_decay", EditDistance.Suggest("wieght_decay", keys));
        Assert.Equal("momentum", EditDistance.Suggest("momentun", keys));
        Assert.Null(EditDistance.Suggest("batch", keys));
        Assert.Equal(" (did you mean 'name'?)", EditDistance.DidYouMean("nme", keys));
        Assert.Equal("", EditDistance.DidYouMean("completely_different", keys));
    }
}
