using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>
/// What every registered pipeline owes the platform — built-in, diagnostic and command pipelines alike: a schema the
/// form can render, defaults that plan, unknown options refused, a deterministic plan, required slots enforced.
/// </summary>
public sealed class PipelineContractTests : IDisposable
{
    private readonly ServiceProvider _services = Build(new ConfigurationBuilder().AddInMemoryCollection(Config()).Build());

    private static ServiceProvider Build(IConfiguration config) =>
        new ServiceCollection().AddLogging().AddPipelines(config).AddDiagnosticPipelines(config).BuildServiceProvider();
    private PipelineCatalog Catalog => _services.GetRequiredService<PipelineCatalog>();

    public void Dispose() => _services.Dispose();

    private static Dictionary<string, string?> Config() => new()
    {
        ["Kiln:Pipelines:Diagnostics"] = "true",
        ["Kiln:CommandPipelines:word-stats:Name"] = "Word stats",
        ["Kiln:CommandPipelines:word-stats:Executable"] = "/usr/bin/python3",
        ["Kiln:CommandPipelines:word-stats:Arguments:0"] = "{input.source}",
        ["Kiln:CommandPipelines:word-stats:Inputs:0:Name"] = "source",
        ["Kiln:CommandPipelines:word-stats:Inputs:0:Kinds:0"] = "text",
        ["Kiln:CommandPipelines:word-stats:OptionsSchema:Properties:top:Type"] = "integer",
        ["Kiln:CommandPipelines:word-stats:OptionsSchema:Properties:top:Default"] = "5",
        ["Kiln:CommandPipelines:word-stats:Price:Credits"] = "1",
    };

    public static TheoryData<string> Ids() => ["pdf-podcast", "pdf-audiobook", "podcast-episode", "dubbing", "study-notes", "noop", "sleep", "fail", "word-stats"];

    [Fact]
    public void The_catalog_holds_every_pipeline_of_the_contract() =>
        Catalog.All.Select(p => p.Descriptor.Id).Order().ShouldBe(Ids().Select(r => (string)r.Data).Order());

    [Theory, MemberData(nameof(Ids))]
    public void Schema_is_an_object_the_form_renders(string id)
    {
        var d = Catalog.Find(id)!.Descriptor;
        d.OptionsSchema.GetProperty("type").GetString().ShouldBe("object");
        var props = d.OptionsSchema.TryGetProperty("properties", out var p) ? p.EnumerateObject().Select(x => x.Name).ToList() : [];
        var fields = Kiln.Web.Ui.OptionsForm.Fields(d.OptionsSchema);
        fields.Select(f => f.Name).ShouldBe(props);
        // A property with choices renders as a choice, not a free text box.
        foreach (var f in fields)
            if (d.OptionsSchema.GetProperty("properties").GetProperty(f.Name).TryGetProperty("enum", out _)) f.Kind.ShouldBe("enum");
        _ = JsonSerializer.Serialize(d);
    }

    [Fact]
    public void A_choice_among_numbers_is_posted_back_as_a_number()
    {
        var pipeline = Catalog.Find("podcast-episode")!;
        var fields = Kiln.Web.Ui.OptionsForm.Fields(pipeline.Descriptor.OptionsSchema);
        fields.Single(f => f.Name == "loudnessTarget").Choices.ShouldBe(["-14", "-16", "-19", "-23"]);
        var bound = Kiln.Web.Ui.OptionsForm.Bind(fields, name => name == "o.loudnessTarget" ? "-19" : null);
        bound.GetProperty("loudnessTarget").GetInt32().ShouldBe(-19);
        pipeline.ParseOptions(bound).IsSuccess.ShouldBeTrue();
    }

    [Theory, MemberData(nameof(Ids))]
    public void Defaults_plan_and_the_plan_is_deterministic(string id)
    {
        var pipeline = Catalog.Find(id)!;
        var inputs = Inputs(pipeline.Descriptor);
        var first = Catalog.Plan(pipeline, default, inputs);
        first.IsSuccess.ShouldBeTrue(first.Error?.Message);
        var again = Catalog.Plan(pipeline, first.Value!.OptionsJson, inputs);
        again.Value!.OptionsJson.GetRawText().ShouldBe(first.Value.OptionsJson.GetRawText());
        again.Value.Estimate.ShouldBeEquivalentTo(first.Value.Estimate);
        first.Value.EstimatedCost.ShouldBeGreaterThanOrEqualTo(0);
    }

    [Theory, MemberData(nameof(Ids))]
    public void Unknown_options_are_refused_naming_the_option(string id)
    {
        var pipeline = Catalog.Find(id)!;
        var error = Catalog.Plan(pipeline, JsonDocument.Parse("""{"noSuchOption":1}""").RootElement, Inputs(pipeline.Descriptor)).Error!;
        error.Code.ShouldBe("invalid_options");
        error.Kind.ShouldBe(ErrorKind.Unprocessable);
        error.Extensions!["field"].ShouldBe("noSuchOption");
    }

    [Theory, MemberData(nameof(Ids))]
    public void Required_slots_are_enforced(string id)
    {
        var d = Catalog.Find(id)!.Descriptor;
        var missing = SlotBinding.Check(d, []);
        if (d.Slots.Any(s => s.Required)) missing!.Code.ShouldBe("input_required");
        else missing.ShouldBeNull();
        SlotBinding.Check(d, [new OfferedInput("not-a-slot", "pdf", "x.pdf")])!.Code.ShouldBeOneOf("unknown_slot", "unexpected_input");
    }

    /// <summary>One plausible input for every required slot.</summary>
    // The required slots; a pipeline whose slots are all optional (study-notes: exactly one of several) gets its first.
    private static InputSet<InputFacts> Inputs(PipelineDescriptor d) => new((d.Slots.Any(s => s.Required) ? d.Slots.Where(s => s.Required) : d.Slots.Take(1)).Select(s => s.Kinds[0] switch
    {
        "pdf" => InputFacts.From(s.Name, "pdf", "a.pdf", 1000, """{"pages":12}"""),
        "audio" or "video" => InputFacts.From(s.Name, s.Kinds[0], "a.wav", 1000, """{"durationSeconds":90,"streams":[{"type":"audio","channels":1,"sampleRate":44100}]}"""),
        var kind => InputFacts.From(s.Name, kind, "a.txt", 1000, """{"lines":10,"characters":500}"""),
    }).ToList());
}
