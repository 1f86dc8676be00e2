using Kiln.Core.Common;
using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.PdfPodcast;

public sealed class PdfPodcastPlanTests : IDisposable
{
    private readonly ServiceProvider _services = Services.Build();
    private IPipeline Pipeline => _services.GetRequiredService<PipelineCatalog>().Find("pdf-podcast")!;

    public void Dispose() => _services.Dispose();

    private PipelineCatalog Catalog => _services.GetRequiredService<PipelineCatalog>();

    private static InputSet<InputFacts> Pdf(int pages) => new([PipelineTesting.Pdf(pages)]);

    private Kiln.Core.Common.Result<PlannedJob> Plan(JsonElement options, InputSet<InputFacts> inputs) => Catalog.Plan(Pipeline, options, inputs);

    [Theory]
    [InlineData(1, false, 1)]
    [InlineData(5, false, 1)]
    [InlineData(6, false, 2)]
    [InlineData(23, false, 5)]
    [InlineData(3, true, 2)]
    [InlineData(10, true, 3)]
    [InlineData(23, true, 8)]
    public void Estimates_from_the_selected_page_count(int pages, bool audio, long expected)
    {
        var plan = Plan(Json.Parse($$"""{"audio":{{(audio ? "true" : "false")}}}"""), Pdf(pages));
        plan.Value!.EstimatedCost.ShouldBe(expected);
        plan.Value.Estimate.Lines.Sum(l => l.Credits).ShouldBe(expected);
        plan.Value.Estimate.Lines.Select(l => l.Meter).ShouldBe(audio ? ["page", "narratedPage"] : ["page"]);
    }

    [Fact]
    public void Page_selection_drives_the_estimate_and_defaults_are_filled_in()
    {
        var plan = Plan(Json.Parse("""{"pages":" 3, 5-7 ,20-30"}"""), Pdf(40));
        plan.IsSuccess.ShouldBeTrue(plan.Error?.Message);
        plan.Value!.EstimatedCost.ShouldBe(3);
        plan.Value.OptionsJson.GetRawText().ShouldBe("""{"pages":"3,5-7,20-30","hosts":["Alex","Sam"],"style":"conversational","audio":false,"maxChapters":12}""");
    }

    [Fact]
    public void Absent_options_mean_all_pages()
    {
        var plan = Plan(default, Pdf(11));
        plan.Value!.OptionsJson.GetProperty("pages").GetString().ShouldBe("1-11");
        plan.Value.EstimatedCost.ShouldBe(3);
    }

    [Theory]
    [InlineData("""{"pages":"0-3"}""", "invalid_page_range")]
    [InlineData("""{"pages":"5-2"}""", "invalid_page_range")]
    [InlineData("""{"pages":"abc"}""", "invalid_page_range")]
    [InlineData("""{"pages":"9-12"}""", "invalid_page_range")]
    [InlineData("""{"pages":7}""", "invalid_options")]
    [InlineData("""{"audio":"yes"}""", "invalid_options")]
    [InlineData("""{"hosts":["Only one"]}""", "invalid_options")]
    [InlineData("""{"hosts":["Same","same"]}""", "invalid_options")]
    [InlineData("""{"hosts":["A: B","C"]}""", "invalid_options")]
    [InlineData("""{"style":"rap"}""", "invalid_options")]
    [InlineData("""{"maxChapters":0}""", "invalid_options")]
    [InlineData("""{"maxChapters":51}""", "invalid_options")]
    [InlineData("""{"maxChapters":2.5}""", "invalid_options")]
    [InlineData("""{"colour":"blue"}""", "invalid_options")]
    [InlineData("""[1,2]""", "invalid_options")]
    public void Rejects_bad_options(string options, string code)
    {
        var plan = Plan(Json.Parse(options), Pdf(8));
        plan.IsSuccess.ShouldBeFalse();
        plan.Error!.Code.ShouldBe(code);
        plan.Error.Message.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Requires_one_pdf_with_a_page_count()
    {
        var d = Pipeline.Descriptor;
        SlotBinding.Check(d, [])!.Code.ShouldBe("input_required");
        SlotBinding.Check(d, [new("source", "pdf", "a.pdf"), new("source", "pdf", "b.pdf")])!.Code.ShouldBe("too_many_inputs");
        SlotBinding.Check(d, [new("source", "audio", "a.mp3")])!.Code.ShouldBe("unsupported_input");
        SlotBinding.Check(d, [new("cover", "pdf", "a.pdf")])!.Code.ShouldBe("unknown_slot");
        SlotBinding.Check(d, [new("source", "pdf", "a.pdf")]).ShouldBeNull();
        Plan(default, new([PipelineTesting.Pdf(null)])).Error!.Code.ShouldBe("invalid_inputs");
    }

    [Theory]
    [InlineData("""{"maxChapters":51}""", "maxChapters", "rule")]
    [InlineData("""{"maxChapters":"x"}""", "maxChapters", "type")]
    [InlineData("""{"colour":"blue"}""", "colour", "unknown")]
    [InlineData("""{"hosts":["Same","same"]}""", "hosts", "rule")]
    public void Invalid_options_name_the_field_and_the_rule(string options, string field, string rule)
    {
        var error = Plan(Json.Parse(options), Pdf(8)).Error!;
        error.Kind.ShouldBe(ErrorKind.Unprocessable);
        error.Extensions!["field"].ShouldBe(field);
        error.Extensions["rule"].ShouldBe(rule);
        error.Message.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Operator_prices_override_the_defaults()
    {
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Pipelines:pdf-podcast:Pricing:Units:page"] = "1",
            ["Kiln:Pipelines:pdf-podcast:Pricing:Minimum"] = "20",
        });
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var pipeline = catalog.Find("pdf-podcast")!;
        catalog.Plan(pipeline, default, Pdf(12)).Value!.EstimatedCost.ShouldBe(20);
        catalog.Plan(pipeline, default, Pdf(30)).Value!.Estimate.Lines.Single().ShouldBe(new PriceLine("page", "Pages", 30, 1, 30));
    }

    [Fact]
    public void Descriptor_exposes_a_json_schema_for_the_ui()
    {
        var d = Pipeline.Descriptor;
        d.Id.ShouldBe("pdf-podcast");
        d.AcceptedInputKinds.ShouldBe(["pdf"]);
        var props = d.OptionsSchema.GetProperty("properties");
        props.EnumerateObject().Select(p => p.Name).ShouldBe(["pages", "hosts", "style", "audio", "maxChapters", "engine"]);
        props.GetProperty("maxChapters").GetProperty("maximum").GetInt32().ShouldBe(50);
        d.OptionsSchema.GetProperty("type").GetString().ShouldBe("object");
        _ = JsonSerializer.Serialize(d);
    }
}
