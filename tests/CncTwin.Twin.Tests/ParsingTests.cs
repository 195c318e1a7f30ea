namespace CncTwin.Twin.Tests;

public class ParsingTests
{
    [Fact]
    public void Shdr_OkumaLog_ConditionsPairsAndMultilineAssets()
    {
        var parser = new ShdrParser();
        var all = new List<Observation>();
        var lines = File.ReadAllLines(Recorded.File("cppagent/demo/okuma.txt"));
        foreach (var line in lines) all.AddRange(parser.Parse(line));
        Assert.Equal(lines.Length, parser.Lines);
        // Every asset body line is skipped, never read as data (the file has 118 multi-line assets).
        Assert.DoesNotContain(all, o => o.Key.StartsWith('<') || o.Key.StartsWith('@') || o.Key.Contains("multiline") || o.Value.StartsWith("<CuttingTool"));
        Assert.True(parser.SkippedAssetLines >= 118 * 2, $"{parser.SkippedAssetLines} asset lines skipped");
        // Line 1: avail, fmode and the operating-system events, in order, stamped 2022-08-08T13:51:34.7167146Z.
        Assert.Equal("avail", all[0].Key);
        Assert.Equal("AVAILABLE", all[0].Value);
        Assert.Equal("fmode", all[1].Key);
        Assert.Equal("PROCESS_DEVELOPMENT", all[1].Value);
        Assert.Equal(new DateTimeOffset(2022, 8, 8, 13, 51, 34, TimeSpan.Zero).AddTicks(7167146), all[0].Timestamp);
        // Line 2: a condition with its five fields.
        var sys = all.First(o => o.Key == "system");
        Assert.Equal(ObservationKind.Condition, sys.Kind);
        Assert.Equal("NORMAL", sys.Value);
        int conditionLines = lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^[^|]+\|[A-Za-z0-9_]+\|(NORMAL|WARNING|FAULT)\|"));
        Assert.True(all.Count(o => o.Kind == ObservationKind.Condition) >= conditionLines);
    }

    [Fact]
    public void Shdr_WithTheDeviceModel_IdsAndNames()
    {
        var model = DeviceModel.Load(Recorded.File("mtconnect-agent/VMC-3Axis.xml"));
        Assert.Equal("Xact", model.Find("x2")!.Name);
        Assert.Equal("x2", model.Find("Xact")!.Id);
        Assert.Equal(ObservationKind.Condition, model.KindOf("htemp"));
        var parser = new ShdrParser(model);
        var all = File.ReadAllLines(Recorded.File("mtconnect-agent/vmc_10di.txt")).SelectMany(l => parser.Parse(l)).ToList();
        var temp = all.First(o => o.Key == "htemp");
        Assert.Equal(ObservationKind.Condition, temp.Kind);
        Assert.Equal("WARNING", temp.Value);
        Assert.Equal("HTEMP", temp.NativeCode);
        Assert.Equal("Oil Temperature High", temp.Message);
        Assert.Equal(new[] { 25.0, 29.0 }, all.Where(o => o.Key == "x2").Select(o => o.Number!.Value));
        // Two pairs on one line.
        Assert.Contains(all, o => o.Key == "Frt" && o.Value == "300");
    }

    [Theory]
    [InlineData("* PONG 10000")]
    [InlineData("")]
    [InlineData("2024-01-01T00:00:00Z|@ASSET@|a1|CuttingTool|<CuttingTool/>")]
    public void Shdr_CommandsAndAssets_AreNotData(string line) => Assert.Empty(new ShdrParser().Parse(line));

    [Fact]
    public void Shdr_QuotedValuesKeepPipes_AndBadTimestampsAreReported()
    {
        var o = new ShdrParser().Parse("2024-01-01T00:00:00Z|block|\"G1 X1|Y2\"|line|12");
        Assert.Equal("G1 X1|Y2", o[0].Value);
        Assert.Equal("12", o[1].Value);
        Assert.Throws<FormatException>(() => new ShdrParser().Parse("2024-13-99 junk|x|1"));
    }

    [Fact]
    public void Probe_Okuma_AllDataItems()
    {
        var m = DeviceModel.Load(Recorded.File("generated-by-built-agent/okuma_probe.xml"));
        Assert.Equal(238, m.DataItems.Count);
        Assert.All(m.DataItems, d => Assert.False(string.IsNullOrEmpty(d.Id)));
        Assert.Contains(m.DataItems, d => d.Category == "CONDITION");
        Assert.Contains(m.DataItems, d => d.Category == "SAMPLE");
    }

    [Fact]
    public void Streams_CurrentAndSample_HeadersAndEveryObservation()
    {
        var cur = StreamsParser.Parse(File.ReadAllText(Recorded.File("generated-by-built-agent/okuma_current.xml")), "current");
        Assert.Equal(1795569696, cur.InstanceId);
        Assert.Equal(7435, cur.NextSequence);
        Assert.Equal(1, cur.FirstSequence);
        Assert.Equal(7434, cur.LastSequence);
        Assert.Equal(238, cur.Observations.Count);
        var sample = StreamsParser.Parse(File.ReadAllText(Recorded.File("generated-by-built-agent/okuma_sample_count200.xml")), "sample");
        Assert.Equal(201, sample.NextSequence);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), sample.Observations.Select(o => o.Sequence));
        var cond = sample.Observations.First(o => o.DataItemId == "LBarFeederSystem1_cond");
        Assert.Equal(ObservationKind.Condition, cond.Kind);
        Assert.Equal("UNAVAILABLE", cond.Value);
    }

    [Fact]
    public void Streams_ErrorDocumentsAndGarbage_AreClearErrors()
    {
        var ex = Assert.Throws<MtConnectErrorException>(() => StreamsParser.Parse(
            "<MTConnectError xmlns=\"urn:mtconnect.org:MTConnectError:2.0\"><Header/><Errors><Error errorCode=\"OUT_OF_RANGE\">'from' must be greater than 1</Error></Errors></MTConnectError>", "x"));
        Assert.Equal("OUT_OF_RANGE", ex.Code);
        var f = Assert.Throws<FormatException>(() => StreamsParser.Parse("<MTConnectStreams><Header", "truncated.xml"));
        Assert.StartsWith("truncated.xml:1:", f.Message);
    }
}
