using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Jobs;

/// <summary>One input of a job as stored in <see cref="Job.InputsJson"/>. Jobs stored before slots existed have no
/// slot: they fill the pipeline's default slot.</summary>
public sealed record JobInput(Guid UploadId, string? Slot = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Serialize(IReadOnlyList<JobInput> inputs) => JsonSerializer.Serialize(inputs, Json);

    public static IReadOnlyList<JobInput> Parse(string json) => JsonSerializer.Deserialize<List<JobInput>>(json, Json) ?? [];
}

/// <summary>A job creation request as the API and the UI receive it.</summary>
/// <param name="Inputs">Upload ids by input slot: <c>{"source": "…"}</c>, or a list for a slot that takes several.</param>
/// <param name="Uploads">Shorthand for a pipeline with one slot: the upload ids that fill it.</param>
public sealed record JobRequest(
    string Pipeline,
    IReadOnlyList<Guid>? Uploads,
    JsonElement? Options,
    int Priority = 0,
    IReadOnlyDictionary<string, UploadIds>? Inputs = null)
{
    [JsonIgnore] public JsonElement OptionsOrEmpty => Options is { ValueKind: JsonValueKind.Object } o ? o : EmptyObject;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}

/// <summary>One upload id, or a list of them, for a slot (JSON: <c>"id"</c> or <c>["id", "id"]</c>).</summary>
[JsonConverter(typeof(UploadIdsConverter))]
public sealed class UploadIds(IReadOnlyList<Guid> ids) : List<Guid>(ids)
{
    public static implicit operator UploadIds(Guid id) => new([id]);
}

internal sealed class UploadIdsConverter : JsonConverter<UploadIds>
{
    public override UploadIds Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new UploadIds([reader.GetGuid()]);
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("An input is an upload id or a list of upload ids.");
        var ids = new List<Guid>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("An input is an upload id or a list of upload ids.");
            ids.Add(reader.GetGuid());
        }
        return new UploadIds(ids);
    }

    public override void Write(Utf8JsonWriter writer, UploadIds value, JsonSerializerOptions options)
    {
        if (value.Count == 1) { writer.WriteStringValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (var id in value) writer.WriteStringValue(id);
        writer.WriteEndArray();
    }
}
