using Kiln.Core.Common;
using System.Text.Json;
using Kiln.Core.Pipelines.Command;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Tests.Pipelines.Command;

public sealed class CommandPipelineConfigurationTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static CommandPipelineDefinition Valid() => new()
    {
        Id = "word-count",
        Name = "Word count",
        Executable = "/usr/bin/wc",
        Arguments = ["-w", "{input.source}"],
        Inputs = [new() { Name = "source", Kinds = ["text"] }],
    };

    [Fact]
    public void The_example_configuration_loads_both_pipelines()
    {
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(S3Server.RepoRoot(), "examples", "pipelines", "appsettings.example.json"))
            .Build();

        var definitions = CommandPipelineConfiguration.Load(config);

        definitions.Select(d => d.Id).ShouldBe(["loudness-report", "text-stats"]);
        var loudness = definitions[0];
        loudness.Inputs.ShouldHaveSingleItem().Kinds.ShouldBe(["audio", "video"]);
        loudness.OptionsSchema.Properties["targetLufs"].Default.ShouldBe("-16");
        loudness.Price.PerMinute.ShouldBe(0.1m);
        loudness.Limits.MemoryBytes.ShouldBe(1L << 30);
        loudness.Limits.MaxStdErrBytes.ShouldBe(64 * 1024); // not configured: the default
        definitions[1].OptionsSchema.Properties["language"].Enum.ShouldBe(["en", "de"]);
    }

    [Fact]
    public void The_id_comes_from_the_key_and_the_arguments_keep_their_order()
    {
        var definitions = CommandPipelineConfiguration.Load(Config(new()
        {
            ["Kiln:CommandPipelines:word-count:Name"] = "Word count",
            ["Kiln:CommandPipelines:word-count:Executable"] = "wc",
            ["Kiln:CommandPipelines:word-count:Arguments:0"] = "-w",
            ["Kiln:CommandPipelines:word-count:Arguments:1"] = "{input.source}",
            ["Kiln:CommandPipelines:word-count:Inputs:0:Name"] = "source",
            ["Kiln:CommandPipelines:word-count:Inputs:0:Kinds:0"] = "text",
        }));
        var d = definitions.ShouldHaveSingleItem();
        d.Id.ShouldBe("word-count");
        d.Arguments.ShouldBe(["-w", "{input.source}"]);
        d.Inputs[0].Required.ShouldBeTrue();
        d.ResourceClass.ShouldBe("light");
        CommandPipelineConfiguration.FindExecutable(d).ShouldBe("/usr/bin/wc");
    }

    [Fact]
    public void Every_problem_fails_the_load_at_once_with_its_configuration_path()
    {
        var ex = Should.Throw<CommandPipelineConfigurationException>(() => CommandPipelineConfiguration.Load(Config(new()
        {
            ["Kiln:CommandPipelines:Bad_Id:Name"] = "Bad",
            ["Kiln:CommandPipelines:Bad_Id:Arguments:0"] = "{input}",
            ["Kiln:CommandPipelines:ok-id:Name"] = "Fine except",
            ["Kiln:CommandPipelines:ok-id:Executable"] = "./tool.sh",
        })));
        ex.Problems.ShouldBe([
            "Kiln:CommandPipelines:Bad_Id: Id 'Bad_Id' is not valid (lowercase letters, digits and dashes, starting with a letter, at most 64 characters)",
            "Kiln:CommandPipelines:Bad_Id: Executable is missing",
            "Kiln:CommandPipelines:Bad_Id: Arguments[0] '{input}' uses unknown placeholder {input} (known: {input.<slot>}, {output}, {options.<name>}, {scratch})",
            "Kiln:CommandPipelines:ok-id: Executable './tool.sh' must be an absolute path or a bare name found on PATH (the working directory is the job's scratch)",
        ]);
        ex.Message.ShouldStartWith("Invalid command pipeline configuration:\n- Kiln:CommandPipelines:Bad_Id: Id 'Bad_Id'");
    }

    [Fact]
    public void A_valid_definition_has_no_problems()
    {
        CommandPipelineConfiguration.Validate(Valid()).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("{input.other}", "Arguments[1] uses {input.other} but there is no input slot 'other' (slots: source)")]
    [InlineData("{options.lang}", "Arguments[1] uses {options.lang} but OptionsSchema has no property 'lang' (options: none)")]
    [InlineData("{outptu}", "Arguments[1] '{outptu}' uses unknown placeholder {outptu} (known: {input.<slot>}, {output}, {options.<name>}, {scratch})")]
    [InlineData("--x={output", "Arguments[1] '--x={output' has a '{' without its '}' (write '{{' for a literal brace)")]
    [InlineData("a}b", "Arguments[1] 'a}b' has a '}' without its '{' (write '}}' for a literal brace)")]
    public void Placeholders_must_name_known_slots_and_options(string argument, string problem)
    {
        var d = Valid();
        d.Arguments = ["{input.source}", argument];
        CommandPipelineConfiguration.Validate(d).ShouldBe([problem]);
    }

    [Fact]
    public void Slots_options_price_limits_and_environment_are_checked()
    {
        var d = Valid();
        d.Inputs.Add(new() { Name = "source", Kinds = ["pdf"] });
        d.Inputs.Add(new() { Name = "cover", Kinds = ["image"] });
        d.OptionsSchema.Properties["speed"] = new() { Type = "float" };
        d.OptionsSchema.Properties["level"] = new() { Type = "integer", Minimum = 1, Maximum = 5, Default = "9" };
        d.OptionsSchema.Required = ["missing"];
        d.Price.Credits = -1;
        d.ResourceClass = "medium";
        d.TimeoutSeconds = 0;
        d.AllowedEnvironment = ["Kiln__Database__ConnectionString", "PATH", "BAD-NAME", "OMP_NUM_THREADS"];
        d.Limits.MemoryBytes = 1000;

        CommandPipelineConfiguration.Validate(d).ShouldBe([
            "Inputs[1] repeats the slot name 'source'",
            "Inputs[2] ('cover') has unknown kind 'image' (expected pdf, audio, video, subtitles, text, url)",
            "OptionsSchema: option 'speed' has type 'float' (expected one of string, integer, number, boolean)",
            "OptionsSchema: option 'level' has default '9' that fails its own rule: The option 'level' must be at most 5.",
            "OptionsSchema: required option 'missing' is not among the properties",
            "input slot 'cover' is not used by any argument ({input.cover})",
            "Price values may not be negative",
            "TimeoutSeconds 0 is out of range (1 second to 7 days)",
            "ResourceClass 'medium' is not 'light' or 'heavy'",
            "AllowedEnvironment 'Kiln__Database__ConnectionString' would hand Kiln's own settings to the command",
            "AllowedEnvironment 'PATH' is set by Kiln itself and cannot be passed through",
            "AllowedEnvironment 'BAD-NAME' is not a valid variable name",
            "Limits:MemoryBytes must be at least 16 MiB",
        ]);
    }

    [Fact]
    public void A_missing_executable_is_not_a_load_error_but_is_not_found()
    {
        var d = Valid();
        d.Executable = "/opt/not-installed/tool";
        CommandPipelineConfiguration.Validate(d).ShouldBeEmpty();
        CommandPipelineConfiguration.FindExecutable(d).ShouldBeNull();
    }

    [Fact]
    public void Options_get_defaults_and_are_checked_by_type_enum_and_range()
    {
        var schema = new CommandOptionsSchema
        {
            Properties =
            {
                ["language"] = new() { Type = "string", Enum = ["en", "de"], Default = "en" },
                ["keywords"] = new() { Type = "integer", Minimum = 1, Maximum = 100, Default = "10" },
                ["ratio"] = new() { Type = "number", Minimum = 0, Maximum = 1 },
                ["verbose"] = new() { Type = "boolean" },
                ["title"] = new() { Type = "string", MaxLength = 5 },
            },
        };
        string Normalize(string json) => CommandOptions.Normalize(schema, JsonDocument.Parse(json).RootElement).Value.GetRawText();
        string Problem(string json) => CommandOptions.Normalize(schema, JsonDocument.Parse(json).RootElement).Error!.Message;

        Normalize("{}").ShouldBe("""{"language":"en","keywords":10}""");
        CommandOptions.Normalize(schema, default).Value.GetRawText().ShouldBe("""{"language":"en","keywords":10}""");
        Normalize("""{"keywords":3,"ratio":0.5,"verbose":true,"title":null}""").ShouldBe("""{"keywords":3,"ratio":0.5,"verbose":true,"language":"en"}""");
        Problem("""{"language":"fr"}""").ShouldBe("The option 'language' must be one of: en, de.");
        Problem("""{"keywords":2.5}""").ShouldBe("The option 'keywords' must be a whole number.");
        Problem("""{"keywords":0}""").ShouldBe("The option 'keywords' must be at least 1.");
        Problem("""{"ratio":"0.5"}""").ShouldBe("The option 'ratio' must be a number.");
        Problem("""{"verbose":"yes"}""").ShouldBe("The option 'verbose' must be true or false.");
        Problem("""{"title":"too long"}""").ShouldBe("The option 'title' must be at most 5 characters.");
        Problem("""{"title":"a\nb"}""").ShouldBe("The option 'title' may not contain control characters.");
        Problem("""{"other":1}""").ShouldBe("Unknown option 'other'.");
        Problem("[]").ShouldBe("Options must be a JSON object.");
        var error = CommandOptions.Normalize(schema, JsonDocument.Parse("""{"language":"fr"}""").RootElement).Error!;
        error.Code.ShouldBe("invalid_options");
        error.Kind.ShouldBe(ErrorKind.Unprocessable);
        error.Extensions!["field"].ShouldBe("language");
    }

    [Fact]
    public void The_options_render_as_a_json_schema()
    {
        var schema = new CommandOptionsSchema
        {
            Properties =
            {
                ["language"] = new() { Type = "string", Title = "Language", Enum = ["en", "de"], Default = "en" },
                ["keywords"] = new() { Type = "integer", Minimum = 1, Maximum = 100, Default = "10" },
            },
            Required = ["language"],
        };
        CommandOptions.ToJsonSchema(schema).GetRawText().ShouldBe(
            """{"type":"object","properties":{"language":{"type":"string","title":"Language","enum":["en","de"],"maxLength":1000,"default":"en"},"keywords":{"type":"integer","minimum":1,"maximum":100,"default":10}},"additionalProperties":false,"required":["language"]}""");
    }

    [Fact]
    public void The_price_is_a_job_line_plus_pages_and_started_minutes_each_rounded_up()
    {
        var definition = new CommandPipelineDefinition
        {
            Id = "priced", Name = "Priced", Executable = "/bin/true",
            Inputs = [new CommandInputSlot { Name = "source", Kinds = ["pdf", "audio"] }],
            Price = new CommandPrice { Credits = 2, PerPage = 0.5m, PerMinute = 0.25m },
        };
        var pipeline = new CommandPipeline(definition, new CommandRunner());
        var inputs = new InputSet<InputFacts>([
            InputFacts.From("source", "pdf", "a.pdf", 1, """{"pages":3}"""),
            InputFacts.From("source", "audio", "a.wav", 1, """{"durationSeconds":252}"""),
        ]);
        var quote = pipeline.Plan(pipeline.ParseOptions(default).Value!, inputs).Value!;
        var estimate = pipeline.Descriptor.Pricing.Price(quote.Usage);
        estimate.Lines.ShouldBe([
            new PriceLine("job", "Per job", 1, 2, 2),
            new PriceLine("page", "Pages", 3, 0.5m, 2),
            new PriceLine("minute", "Minutes", 5, 0.25m, 2),
        ]);
        estimate.Total.ShouldBe(6);
        pipeline.Descriptor.Pricing.Price([]).Total.ShouldBe(2);
    }
}
