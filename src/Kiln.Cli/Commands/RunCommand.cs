using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Cli.Infrastructure;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln run &lt;pipeline&gt; [file] [--input slot=path]… [-o key=value]…</c>: runs any pipeline locally through the
/// same <see cref="PipelineHost"/> the worker uses.</summary>
public static class RunCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitInvalid = 2;
    public const int ExitCancelled = 130;

    public static Command Create(IAnsiConsole console, IDictionary<string, string?>? configOverrides = null)
    {
        var pipelineArg = new Argument<string>("pipeline") { Description = "Pipeline id, e.g. pdf-podcast." };
        var fileArg = new Argument<FileInfo?>("file")
        {
            Description = "The input file, for a pipeline with one input (same as --input <slot>=<file>).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "An input as slot=path, e.g. --input voice=talk.mp4 --input background=music.mp3. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var pages = new Option<string?>("--pages") { Description = "Pages to include, like 1-10 or 3,5-7 (PDF pipelines; same as -o pages=…)." };
        var audio = new Option<bool>("--audio") { Description = "Also produce narrated audio, where the pipeline supports it (same as -o audio=true)." };
        var options = new Option<string[]>("--option", "-o")
        {
            Description = "A pipeline option as key=value; the value is read as JSON when it parses (true, 5, [\"Ada\",\"Ben\"]), else as text. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Where to write the artifacts.",
            DefaultValueFactory = _ => new DirectoryInfo("out"),
        };

        var command = new Command("run", "Run a pipeline on local files and write its artifacts to a directory.")
        {
            pipelineArg, fileArg, inputs, pages, audio, options, output,
        };
        command.SetAction((parse, ct) => RunAsync(console, configOverrides, new Request(
            parse.GetValue(pipelineArg)!, parse.GetValue(fileArg), parse.GetValue(inputs) ?? [], parse.GetValue(pages), parse.GetValue(audio),
            parse.GetValue(options) ?? [], parse.GetValue(output)!), ct));
        return command;
    }

    private sealed record Request(string PipelineId, FileInfo? File, string[] Inputs, string? Pages, bool Audio, string[] Options, DirectoryInfo Out);

    private static async Task<int> RunAsync(IAnsiConsole console, IDictionary<string, string?>? configOverrides, Request request, CancellationToken ct)
    {
        await using var services = CliHost.PipelineServices(CliHost.Configuration(configOverrides));
        var catalog = services.GetRequiredService<PipelineCatalog>();
        if (catalog.Find(request.PipelineId) is not { } pipeline)
        {
            Fail(console, "unknown_pipeline", $"There is no pipeline \"{request.PipelineId}\". Available: {string.Join(", ", catalog.All.Select(p => p.Descriptor.Id).Order())}.");
            return ExitInvalid;
        }
        var files = InputFiles(pipeline.Descriptor, request);
        if (!files.IsSuccess)
        {
            Fail(console, files.Error!.Code, files.Error.Message);
            return ExitInvalid;
        }
        var optionsResult = BuildOptions(request);
        if (!optionsResult.IsSuccess)
        {
            Fail(console, optionsResult.Error!.Code, optionsResult.Error.Message);
            return ExitInvalid;
        }

        var scratch = Directory.CreateTempSubdirectory("kiln-run-");
        try
        {
            // The same checks and probes as an upload, so a file the web app would refuse is refused here with the same
            // message, and pipelines get the facts the worker would give them.
            var facts = new List<InputFacts>();
            foreach (var (slot, file) in files.Value!)
            {
                Result<ValidatedContent> validated;
                try
                {
                    validated = await services.GetRequiredService<ContentValidator>().ValidateFileAsync(file.FullName, file.Name, ct);
                }
                catch (ToolNotFoundException ex)
                {
                    Fail(console, "unreadable_input", ex.Message);
                    return ExitInvalid;
                }
                if (!validated.IsSuccess)
                {
                    Fail(console, validated.Error!.Code, validated.Error.Message);
                    return ExitInvalid;
                }
                facts.Add(InputFacts.From(slot, validated.Value!.Kind, file.Name, validated.Value.Size, validated.Value.MetadataJson));
            }
            if (SlotBinding.Check(pipeline.Descriptor, facts.Select(f => new OfferedInput(f.Slot, f.Kind, f.FileName)).ToList()) is { } slotError)
            {
                Fail(console, slotError.Code, slotError.Message);
                return ExitInvalid;
            }

            var plan = catalog.Plan(pipeline, optionsResult.Value, new InputSet<InputFacts>(facts));
            if (!plan.IsSuccess)
            {
                Fail(console, plan.Error!.Code, plan.Error.Message);
                return ExitInvalid;
            }
            var names = string.Join(", ", facts.Select(f => f.FileName));
            console.MarkupLine($"[bold]{Markup.Escape(pipeline.Descriptor.Name)}[/]{(names.Length > 0 ? " on " + Markup.Escape(names) : "")}: estimated cost [bold]{plan.Value!.EstimatedCost}[/] credit(s).");
            foreach (var line in plan.Value.Estimate.Lines)
                console.MarkupLine($"  {Markup.Escape(line.Label)}: {line.Quantity:0.##} × {line.UnitPrice:0.###} = {line.Credits}");

            var sink = new DirectoryArtifactSink(request.Out.FullName);
            var pipelineInputs = new InputSet<PipelineInput>(facts.Select((f, i) => new PipelineInput(f.Slot, files.Value[i].File.FullName, f)).ToList());
            await using var scope = services.CreateAsyncScope();
            var context = new Func<IPipelineReporter, PipelineContext>(reporter => new PipelineContext
            {
                JobId = Ids.New(),
                Inputs = pipelineInputs,
                Options = plan.Value.Options,
                ScratchDirectory = scratch.FullName,
                Reporter = reporter,
                Artifacts = sink,
                Services = scope.ServiceProvider,
            });

            PipelineOutcome outcome;
            try
            {
                outcome = await RunWithProgressAsync(console, pipeline, context, ct);
            }
            catch (PipelineException ex)
            {
                Fail(console, ex.Code, ex.Message);
                // The CLI's user is the operator: the tool's own words help here, where a web user must not see them.
                if (ex.InnerException is ToolFailedException tool && !string.IsNullOrWhiteSpace(tool.Detail))
                    console.MarkupLine($"[grey]{Markup.Escape(tool.Tool)}: {Markup.Escape(tool.Detail)}[/]");
                return ExitFailed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                console.MarkupLine("[yellow]Cancelled.[/]");
                return ExitCancelled;
            }

            PrintSummary(console, sink, outcome.ActualCost ?? plan.Value.EstimatedCost);
            return ExitOk;
        }
        finally
        {
            try { scratch.Delete(recursive: true); } catch (IOException) { /* best effort: it is a temp directory */ }
        }
    }

    /// <summary>The (slot, file) pairs: <c>--input slot=path</c>, plus the positional file for the default slot.</summary>
    private static Result<List<(string Slot, FileInfo File)>> InputFiles(PipelineDescriptor d, Request request)
    {
        var list = new List<(string, FileInfo)>();
        foreach (var pair in request.Inputs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return Error.Invalid("invalid_inputs", $"\"{pair}\" is not slot=path. Slots of {d.Id}: {string.Join(", ", d.Slots.Select(s => s.Name))}.");
            list.Add((pair[..eq].Trim(), new FileInfo(pair[(eq + 1)..])));
        }
        if (request.File is { } file)
        {
            if (SlotBinding.DefaultSlot(d) is not { } slot)
                return Error.Invalid("invalid_inputs", d.Slots.Count == 0
                    ? $"{d.Name} takes no input files."
                    : $"{d.Name} has several inputs; name them with --input: {string.Join(", ", d.Slots.Select(s => s.Name + "=<file>"))}.");
            list.Insert(0, (slot.Name, file));
        }
        foreach (var (_, f) in list)
            if (!f.Exists) return Error.Invalid("file_not_found", $"The file \"{f.FullName}\" does not exist.");
        return list;
    }

    private static async Task<PipelineOutcome> RunWithProgressAsync(IAnsiConsole console, IPipeline pipeline,
        Func<IPipelineReporter, PipelineContext> context, CancellationToken ct)
    {
        // A live bar garbles logs and pipes; fall back to plain lines whenever nobody is watching a terminal.
        if (!console.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return await PipelineHost.RunAsync(pipeline, context(new PlainReporter(console)), ct);

        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("starting", maxValue: 100);
                var outcome = await PipelineHost.RunAsync(pipeline, context(new SpectreReporter(console, task)), ct);
                task.Value = 100;
                return outcome;
            });
    }

    public static Result<JsonElement> BuildOptions(IEnumerable<string> pairs, string? pages, bool audio)
    {
        var json = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return Error.Invalid("invalid_options", $"\"{pair}\" is not key=value.");
            var key = pair[..eq].Trim();
            var value = pair[(eq + 1)..];
            json[key] = ParseValue(value);
        }
        if (pages is not null) json["pages"] = pages;
        if (audio) json["audio"] = true;
        return JsonSerializer.SerializeToElement(json);
    }

    private static Result<JsonElement> BuildOptions(Request r) => BuildOptions(r.Options, r.Pages, r.Audio);

    private static JsonNode? ParseValue(string value)
    {
        try { return JsonNode.Parse(value); }
        catch (JsonException) { return JsonValue.Create(value); }
    }

    private static void Fail(IAnsiConsole console, string code, string message) =>
        console.MarkupLine($"[red]Error[/] [grey]({Markup.Escape(code)})[/]: {Markup.Escape(message)}");

    private static void PrintSummary(IAnsiConsole console, DirectoryArtifactSink sink, long cost)
    {
        var table = new Table().AddColumn("Artifact").AddColumn("Type").AddColumn(new TableColumn("Size").RightAligned()).AddColumn("Path");
        foreach (var (name, type, path, size) in sink.Written)
            table.AddRow(Markup.Escape(name), Markup.Escape(type), $"{size:N0} B", Markup.Escape(path));
        console.Write(table);
        console.MarkupLine($"Cost: [bold]{cost}[/] credit(s).");
    }
}
