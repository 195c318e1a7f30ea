using System.Diagnostics;
using System.Numerics;
using CncTwin.Core;
using CncTwin.Geometry;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Benchmarks;

/// <summary>`mesh-stats`: where stock meshing spends its time on pocket-deep.ngc's stock at 0.2 mm (one timed pass of each part).</summary>
public static class MeshStats
{
    private sealed class NullSink : ITriangleSink { public long N; public void AddTriangle(Vector3 a, Vector3 b, Vector3 c) => N++; }

    public static void Run(TextWriter w)
    {
        string samples = Path.Combine(TwinBenchmarks.FindRepo(), "gcode-samples");
        var stock = VoxelStock.Box(new Vec3(0, 0, -30), new Vec3(100, 100, 0), 0.2);
        var request = SimulationRequest.ForText(File.ReadAllText(Path.Combine(samples, "pocket-deep.ngc")), ToolLibrary.LoadJson(Path.Combine(samples, "tools.json")), () => stock, "pocket-deep.ngc") with { HomeZ = HomeZ.Auto };
        using (var pass = new SimulationPass(SimulationContext.CreateOrThrow(request), new PassOptions { Stages = PipelineStages.Removal }))
            foreach (var _ in pass.Moves()) { }
        for (int round = 0; round < 2; round++)
        {
            var field = new StockField(stock, 1);
            var layer = new float[field.Nx * field.Ny];
            var clock = Stopwatch.StartNew();
            for (int k = 0; k < field.Nz; k++) field.FillLayer(k, layer);
            double fill = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var none = new NullSink();
            MarchingCubes.Extract(field, 0.5f, none);
            double mc = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var indexed = new IndexedMeshBuilder();
            MarchingCubes.Extract(field, 0.5f, indexed);
            double weld = clock.Elapsed.TotalSeconds;
            clock.Restart();
            string tmp = Path.Combine(Path.GetTempPath(), "cnctwin-mesh-stats");
            Directory.CreateDirectory(tmp);
            GlbWriter.Write(Path.Combine(tmp, "s.glb"), indexed.Positions, indexed.Indices, "stock");
            double glb = clock.Elapsed.TotalSeconds;
            clock.Restart();
            StockMesh.Write(stock, 1, Path.Combine(tmp, "s.stl"), Path.Combine(tmp, "s2.glb"));
            double all = clock.Elapsed.TotalSeconds;
            w.WriteLine(FormattableString.Invariant($"round {round}: {none.N:N0} triangles; field layers {fill:0.000} s, extraction incl. field {mc:0.000} s, + welding {weld:0.000} s, glb {glb:0.000} s; StockMesh.Write (stl+glb) {all:0.000} s"));
        }
    }
}
