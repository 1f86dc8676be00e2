using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;

namespace Kiln.BrowserTests;

/// <summary>A test-only pipeline that takes a PDF, so the upload journey can be tested without any AI pipeline.</summary>
public sealed class PdfEchoPipeline : IPipeline
{
    public PipelineDescriptor Descriptor { get; } = new("pdf-echo", "PDF echo (test)", "1", "Reports the PDF's facts as Markdown.",
        ["pdf"], ["facts.md"], JsonDocument.Parse("""{"type":"object","properties":{"title":{"type":"string","default":"Facts"}}}""").RootElement.Clone(), 60);

    public Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs) => new PipelinePlan(options, 3);

    public async Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct)
    {
        var input = context.Inputs[0];
        var path = Path.Combine(context.ScratchDirectory, "facts.md");
        await File.WriteAllTextAsync(path, $"# Facts\n\n- File: {input.FileName}\n- Size: {new FileInfo(input.Path).Length} bytes\n", ct);
        await context.Artifacts.AddAsync("facts.md", "text/markdown", path, ct);
        await context.Reporter.ProgressAsync(100, "done", null, ct);
        return new PipelineOutcome();
    }
}
