using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Jobs;

/// <summary>One input of a job as stored in <see cref="Job.InputsJson"/>.</summary>
public sealed record JobInput(Guid UploadId)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize(IReadOnlyList<JobInput> inputs) => JsonSerializer.Serialize(inputs, Json);

    public static IReadOnlyList<JobInput> Parse(string json) => JsonSerializer.Deserialize<List<JobInput>>(json, Json) ?? [];
}

/// <summary>A job creation request as the API and the UI receive it.</summary>
public sealed record JobRequest(
    string Pipeline,
    IReadOnlyList<Guid>? Uploads,
    JsonElement? Options,
    int Priority = 0)
{
    [JsonIgnore] public JsonElement OptionsOrEmpty => Options is { ValueKind: JsonValueKind.Object } o ? o : EmptyObject;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}
