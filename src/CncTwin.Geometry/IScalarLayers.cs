using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>
/// A scalar field sampled on a regular grid and handed out one z layer at a time, so that surface
/// extraction never needs the whole volume in memory. Grid point (i, j, k) lies at
/// <c>Origin + (i, j, k) * CellMm</c>.
/// </summary>
public interface IScalarLayers
{
    int Nx { get; }

    int Ny { get; }

    int Nz { get; }

    Vector3 Origin { get; }

    float CellMm { get; }

    /// <summary>Writes the Nx * Ny values of layer <paramref name="k"/>, point (i, j) at index j * Nx + i.</summary>
    void FillLayer(int k, Span<float> values);
}
