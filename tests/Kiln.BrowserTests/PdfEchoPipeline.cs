using Kiln.Core.Common;
using Kiln.Core.Pipelines;

namespace Kiln.BrowserTests;

public sealed record PdfEchoOptions
{
    public string Title { get; init; } = "Facts";
}

/// <summary>A test-only pipeline that takes a PDF, so the upload journey can be tested without any AI pipeline.</summary>
public sealed class PdfEchoPipeline : Pipeline<PdfEchoOptions>
{
    public override string Id => "pdf-echo";
    public override string Name => "PDF echo (test)";
    public override string Version => "1";
    public override string Description => "Reports the PDF's facts as Markdown.";
    public override IReadOnlyList<InputSlot> Slots { get; } = [new("source", "PDF", ["pdf"])];
    public override IReadOnlyList<string> Produces => ["facts.md"];
    public override int DefaultTimeoutSeconds => 60;
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal>(), PerJob: 3);

    public override Result<PipelineQuote> Plan(PdfEchoOptions options, InputSet<InputFacts> inputs) => Quote(options);

    public override async Task<PipelineOutcome> Run(PipelineContext context, PdfEchoOptions options, CancellationToken ct)
    {
        var input = context.Inputs["source"];
        var path = Path.Combine(context.ScratchDirectory, "facts.md");
        await File.WriteAllTextAsync(path, $"# {options.Title}\n\n- File: {input.FileName}\n- Size: {new FileInfo(input.Path).Length} bytes\n- Pages: {input.Facts.Pdf?.Pages}\n", ct);
        await context.Artifacts.AddAsync("facts.md", "text/markdown", path, ct);
        await context.Progress.DoneAsync(ct);
        return new PipelineOutcome();
    }
}
