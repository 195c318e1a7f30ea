namespace CncTwin.Twin;

/// <summary>Opens a machine's telemetry source from its address, the way a shop names it.</summary>
public static class TelemetrySources
{
    /// <summary>
    /// shdr://HOST:PORT (an SHDR adapter), mtconnect://HOST:PORT[/DEVICE] (an MTConnect agent), or csv:FILE / a
    /// file path (a recorded log in the generic or umich format). A malformed address throws ArgumentException
    /// saying what is expected. A CSV log brings its own data-item mapping (mapping, else null).
    /// </summary>
    public static IObservationSource Open(string address, string csvFormat, DeviceModel? model, out DataItemMapping? mapping)
    {
        mapping = null;
        // A host and an explicit port, or an error that says what is expected.
        static Uri Endpoint(string address, string form)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host) || u.IsDefaultPort || u.Port is < 1 or > 65535)
                throw new ArgumentException($"expected {form}");
            return u;
        }
        if (address.StartsWith("shdr://", StringComparison.OrdinalIgnoreCase))
        {
            var u = Endpoint(address, "shdr://HOST:PORT (an SHDR adapter, usually port 7878)");
            return new ShdrSource(u.Host, u.Port, model);
        }
        if (address.StartsWith("mtconnect://", StringComparison.OrdinalIgnoreCase))
        {
            var u = Endpoint(address, "mtconnect://HOST:PORT[/DEVICE] (an MTConnect agent, usually port 5000)");
            string? device = u.AbsolutePath.Trim('/') is { Length: > 0 } d ? d : null;
            return new MtConnectSource(new Uri($"http://{u.Host}:{u.Port}/"), device);
        }
        string file = address.StartsWith("csv:", StringComparison.OrdinalIgnoreCase) ? address[4..] : address;
        var csv = new CsvReplaySource(file, csvFormat);
        mapping = csv.Mapping;
        return csv;
    }
}
