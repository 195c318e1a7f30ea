using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Removal;

namespace CncTwin.Simulation;

/// <summary>Tool tables for the interpreter and cutter geometry for removal, from a LinuxCNC .tbl or a CncTwin .json library.</summary>
public static class ToolTables
{
    /// <summary>Like a controller's configured table: a program's folder may carry its shop's tools.json (cutter geometry) or tools.tbl.</summary>
    public static string? BesideProgram(string program)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(program)) ?? ".";
        foreach (var name in new[] { "tools.json", "tools.tbl" })
        {
            string sibling = Path.Combine(dir, name);
            if (File.Exists(sibling)) return sibling;
        }
        return null;
    }

    public static bool IsJsonLibrary(string path) => path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The interpreter's tool table (diameters for compensation, lengths for G43) and the cutters; null path: empty table, no cutters.</summary>
    public static (ToolTable? Table, ToolLibrary Library, Diagnostic? Error) Load(string? path)
    {
        if (path == null) return (new ToolTable(), new ToolLibrary(), null);
        if (!File.Exists(path)) return (null, new ToolLibrary(), Diagnostic.BadFile(path, "tool table not found"));
        if (IsJsonLibrary(path))
        {
            ToolLibrary library;
            try { library = ToolLibrary.LoadJson(path); }
            catch (ToolLibraryException ex) { return (null, new ToolLibrary(), Diagnostic.Preformatted(DiagnosticKind.InvalidFile, ex.Message)); }
            return (FromLibrary(library), library, null);
        }
        try
        {
            var tbl = ToolTable.Load(path);
            return (tbl, ToolLibrary.FromDiameters(tbl.Tools.Select(t => (t.Number, t.DiameterMm, t.Offset.Z, t.Comment))), null);
        }
        catch (GCodeException ex) { return (null, new ToolLibrary(), Diagnostic.FromProgram(ex) with { Kind = DiagnosticKind.InvalidFile }); }
    }

    /// <summary>The interpreter's view of a cutter library: number, length offset and diameter.</summary>
    public static ToolTable FromLibrary(ToolLibrary library)
    {
        var table = new ToolTable();
        foreach (var t in library.Tools)
            table.Set(new ToolEntry(t.Number, t.Number, new Vec3(0, 0, t.LengthMm), t.Cutter.DiameterMm, t.Comment));
        return table;
    }
}
