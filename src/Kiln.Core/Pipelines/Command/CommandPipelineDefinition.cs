namespace Kiln.Core.Pipelines.Command;

/// <summary>
/// A pipeline an operator registers in configuration under <c>Kiln:CommandPipelines:{id}</c>: an executable and
/// an argument template, run by <see cref="CommandRunner"/> in a sandbox and speaking the JSON-lines protocol on
/// stdout (see docs/pipelines.md, "Command pipelines"). Load and validate a set with <see cref="CommandPipelineConfiguration.Load"/>.
/// </summary>
public sealed class CommandPipelineDefinition
{
    /// <summary>Lowercase letters, digits and dashes, starting with a letter (e.g. <c>loudness-report</c>). Defaults to the configuration key.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";

    /// <summary>An absolute path (<c>/opt/tools/report.sh</c>) or a bare name found on the fixed PATH <c>/usr/local/bin:/usr/bin:/bin</c>.</summary>
    public string Executable { get; set; } = "";

    /// <summary>
    /// One argv entry per item, never passed through a shell. Placeholders: <c>{input.&lt;slot&gt;}</c>, <c>{output}</c>,
    /// <c>{options.&lt;name&gt;}</c>, <c>{scratch}</c>; <c>{{</c> and <c>}}</c> are literal braces. An item that mentions an
    /// optional input that was not given, or an option without a value, is left out entirely.
    /// </summary>
    public List<string> Arguments { get; set; } = [];

    public List<CommandInputSlot> Inputs { get; set; } = [];

    /// <summary>The options the command accepts (a small JSON Schema subset), bound from <c>OptionsSchema:Properties:{name}</c>.</summary>
    public CommandOptionsSchema OptionsSchema { get; set; } = new();

    public CommandPrice Price { get; set; } = new();

    public int TimeoutSeconds { get; set; } = 600;

    /// <summary><c>light</c> or <c>heavy</c>.</summary>
    public string ResourceClass { get; set; } = CommandResourceClasses.Light;

    /// <summary>Names of environment variables copied from Kiln's environment into the command's (nothing else is).</summary>
    public List<string> AllowedEnvironment { get; set; } = [];

    public CommandLimits Limits { get; set; } = new();

    public override string ToString() => Id;
}

public static class CommandResourceClasses
{
    public const string Light = "light";
    public const string Heavy = "heavy";
}

/// <summary>A named input. <see cref="Kinds"/> are upload kinds: pdf, audio, video, subtitles, text, url.</summary>
public sealed class CommandInputSlot
{
    public string Name { get; set; } = "";
    public List<string> Kinds { get; set; } = [];
    public bool Required { get; set; } = true;
    public string? Description { get; set; }
}

/// <summary>The options schema: an object whose properties are plain values. Rendered by <see cref="CommandOptions.ToJsonSchema"/>.</summary>
public sealed class CommandOptionsSchema
{
    public Dictionary<string, CommandOptionProperty> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Names of properties that must have a value (from the job or a default).</summary>
    public List<string> Required { get; set; } = [];
}

/// <summary>One option. Configuration values are strings, so <see cref="Enum"/> and <see cref="Default"/> are parsed by <see cref="Type"/>.</summary>
public sealed class CommandOptionProperty
{
    /// <summary><c>string</c>, <c>integer</c>, <c>number</c> or <c>boolean</c>.</summary>
    public string Type { get; set; } = "string";
    public string? Title { get; set; }
    public string? Description { get; set; }
    public List<string> Enum { get; set; } = [];
    public double? Minimum { get; set; }
    public double? Maximum { get; set; }
    /// <summary>For strings; defaults to 1000 characters.</summary>
    public int? MaxLength { get; set; }
    public string? Default { get; set; }
}

/// <summary>
/// Credits per job (<see cref="Credits"/>) plus optional per-page and per-minute lines; the total is rounded up.
/// </summary>
public sealed class CommandPrice
{
    public long Credits { get; set; }
    public decimal? PerPage { get; set; }
    public decimal? PerMinute { get; set; }

    /// <summary>The same prices in the platform's form: a per-job fee and per-unit prices for pages and started minutes,
    /// each line rounded up on its own like every pipeline's estimate.</summary>
    public PriceList ToPriceList()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (PerPage is { } page) units["page"] = page;
        if (PerMinute is { } minute) units["minute"] = minute;
        return new PriceList(units, PerJob: Credits);
    }
}

/// <summary>Resource limits applied with prlimit, plus caps Kiln applies while reading the command's output.</summary>
public sealed class CommandLimits
{
    /// <summary>RLIMIT_CPU: the command gets SIGXCPU after this much CPU time (SIGKILL two seconds later).</summary>
    public int CpuSeconds { get; set; } = 600;
    /// <summary>RLIMIT_AS: address space per process. Allocations beyond it fail.</summary>
    public long MemoryBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary>RLIMIT_NOFILE.</summary>
    public int OpenFiles { get; set; } = 256;
    /// <summary>RLIMIT_FSIZE: no single file the command writes may grow beyond this (SIGXFSZ).</summary>
    public long FileSizeBytes { get; set; } = 1L * 1024 * 1024 * 1024;
    /// <summary>Largest artifact accepted.</summary>
    public long MaxArtifactBytes { get; set; } = 512L * 1024 * 1024;
    /// <summary>Most artifacts one run may announce.</summary>
    public int MaxArtifacts { get; set; } = 50;
    /// <summary>The last this-many bytes of stderr are kept for operators.</summary>
    public int MaxStdErrBytes { get; set; } = 64 * 1024;
    /// <summary>Log lines (protocol or plain stdout) passed on; later ones are dropped with one notice.</summary>
    public int MaxLogLines { get; set; } = 5000;
}
