using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace CncTwin.Twin;

/// <summary>A data item from an MTConnectDevices document (/probe or a Devices.xml).</summary>
public sealed record DataItemInfo(string Id, string? Name, string Category, string Type, string? SubType, string? Units, string Device);

/// <summary>The devices document: data items by id and by name, the catalog SHDR parsing needs.</summary>
public sealed class DeviceModel : IDataItemCatalog
{
    public IReadOnlyList<DataItemInfo> DataItems { get; }
    private readonly Dictionary<string, DataItemInfo> _byKey = new(StringComparer.Ordinal);

    public DeviceModel(IReadOnlyList<DataItemInfo> items)
    {
        DataItems = items;
        foreach (var d in items) { _byKey.TryAdd(d.Id, d); if (d.Name != null) _byKey.TryAdd(d.Name, d); }
    }

    public DataItemInfo? Find(string key) => _byKey.TryGetValue(key, out var d) ? d : null;

    public ObservationKind? KindOf(string key)
    {
        var d = Find(key);
        if (d == null) return null;
        if (d.Category == "CONDITION") return ObservationKind.Condition;
        if (d.Type == "MESSAGE") return ObservationKind.Message;
        if (d.Category == "SAMPLE" && d.Type.EndsWith("TIME_SERIES", StringComparison.Ordinal)) return ObservationKind.TimeSeries;
        return d.Category == "SAMPLE" ? ObservationKind.Sample : ObservationKind.Event;
    }

    /// <summary>Parses an MTConnectDevices document (any schema version; namespaces ignored).</summary>
    public static DeviceModel Parse(string xml, string source)
    {
        XDocument doc;
        try { doc = XDocument.Parse(xml, LoadOptions.SetLineInfo); }
        catch (XmlException ex) { throw new FormatException($"{source}:{ex.LineNumber}:{ex.LinePosition}: error: {ex.Message}"); }
        var items = new List<DataItemInfo>();
        foreach (var device in doc.Descendants().Where(e => e.Name.LocalName is "Device" or "Agent"))
        {
            string dev = (string?)device.Attribute("name") ?? (string?)device.Attribute("uuid") ?? "device";
            foreach (var di in device.Descendants().Where(e => e.Name.LocalName == "DataItem"))
            {
                string? id = (string?)di.Attribute("id");
                if (id == null)
                {
                    var li = (IXmlLineInfo)di;
                    throw new FormatException($"{source}:{li.LineNumber}:{li.LinePosition}: error: DataItem without id");
                }
                items.Add(new DataItemInfo(id, (string?)di.Attribute("name"), ((string?)di.Attribute("category") ?? "EVENT").ToUpperInvariant(),
                    ((string?)di.Attribute("type") ?? "").ToUpperInvariant(), (string?)di.Attribute("subType"), (string?)di.Attribute("units"), dev));
            }
        }
        if (items.Count == 0 && doc.Root?.Name.LocalName != "MTConnectDevices")
            throw new FormatException($"{source}: error: not an MTConnectDevices document (root <{doc.Root?.Name.LocalName}>)");
        return new DeviceModel(items);
    }

    public static DeviceModel Load(string path) => Parse(File.ReadAllText(path), path);
}

/// <summary>The header and observations of one MTConnectStreams document (/current or /sample).</summary>
public sealed record StreamsDocument(long InstanceId, long FirstSequence, long NextSequence, long LastSequence, IReadOnlyList<Observation> Observations);

/// <summary>An MTConnectError document from the agent (e.g. OUT_OF_RANGE when the requested sequence has left its buffer).</summary>
public sealed class MtConnectErrorException(string code, string message) : Exception($"agent error {code}: {message}")
{
    public string Code { get; } = code;
}

public static class StreamsParser
{
    /// <summary>Parses MTConnectStreams (observations in document order, then sorted by sequence); MTConnectError raises.</summary>
    public static StreamsDocument Parse(string xml, string source)
    {
        XDocument doc;
        try { doc = XDocument.Parse(xml, LoadOptions.SetLineInfo); }
        catch (XmlException ex) { throw new FormatException($"{source}:{ex.LineNumber}:{ex.LinePosition}: error: {ex.Message}"); }
        var root = doc.Root ?? throw new FormatException($"{source}: error: empty document");
        if (root.Name.LocalName == "MTConnectError")
        {
            var e = root.Descendants().FirstOrDefault(x => x.Name.LocalName == "Error");
            throw new MtConnectErrorException((string?)e?.Attribute("errorCode") ?? "UNKNOWN", e?.Value.Trim() ?? "");
        }
        if (root.Name.LocalName != "MTConnectStreams") throw new FormatException($"{source}: error: not an MTConnectStreams document (root <{root.Name.LocalName}>)");
        var header = root.Descendants().FirstOrDefault(x => x.Name.LocalName == "Header") ?? throw new FormatException($"{source}: error: no Header");
        long L(string n) => long.TryParse((string?)header.Attribute(n), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var obs = new List<Observation>();
        foreach (var group in root.Descendants().Where(x => x.Name.LocalName is "Samples" or "Events" or "Condition"))
        {
            foreach (var e in group.Elements())
            {
                string? id = (string?)e.Attribute("dataItemId");
                if (id == null) continue;
                long seq = long.TryParse((string?)e.Attribute("sequence"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 0;
                var ts = DateTimeOffset.TryParse((string?)e.Attribute("timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : default;
                string key = (string?)e.Attribute("name") ?? id;
                if (group.Name.LocalName == "Condition")
                    obs.Add(new Observation(ts, key, e.Name.LocalName.ToUpperInvariant(), ObservationKind.Condition, seq, (string?)e.Attribute("nativeCode"), e.Value.Trim()) { DataItemId = id });
                else
                    obs.Add(new Observation(ts, key, e.Value.Trim(), group.Name.LocalName == "Samples" ? ObservationKind.Sample : ObservationKind.Event, seq) { DataItemId = id });
            }
        }
        obs.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return new StreamsDocument(L("instanceId"), L("firstSequence"), L("nextSequence"), L("lastSequence"), obs);
    }
}
