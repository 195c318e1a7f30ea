using CncTwin.Core.Streaming;

namespace CncTwin.GCode.Tests.Core;

public class ReadAheadTests
{
    [Fact]
    public void KeepsOrderAcrossBatches()
    {
        var result = ReadAhead.Run(Enumerable.Range(0, 10_007), batchSize: 100, batchesAhead: 2).ToList();
        Assert.Equal(Enumerable.Range(0, 10_007), result);
    }

    [Fact]
    public void ProducerErrorArrivesAfterTheItemsBeforeIt()
    {
        static IEnumerable<int> Failing()
        {
            for (int i = 0; i < 250; i++) yield return i;
            throw new GCodeException("f.ngc", 7, 3, "boom");
        }
        var seen = new List<int>();
        var ex = Assert.Throws<GCodeException>(() => { foreach (var i in ReadAhead.Run(Failing(), batchSize: 16)) seen.Add(i); });
        Assert.Equal(7, ex.Line);
        Assert.Equal(250, seen.Count);
    }

    [Fact]
    public void StoppingEarlyStopsTheProducer()
    {
        long produced = 0;
        IEnumerable<long> Endless() { while (true) yield return Interlocked.Increment(ref produced); }
        var first = ReadAhead.Run(Endless(), batchSize: 10, batchesAhead: 2).Take(5).ToList();
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, first);
        long after = Interlocked.Read(ref produced);
        Thread.Sleep(50);
        Assert.Equal(after, Interlocked.Read(ref produced)); // the producer thread has finished
        Assert.True(after <= 10 * 4, $"produced {after} items for 5 consumed: read-ahead is not bounded");
    }
}
