using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Pipelines.Command;

/// <summary>A command pipeline definition is unusable; the message lists every problem with its configuration path.</summary>
public sealed class CommandPipelineConfigurationException(IReadOnlyList<string> problems)
    : Exception("Invalid command pipeline configuration:\n- " + string.Join("\n- ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Loads and validates <c>Kiln:CommandPipelines</c>.</summary>
public static partial class CommandPipelineConfiguration
{
    public const string SectionName = "Kiln:CommandPipelines";

    /// <summary>Upload kinds a slot may accept.</summary>
    public static readonly IReadOnlyList<string> InputKinds = ["pdf", "audio", "video", "subtitles", "text", "url"];

    /// <summary>
    /// Binds every child of <c>Kiln:CommandPipelines</c> (the key is the id) and validates them all. Throws
    /// <see cref="CommandPipelineConfigurationException"/> listing every problem, so a bad start fails once with all of them.
    /// </summary>
    public static IReadOnlyList<CommandPipelineDefinition> Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var definitions = new List<CommandPipelineDefinition>();
        var problems = new List<string>();
        foreach (var child in section.GetChildren())
        {
            var definition = new CommandPipelineDefinition();
            try
            {
                child.Bind(definition);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add($"{SectionName}:{child.Key}: {ex.Message}");
                continue;
            }
            if (string.IsNullOrEmpty(definition.Id)) definition.Id = child.Key;
            else if (definition.Id != child.Key) problems.Add($"{SectionName}:{child.Key}: Id '{definition.Id}' differs from its key '{child.Key}'");
            problems.AddRange(Validate(definition).Select(p => $"{SectionName}:{child.Key}: {p}"));
            definitions.Add(definition);
        }
        if (problems.Count > 0) throw new CommandPipelineConfigurationException(problems);
        return definitions;
    }

    /// <summary>Every problem with <paramref name="d"/>, each a readable phrase ("Arguments[2] uses unknown placeholder {x}"). Empty when usable.</summary>
    public static IReadOnlyList<string> Validate(CommandPipelineDefinition d)
    {
        var problems = new List<string>();
        if (!IdPattern().IsMatch(d.Id))
            problems.Add($"Id '{d.Id}' is not valid (lowercase letters, digits and dashes, starting with a letter, at most 64 characters)");
        if (string.IsNullOrWhiteSpace(d.Name)) problems.Add("Name is missing");

        if (string.IsNullOrWhiteSpace(d.Executable)) problems.Add("Executable is missing");
        else if (!Path.IsPathFullyQualified(d.Executable) && d.Executable.Contains('/'))
            problems.Add($"Executable '{d.Executable}' must be an absolute path or a bare name found on PATH (the working directory is the job's scratch)");
        else if (d.Executable.StartsWith('-') || d.Executable.Any(char.IsControl))
            problems.Add($"Executable '{d.Executable}' is not a valid file name");

        var slots = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Inputs.Count; i++)
        {
            var slot = d.Inputs[i];
            if (!CommandTemplate.IsName(slot.Name)) problems.Add($"Inputs[{i}] has a bad name '{slot.Name}' (letters, digits, '_' and '-', starting with a letter)");
            else if (!slots.Add(slot.Name)) problems.Add($"Inputs[{i}] repeats the slot name '{slot.Name}'");
            if (slot.Kinds.Count == 0) problems.Add($"Inputs[{i}] ('{slot.Name}') accepts no kinds (one or more of {string.Join(", ", InputKinds)})");
            foreach (var k in slot.Kinds.Where(k => !InputKinds.Contains(k)))
                problems.Add($"Inputs[{i}] ('{slot.Name}') has unknown kind '{k}' (expected {string.Join(", ", InputKinds)})");
        }

        problems.AddRange(CommandOptions.Problems(d.OptionsSchema).Select(p => "OptionsSchema: " + p));

        var usedSlots = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Arguments.Count; i++)
        {
            var parts = CommandTemplate.Parse(d.Arguments[i] ?? "", out var error);
            if (error is not null) { problems.Add($"Arguments[{i}] '{d.Arguments[i]}' {error}"); continue; }
            foreach (var p in parts.OfType<PlaceholderPart>())
            {
                if (p.Kind == PlaceholderKind.Input && !slots.Contains(p.Name))
                    problems.Add($"Arguments[{i}] uses {p} but there is no input slot '{p.Name}' (slots: {Names(slots)})");
                if (p.Kind == PlaceholderKind.Option && !d.OptionsSchema.Properties.ContainsKey(p.Name))
                    problems.Add($"Arguments[{i}] uses {p} but OptionsSchema has no property '{p.Name}' (options: {Names(d.OptionsSchema.Properties.Keys)})");
                if (p.Kind == PlaceholderKind.Input) usedSlots.Add(p.Name);
            }
        }
        foreach (var unused in slots.Where(s => !usedSlots.Contains(s)))
            problems.Add($"input slot '{unused}' is not used by any argument ({{input.{unused}}})");

        if (d.Price.Credits < 0 || d.Price.PerPage < 0 || d.Price.PerMinute < 0) problems.Add("Price values may not be negative");
        if (d.TimeoutSeconds is < 1 or > 7 * 24 * 3600) problems.Add($"TimeoutSeconds {d.TimeoutSeconds} is out of range (1 second to 7 days)");
        if (d.ResourceClass is not (CommandResourceClasses.Light or CommandResourceClasses.Heavy))
            problems.Add($"ResourceClass '{d.ResourceClass}' is not 'light' or 'heavy'");

        foreach (var name in d.AllowedEnvironment)
        {
            if (!EnvNamePattern().IsMatch(name)) problems.Add($"AllowedEnvironment '{name}' is not a valid variable name");
            else if (ReservedEnvironment.Contains(name)) problems.Add($"AllowedEnvironment '{name}' is set by Kiln itself and cannot be passed through");
            else if (name.StartsWith("Kiln__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("KILN_", StringComparison.OrdinalIgnoreCase)
                     || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || name.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase))
                problems.Add($"AllowedEnvironment '{name}' would hand Kiln's own settings to the command");
        }

        var l = d.Limits;
        if (l.CpuSeconds < 1) problems.Add("Limits:CpuSeconds must be at least 1");
        if (l.MemoryBytes < 16L * 1024 * 1024) problems.Add("Limits:MemoryBytes must be at least 16 MiB");
        if (l.OpenFiles < 16) problems.Add("Limits:OpenFiles must be at least 16");
        if (l.FileSizeBytes < 1024) problems.Add("Limits:FileSizeBytes must be at least 1 KiB");
        if (l.MaxArtifactBytes < 1) problems.Add("Limits:MaxArtifactBytes must be positive");
        if (l.MaxArtifacts < 1) problems.Add("Limits:MaxArtifacts must be positive");
        if (l.MaxStdErrBytes < 1024) problems.Add("Limits:MaxStdErrBytes must be at least 1 KiB");
        if (l.MaxLogLines < 0) problems.Add("Limits:MaxLogLines may not be negative");
        return problems;
    }

    /// <summary>
    /// The executable's full path when it exists and is executable (bare names are looked up on the fixed PATH);
    /// null otherwise. Lets a worker decide whether it can run the pipeline.
    /// </summary>
    public static string? FindExecutable(CommandPipelineDefinition d)
    {
        if (string.IsNullOrEmpty(d.Executable)) return null;
        var candidates = Path.IsPathFullyQualified(d.Executable)
            ? [d.Executable]
            : CommandRunner.SandboxPath.Split(':').Select(dir => Path.Combine(dir, d.Executable));
        return candidates.FirstOrDefault(IsExecutableFile);
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & anyExecute) != 0;
    }

    private static readonly HashSet<string> ReservedEnvironment = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD"];

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "none";

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNamePattern();
}
