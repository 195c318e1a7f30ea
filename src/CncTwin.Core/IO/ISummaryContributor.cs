using System.Text.Json;

namespace CncTwin.Core.IO;

/// <summary>
/// A pipeline stage's part of summary.json: the stage writes its own keys (inside the one summary object, in the
/// order it likes) and knows nothing of the other stages' keys. The summary writer calls the stages in pipeline
/// order, so a new stage adds its keys by implementing this and being listed once.
/// </summary>
public interface ISummaryContributor
{
    void WriteSummary(Utf8JsonWriter w);
}
