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

/// <summary>
/// Samples played back as the observations a stream brings (the default VMC-3Axis names: Xact, Yact, Zact, Sspeed,
/// Sload, line, execution; power as Spower, which a mapping can name), as fast as they are read: for simulated machines
/// and for replaying what a twin has recorded.
/// </summary>
public sealed class SampleReplaySource(IEnumerable<TelemetrySample> samples, string description = "samples") : IObservationSource
{
    public string Description => description;
    public Action<SourceEvent>? OnEvent { get; set; }

    public async IAsyncEnumerable<Observation> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var s in samples)
        {
            ct.ThrowIfCancellationRequested();
            yield return new Observation(s.Time, "Xact", s.X.ToString(ic));
            yield return new Observation(s.Time, "Yact", s.Y.ToString(ic));
            yield return new Observation(s.Time, "Zact", s.Z.ToString(ic));
            yield return new Observation(s.Time, "Sspeed", s.SpindleRpm.ToString(ic));
            yield return new Observation(s.Time, "Sload", s.SpindleLoadPct.ToString(ic));
            if (double.IsFinite(s.SpindlePowerW)) yield return new Observation(s.Time, "Spower", s.SpindlePowerW.ToString(ic));
            if (s.Line is int l) yield return new Observation(s.Time, "line", l.ToString(ic));
            yield return new Observation(s.Time, "execution", s.Execution ?? "ACTIVE");
        }
        await Task.Yield();
    }
}
