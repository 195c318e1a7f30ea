using CncTwin.Wear.Learning;
using CncTwin.Wear;

namespace CncTwin.Wear.Tests;

/// <summary>
/// In the U-Mich data every worn run cuts 0.2 mm higher in machine Z than every unworn run (another tool, another
/// length offset), so a position, offset or program-line channel would let a model recognise the tool instead of
/// its wear and score perfectly. The classifier must only see drive loads and the programmed feed.
/// </summary>
public class UmichInputTests
{
    [Fact]
    public void ClassifierSeesNoPositionOffsetOrProgramChannel()
    {
        string[] setupChannels = ["Position", "M1_", "Program", "sequence", "Machining_Process"];
        foreach (var name in UmichMill.Signals.Concat(UmichConditionModel.InputNames))
            Assert.DoesNotContain(setupChannels, c => name.Contains(c, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("feedrate_mm_s", UmichConditionModel.InputNames);
        Assert.Contains(UmichConditionModel.InputNames, n => n.StartsWith("S1_OutputPower"));
    }
}

/// <summary>Leave-one-cutter-out only means something with two or more distinct cutters.</summary>
public class PhmFoldInputTests
{
    private static readonly PhmModelSpec Spec = new("sdca", ["force_x_max"], 5, 0.0125, 0, 1, ["c1", "c4"]);

    [Theory]
    [InlineData("c1")]
    [InlineData("c1,c1")]
    [InlineData("c1,C1,c4")]
    public void OneCutterOrARepeatedOne_IsRefusedBeforeAnyData(string cutters)
    {
        var ex = Assert.Throws<ArgumentException>(() => PhmWearModel.Evaluate("/nonexistent", Spec, cutters.Split(',')));
        Assert.Contains("each once", ex.Message);
    }
}
