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

    private static InputFacts Pdf(int pages) => new("pdf", "doc.pdf", 1234, Json.Pages(pages));

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
        PdfPodcastPipeline.EstimateCost(pages, audio).ShouldBe(expected);
        var plan = Pipeline.Plan(Json.Parse($$"""{"audio":{{(audio ? "true" : "false")}}}"""), [Pdf(pages)]);
        plan.Value!.EstimatedCost.ShouldBe(expected);
    }

    [Fact]
    public void Page_selection_drives_the_estimate_and_defaults_are_filled_in()
    {
        var plan = Pipeline.Plan(Json.Parse("""{"pages":" 3, 5-7 ,20-30"}"""), [Pdf(40)]);
        plan.IsSuccess.ShouldBeTrue(plan.Error?.Message);
        plan.Value!.EstimatedCost.ShouldBe(PdfPodcastPipeline.EstimateCost(15, false));
        plan.Value.Options.GetRawText().ShouldBe("""{"pages":"3,5-7,20-30","hosts":["Alex","Sam"],"style":"conversational","audio":false,"maxChapters":12}""");
    }

    [Fact]
    public void Absent_options_mean_all_pages()
    {
        var plan = Pipeline.Plan(default, [Pdf(11)]);
        plan.Value!.Options.GetProperty("pages").GetString().ShouldBe("1-11");
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
        var plan = Pipeline.Plan(Json.Parse(options), [Pdf(8)]);
        plan.IsSuccess.ShouldBeFalse();
        plan.Error!.Code.ShouldBe(code);
        plan.Error.Message.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Requires_exactly_one_pdf_with_a_page_count()
    {
        Pipeline.Plan(default, []).Error!.Code.ShouldBe("invalid_inputs");
        Pipeline.Plan(default, [Pdf(2), Pdf(3)]).Error!.Code.ShouldBe("invalid_inputs");
        Pipeline.Plan(default, [new InputFacts("audio", "a.mp3", 1, Json.Parse("{}"))]).Error!.Code.ShouldBe("invalid_inputs");
        Pipeline.Plan(default, [new InputFacts("pdf", "a.pdf", 1, Json.Parse("{}"))]).Error!.Code.ShouldBe("invalid_inputs");
    }

    [Fact]
    public void Descriptor_exposes_a_json_schema_for_the_ui()
    {
        var d = Pipeline.Descriptor;
        d.Id.ShouldBe("pdf-podcast");
        d.AcceptedInputKinds.ShouldBe(["pdf"]);
        var props = d.OptionsSchema.GetProperty("properties");
        props.EnumerateObject().Select(p => p.Name).ShouldBe(["pages", "hosts", "style", "audio", "maxChapters"]);
        props.GetProperty("maxChapters").GetProperty("maximum").GetInt32().ShouldBe(50);
        d.OptionsSchema.GetProperty("type").GetString().ShouldBe("object");
        _ = JsonSerializer.Serialize(d);
    }
}
