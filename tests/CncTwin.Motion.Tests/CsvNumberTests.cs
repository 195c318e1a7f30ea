using System.Globalization;
using System.Text;
using CncTwin.Core.IO;

namespace CncTwin.Motion.Tests;

/// <summary>The fast number writer of timeline.csv must write exactly what double.TryFormat writes for its formats.</summary>
public class CsvNumberTests
{
    private static void Same(double v, int d)
    {
        Span<byte> fast = stackalloc byte[400];
        Assert.True(CsvNumber.TryWrite(v, d, fast, out int n));
        string expected = v.ToString(CsvNumber.FormatOf(d), CultureInfo.InvariantCulture);
        Assert.Equal(expected, Encoding.ASCII.GetString(fast[..n]));
    }

    [Fact]
    public void RandomValues_AllMagnitudesAndDecimals_MatchTryFormat()
    {
        var rng = new Random(7);
        for (int i = 0; i < 300_000; i++)
        {
            int d = rng.Next(0, 7);
            double mag = Math.Pow(10, rng.Next(-8, 13));
            double v = (rng.NextDouble() * 2 - 1) * mag;
            Same(v, d);
            // Values on and next to the decimal grid, where rounding ties live.
            double grid = Math.Round(v * Math.Pow(10, d)) / Math.Pow(10, d);
            Same(grid, d);
            Same(grid + 0.5 / Math.Pow(10, d), d);
            Same(Math.BitIncrement(grid + 0.5 / Math.Pow(10, d)), d);
            Same(Math.BitDecrement(grid + 0.5 / Math.Pow(10, d)), d);
        }
        foreach (double v in new[] { 0.0, -0.0, 1e-7, -1e-7, 0.00005, -0.00005, 0.5, -0.5, 1.5, 2.5, 1e15, -1e15, 123456789.123456, 9.99995, 0.125, 1e300 })
            for (int d = 0; d <= 6; d++) Same(v, d);
    }

    [Fact]
    public void FormatNames_AreRecognised()
    {
        Assert.Equal(4, CsvNumber.DecimalsOf("0.####"));
        Assert.Equal(0, CsvNumber.DecimalsOf("0"));
        Assert.Equal(-1, CsvNumber.DecimalsOf("0.00"));
        Assert.Equal(-1, CsvNumber.DecimalsOf("E3"));
    }
}
