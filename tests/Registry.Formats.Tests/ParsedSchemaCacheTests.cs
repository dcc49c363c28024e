using Registry.Core.Formats;

namespace Registry.Formats.Tests;

/// <summary>The parsed-schema cache is bounded by bytes: entries are charged what their parse allocated, the oldest leave first.</summary>
public sealed class ParsedSchemaCacheTests
{
    private static string Record(int i) => $$"""{"type":"record","name":"C{{i}}","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"}]}""";

    [Fact]
    public void The_cache_stays_within_its_byte_budget_evicting_the_oldest_and_serving_the_recent_from_memory()
    {
        // One entry's charge, from a cache big enough to hold it.
        var probe = FormatCatalog.Create(new FormatLimits(), cacheBytes: 1L << 30);
        probe.Parse("AVRO", Record(0), [], false);
        var one = probe.CachedBytes;
        Assert.True(one > Record(0).Length * 2, $"an entry was charged only {one} bytes");

        var budget = one * 5;
        var formats = FormatCatalog.Create(new FormatLimits(), cacheBytes: budget);
        var first = formats.Parse("AVRO", Record(1), [], false);
        Assert.Same(first, formats.Parse("AVRO", Record(1), [], false));
        for (var i = 2; i <= 40; i++)
        {
            formats.Parse("AVRO", Record(i), [], false);
            Assert.True(formats.CachedBytes <= budget, $"{formats.CachedBytes} bytes cached over a budget of {budget}");
        }
        Assert.InRange(formats.CachedCount, 2, 8);
        // The oldest left, and is parsed afresh; the newest is still served from memory.
        Assert.NotSame(first, formats.Parse("AVRO", Record(1), [], false));
        var newest = formats.Parse("AVRO", Record(40), [], false);
        Assert.Same(newest, formats.Parse("AVRO", Record(40), [], false));
    }

    [Fact]
    public void A_schema_whose_parse_costs_more_than_the_budget_is_never_cached()
    {
        var formats = FormatCatalog.Create(new FormatLimits(), cacheBytes: 100);
        var parsed = formats.Parse("AVRO", Record(1), [], false);
        Assert.Equal(0, formats.CachedCount);
        Assert.Equal(0, formats.CachedBytes);
        Assert.NotSame(parsed, formats.Parse("AVRO", Record(1), [], false));
    }
}
