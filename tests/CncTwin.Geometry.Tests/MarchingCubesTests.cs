using System.Numerics;
using CncTwin.Geometry;
using CsCheck;

namespace CncTwin.Geometry.Tests;

public class MarchingCubesTests
{
    [Theory]
    // A box of inside grid points well inside the grid, and one touching the grid's low corner
    // (its faces there come from the padding), with a cell and origin that are not round numbers.
    [InlineData(2, 8, 3, 7, 1, 6)]
    [InlineData(0, 6, 0, 4, 0, 9)]
    public void BinaryBoxHasTheChamferedBoxVolumeAndIsWatertight(int i0, int i1, int j0, int j1, int k0, int k1)
    {
        const float Cell = 0.37f;
        var field = new FuncField(12, 10, 10, new Vector3(-10.5f, 3.25f, 100f), Cell,
            (i, j, k) => i >= i0 && i <= i1 && j >= j0 && j <= j1 && k >= k0 && k <= k1 ? 1f : 0f);

        TriangleSoup soup = Mesh.Extract(field, 0.5f);

        // Faces lie half-way between inside and outside points. With X, Y, Z the number of cells
        // between the outermost inside points: interior cubes are full, face cubes half full, edge
        // cubes lose all but a 1/8 prism, corner cubes keep a 1/48 tetrahedron.
        double x = i1 - i0, y = j1 - j0, z = k1 - k0;
        double expectedCells = x * y * z + x * y + y * z + x * z + (x + y + z) / 2 + 1.0 / 6;
        double expected = expectedCells * Math.Pow(Cell, 3);
        double sharpBox = (x + 1) * (y + 1) * (z + 1) * Math.Pow(Cell, 3);
        Assert.True(Math.Abs(expected - sharpBox) / sharpBox > 0.01, "the chamfer must be measurable for this test to mean anything");

        Assert.Equal(expected, soup.SignedVolumeMm3(), expected * 0.005);
        Assert.Equal(expected, soup.SignedVolumeMm3(), expected * 1e-5);
        Assert.True(soup.CheckClosed().IsWatertight, soup.CheckClosed().ToString());

        (Vector3 min, Vector3 max) = soup.Bounds();
        Vector3 expectedMin = field.Position(i0, j0, k0) - new Vector3(Cell / 2);
        Vector3 expectedMax = field.Position(i1, j1, k1) + new Vector3(Cell / 2);
        Assert.True(Vector3.Distance(expectedMin, min) < 1e-4f, $"{min} != {expectedMin}");
        Assert.True(Vector3.Distance(expectedMax, max) < 1e-4f, $"{max} != {expectedMax}");
    }

    [Fact]
    public void SingleInsidePointIsAnOctahedronOfOneSixthCell()
    {
        var field = new FuncField(1, 1, 1, Vector3.Zero, 2f, (_, _, _) => 1f);
        TriangleSoup soup = Mesh.Extract(field, 0.5f);
        Assert.Equal(8, soup.TriangleCount);
        Assert.Equal(8.0 / 6, soup.SignedVolumeMm3(), 1e-6);
        Assert.True(soup.CheckClosed().IsWatertight);
    }

    [Theory]
    [InlineData(8f, 0.5f, 0f)]   // centre on a grid point: some samples are exactly at the iso level
    [InlineData(10f, 0.7f, 0.3f)]
    public void SphereVolumeIsWithinOnePercentAndTheSurfaceIsAClosedSphere(float radius, float cell, float shift)
    {
        int n = (int)MathF.Ceiling(2 * radius / cell) + 5;
        var origin = new Vector3(-n / 2 * cell);
        var centre = new Vector3(shift, -shift / 2, shift / 3);
        var field = new FuncField(n, n, n, origin, cell,
            (i, j, k) => radius - Vector3.Distance(origin + new Vector3(i, j, k) * cell, centre));

        var builder = new IndexedMeshBuilder();
        var soupBuilder = new TriangleSoupBuilder();
        MarchingCubes.Extract(field, 0f, new Tee(builder, soupBuilder));
        TriangleSoup soup = soupBuilder.ToSoup();

        double exact = 4.0 / 3 * Math.PI * Math.Pow(radius, 3);
        Assert.Equal(exact, soup.SignedVolumeMm3(), exact * 0.01);
        Assert.True(soup.CheckClosed().IsWatertight, soup.CheckClosed().ToString());
        // Euler characteristic 2: welding found every shared vertex and the surface is one sphere.
        Assert.Equal(2, builder.Positions.Count - builder.TriangleCount * 3 / 2 + builder.TriangleCount);
        foreach (Vector3 p in builder.Positions)
        {
            Assert.InRange(Vector3.Distance(p, centre), radius - cell / 4, radius + cell / 4);
        }
    }

    [Fact]
    public void CrossingsAreInterpolatedLinearly()
    {
        // Inside for x <= 5.3 mm: the furthest +x surface is the plane x = 5.3.
        var field = new FuncField(12, 4, 4, Vector3.Zero, 1f, (i, _, _) => 5.3f - i);
        TriangleSoup soup = Mesh.Extract(field, 0f);
        Assert.Equal(5.3f, soup.Bounds().Max.X, 1e-5f);
        Assert.True(soup.CheckClosed().IsWatertight);
    }

    [Fact]
    public void AllSingleCubeConfigurationsAreWatertightWithPositiveVolume()
    {
        for (int cubeCase = 0; cubeCase < 256; cubeCase++)
        {
            int c = cubeCase;
            var field = new FuncField(2, 2, 2, Vector3.Zero, 1f, (i, j, k) => c >> (i | j << 1 | k << 2) & 1);
            TriangleSoup soup = Mesh.Extract(field, 0.5f);
            EdgeReport report = soup.CheckClosed();
            Assert.True(report.IsWatertight, $"case {cubeCase}: {report}");
            if (cubeCase == 0)
            {
                Assert.Equal(0, soup.TriangleCount);
            }
            else
            {
                // Every inside point keeps at least its own 1/6-cell octahedron.
                Assert.True(soup.SignedVolumeMm3() >= BitCount(cubeCase) / 6.0 - 1e-6, $"case {cubeCase}: volume {soup.SignedVolumeMm3()}");
            }
        }
    }

    [Fact]
    public void IsolatedPointsGiveOneOctahedronEach()
    {
        // A 3D checkerboard: every face of every cube is ambiguous, and the rule separates inside corners.
        var field = new FuncField(5, 5, 5, Vector3.Zero, 1f, (i, j, k) => (i + j + k) % 2 == 0 ? 1f : 0f);
        TriangleSoup soup = Mesh.Extract(field, 0.5f);
        Assert.True(soup.CheckClosed().IsWatertight);
        Assert.Equal(63 * 8, soup.TriangleCount);
        Assert.Equal(63.0 / 6, soup.SignedVolumeMm3(), 1e-4);
    }

    [Theory]
    [InlineData("checker3d")]
    [InlineData("checker2d")]
    [InlineData("stripes")]
    [InlineData("diagonal")]
    public void PatternedFieldsAreWatertight(string pattern)
    {
        Func<int, int, int, float> value = pattern switch
        {
            "checker3d" => (i, j, k) => (i + j + k) % 2,
            "checker2d" => (i, j, _) => (i + j) % 2,
            "stripes" => (i, _, k) => (i / 2 + k) % 2,
            _ => (i, j, k) => (i + 2 * j + 3 * k) % 5 < 2 ? 1 : 0,
        };
        TriangleSoup soup = Mesh.Extract(new FuncField(20, 20, 20, Vector3.Zero, 1f, value), 0.5f);
        EdgeReport report = soup.CheckClosed();
        Assert.True(report.IsWatertight, report.ToString());
        Assert.True(soup.SignedVolumeMm3() > 0);
    }

    [Fact]
    public void RandomBinaryFieldsAreAlwaysWatertight()
    {
        Gen.Select(Gen.Int, Gen.Double[0.2, 0.8]).Sample((seed, fill) =>
        {
            var random = new Random(seed);
            var values = new float[20 * 20 * 20];
            for (int n = 0; n < values.Length; n++)
            {
                values[n] = random.NextDouble() < fill ? 1f : 0f;
            }
            var field = new FuncField(20, 20, 20, new Vector3(-3, 7, 11), 0.25f, (i, j, k) => values[(k * 20 + j) * 20 + i]);
            TriangleSoup soup = Mesh.Extract(field, 0.5f);
            EdgeReport report = soup.CheckClosed();
            return report.IsWatertight && report.NonManifoldEdges == 0 && report.InconsistentEdges == 0 && soup.SignedVolumeMm3() > 0;
        }, iter: 60);
    }

    [Fact]
    public void RandomFieldsWithSamplesExactlyAtTheIsoLevelAreWatertight()
    {
        // Samples at the iso level put crossings on grid points unless they are kept off them.
        float[] levels = [0f, 0.5f, 0.5f, 1f, 0.25f, 0.75f];
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var values = new float[16 * 16 * 16];
            for (int n = 0; n < values.Length; n++)
            {
                values[n] = levels[random.Next(levels.Length)];
            }
            var field = new FuncField(16, 16, 16, new Vector3(1000, -500, 20), 0.05f, (i, j, k) => values[(k * 16 + j) * 16 + i]);
            TriangleSoup soup = Mesh.Extract(field, 0.5f);
            return soup.CheckClosed().IsWatertight && soup.SignedVolumeMm3() > 0;
        }, iter: 40);
    }

    [Fact]
    public void RequestsEachLayerOnceInOrderAndReportsProgressToOne()
    {
        var field = new FuncField(6, 5, 7, Vector3.Zero, 1f, (i, j, k) => i + j + k < 8 ? 1 : 0);
        var reports = new List<double>();
        MarchingCubes.Extract(field, 0.5f, new TriangleSoupBuilder(), new SynchronousProgress(reports.Add));
        Assert.Equal(Enumerable.Range(0, 7), field.LayersFilled);
        Assert.Equal(1.0, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public void NonPositiveIsoLevelStillPadsWithOutside()
    {
        // Everything in the grid is inside at iso -1: the result is the padded box, closed.
        var field = new FuncField(3, 3, 3, Vector3.Zero, 1f, (_, _, _) => 0f);
        TriangleSoup soup = Mesh.Extract(field, -1f);
        Assert.True(soup.CheckClosed().IsWatertight);
        Assert.True(soup.SignedVolumeMm3() > 8);
    }

    [Fact]
    public void EmptyGridGivesNothing()
    {
        var soup = Mesh.Extract(new FuncField(0, 4, 4, Vector3.Zero, 1f, (_, _, _) => 1f), 0.5f);
        Assert.Equal(0, soup.TriangleCount);
    }

    private static int BitCount(int value) => System.Numerics.BitOperations.PopCount((uint)value);

    private sealed class Tee(ITriangleSink first, ITriangleSink second) : ITriangleSink
    {
        public void AddTriangle(Vector3 a, Vector3 b, Vector3 c)
        {
            first.AddTriangle(a, b, c);
            second.AddTriangle(a, b, c);
        }
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
