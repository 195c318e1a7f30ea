namespace CncTwin.Twin.Tests;

/// <summary>Recorded CSV logs as they come from shops: one cut off mid-row by a crash keeps everything before it.</summary>
public class CsvReplayTests
{
    private static string Write(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), "cnctwin-csv-" + Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(List<Observation> Got, List<SourceEvent> Events)> Read(string path)
    {
        var source = new CsvReplaySource(path, "generic");
        var events = new List<SourceEvent>();
        source.OnEvent = events.Add;
        var got = new List<Observation>();
        await foreach (var o in source.ReadAsync(CancellationToken.None)) got.Add(o);
        return (got, events);
    }

    [Fact]
    public async Task LastRowCutShort_KeepsEveryCompleteRow_AndSaysSo()
    {
        string path = Write("t_s,x,y,z,spindle_load_pct,line\n0,1,2,3,10,5\n0.01,1.1,2,3,11,5\n0.02,1.2,2,3,12,6\n0.03,1.3,2");
        var (got, events) = await Read(path);
        Assert.Equal(3, got.Select(o => o.Sequence).Distinct().Count());
        Assert.Equal(["10", "11", "12"], got.Where(o => o.Key == "spindle_load_pct").Select(o => o.Value));
        var e = Assert.Single(events);
        Assert.Equal("truncated_row", e.Kind);
        Assert.Contains(":5:", e.Message);
        File.Delete(path);
    }

    [Fact]
    public async Task ShortRowInTheMiddle_IsAnErrorNamingItsLine()
    {
        string path = Write("t_s,x,y,z,spindle_load_pct,line\n0,1,2,3,10,5\n0.01,1.1\n0.02,1.2,2,3,12,6\n");
        var ex = await Assert.ThrowsAsync<FormatException>(() => Read(path));
        Assert.Contains(":3:", ex.Message);
        File.Delete(path);
    }
}
