using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using System.Text.Json;
using CncTwin.Geometry;

namespace CncTwin.Removal;

/// <summary>
/// Final stock against the design part, column by column on the stock's voxel grid: leftover = stock voxels
/// outside the part (material still to remove), gouge = part voxels the program cut away. Per column the
/// thickness of each (mm, along Z: the distance a 3-axis finish pass would see) goes to deviation.csv and to
/// deviation.png (a plan view: red gouges, blue leftover, grey on size, white no part).
/// </summary>
public static class DesignComparison
{
    public sealed record Result(double GougeVolumeMm3, double LeftoverVolumeMm3, double MaxGougeMm, double MaxLeftoverMm, long GougeColumns, long LeftoverColumns)
    {
        public void WriteJson(Utf8JsonWriter w)
        {
            w.WriteStartObject("design");
            w.WriteNumber("gouge_volume_mm3", Math.Round(GougeVolumeMm3, 4));
            w.WriteNumber("leftover_volume_mm3", Math.Round(LeftoverVolumeMm3, 4));
            w.WriteNumber("max_gouge_mm", Math.Round(MaxGougeMm, 4));
            w.WriteNumber("max_leftover_mm", Math.Round(MaxLeftoverMm, 4));
            w.WriteNumber("gouge_columns", GougeColumns);
            w.WriteNumber("leftover_columns", LeftoverColumns);
            w.WriteString("map_csv", "deviation.csv");
            w.WriteString("map_png", "deviation.png");
            w.WriteEndObject();
        }
    }

    public static Result Run(VoxelStock finalStock, string designStl, string outDir)
    {
        var design = finalStock.EmptyLike();
        design.AddMesh(StlReader.Read(designStl));
        return Compare(finalStock, design, outDir);
    }

    public static Result Compare(VoxelStock stock, VoxelStock design, string? outDir)
    {
        int nx = stock.Nx, ny = stock.Ny, words = stock.WordsPerColumn;
        var gouge = new float[nx * ny];
        var left = new float[nx * ny];
        var hasPart = new bool[nx * ny];
        long gv = 0, lv = 0, gc = 0, lc = 0;
        for (int c = 0; c < nx * ny; c++)
        {
            int g = 0, l = 0;
            bool part = false;
            for (int w = 0; w < words; w++)
            {
                ulong s = stock.ColumnWord(c, w), d = design.ColumnWord(c, w);
                g += BitOperations.PopCount(d & ~s);
                l += BitOperations.PopCount(s & ~d);
                part |= d != 0;
            }
            gouge[c] = (float)(g * stock.CellMm); left[c] = (float)(l * stock.CellMm); hasPart[c] = part;
            gv += g; lv += l;
            if (g > 0) gc++;
            if (l > 0) lc++;
        }
        var result = new Result(gv * stock.VoxelVolumeMm3, lv * stock.VoxelVolumeMm3, gouge.Max(), left.Max(), gc, lc);
        if (outDir != null)
        {
            using (var file = CncTwin.Core.IO.AtomicFile.Create(Path.Combine(outDir, "deviation.csv")))
            {
                using (var csv = new StreamWriter(file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                {
                csv.Write("x_mm,y_mm,leftover_mm,gouge_mm\n");
                for (int j = 0; j < ny; j++)
                    for (int i = 0; i < nx; i++)
                    {
                        int c = j * nx + i;
                        if (gouge[c] == 0 && left[c] == 0) continue;
                        csv.Write(string.Create(CultureInfo.InvariantCulture, $"{stock.CenterX(i):0.####},{stock.CenterY(j):0.####},{left[c]:0.####},{gouge[c]:0.####}\n"));
                    }
                }
                // The writer is closed (flushed) before the file is made visible.
                file.Commit();
            }
            CncTwin.Core.IO.AtomicFile.Write(Path.Combine(outDir, "deviation.png"), png => WritePng(png, nx, ny, gouge, left, hasPart, Math.Max(result.MaxGougeMm, stock.CellMm), Math.Max(result.MaxLeftoverMm, stock.CellMm)));
        }
        return result;
    }

    private static void WritePng(string path, int nx, int ny, float[] gouge, float[] left, bool[] part, double gMax, double lMax)
    {
        // Rows top to bottom = +Y to -Y, so the picture is the plan view seen from above.
        var raw = new byte[(long)ny * (1 + 3 * nx)];
        long o = 0;
        for (int j = ny - 1; j >= 0; j--)
        {
            raw[o++] = 0; // filter: none
            for (int i = 0; i < nx; i++)
            {
                int c = j * nx + i;
                byte r = 255, g = 255, b = 255;
                if (gouge[c] > 0) { double t = Math.Min(1, gouge[c] / gMax); r = 255; g = b = (byte)(200 * (1 - t)); }
                else if (left[c] > 0) { double t = Math.Min(1, left[c] / lMax); b = 255; r = g = (byte)(200 * (1 - t)); }
                else if (part[c]) { r = g = b = 170; }
                raw[o++] = r; raw[o++] = g; raw[o++] = b;
            }
        }
        using var f = File.Create(path);
        f.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BigEndian(ihdr, 0, (uint)nx); BigEndian(ihdr, 4, (uint)ny);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk(f, "IHDR", ihdr);
        using (var ms = new MemoryStream())
        {
            using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
            Chunk(f, "IDAT", ms.ToArray());
        }
        Chunk(f, "IEND", []);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BigEndian(head, 0, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, head.AsSpan(4, 4)), data) ^ 0xFFFFFFFFu;
        var tail = new byte[4];
        BigEndian(tail, 0, crc);
        s.Write(tail);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static void BigEndian(byte[] b, int o, uint v) { b[o] = (byte)(v >> 24); b[o + 1] = (byte)(v >> 16); b[o + 2] = (byte)(v >> 8); b[o + 3] = (byte)v; }
}
