using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Uploads;
using Kiln.Web.Api;

namespace Kiln.IntegrationTests.Api;

/// <summary>
/// Core's upload use cases return the <see cref="Upload"/> entity; the API's wire shape is made in one place,
/// <see cref="UploadDto"/>. These pin that shape byte for byte, with the serializer settings the web host registers.
/// </summary>
public sealed class UploadDtoTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(EnumNames.Policy) } };
    private static readonly Guid Id = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified);

    private static Upload Sample(UploadStatus status) => new()
    {
        Id = Id, WorkspaceId = Guid.Empty, FileName = "report.pdf", BlobKey = "k", DeclaredSize = 10, Status = status,
        Kind = status == UploadStatus.Ready ? "pdf" : null, ContentType = status == UploadStatus.Ready ? "application/pdf" : null,
        Size = status == UploadStatus.Ready ? 9 : null, MetadataJson = status == UploadStatus.Ready ? """{"pages":3}""" : null,
        RejectCode = status == UploadStatus.Rejected ? "pdf_invalid" : null, RejectMessage = status == UploadStatus.Rejected ? "Broken." : null,
        CreatedAt = Created, ExpiresAt = Created.AddDays(1),
    };

    [Fact]
    public void A_ready_upload_has_its_probed_facts_and_no_expiry()
    {
        JsonSerializer.Serialize(UploadDto.From(Sample(UploadStatus.Ready)), Web).ShouldBe(
            """{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","fileName":"report.pdf","status":"ready","kind":"pdf","contentType":"application/pdf","declaredSize":10,"size":9,"metadata":{"pages":3},"rejectCode":null,"rejectMessage":null,"createdAt":"2026-01-02T03:04:05Z","expiresAt":null}""");
    }

    [Fact]
    public void A_rejected_upload_says_why_and_when_it_goes()
    {
        JsonSerializer.Serialize(UploadDto.From(Sample(UploadStatus.Rejected)), Web).ShouldBe(
            """{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","fileName":"report.pdf","status":"rejected","kind":null,"contentType":null,"declaredSize":10,"size":null,"metadata":null,"rejectCode":"pdf_invalid","rejectMessage":"Broken.","createdAt":"2026-01-02T03:04:05Z","expiresAt":"2026-01-03T03:04:05Z"}""");
    }

    [Fact]
    public void A_page_and_a_created_upload_keep_their_shape()
    {
        JsonSerializer.Serialize(UploadDto.From(new UploadPage([], 2, 50, 51)), Web).ShouldBe("""{"items":[],"page":2,"pageSize":50,"total":51}""");
        var created = new CreatedUpload(Id, 5, [new UploadPartTarget(1, new Uri("https://s3.example/b?x=1"), "PUT", new Dictionary<string, string> { ["Content-Type"] = "application/pdf" })],
            DateTime.SpecifyKind(Created, DateTimeKind.Utc));
        JsonSerializer.Serialize(CreatedUploadDto.From(created), Web).ShouldBe(
            """{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","partSize":5,"parts":[{"partNumber":1,"url":"https://s3.example/b?x=1","method":"PUT","headers":{"Content-Type":"application/pdf"}}],"expiresAt":"2026-01-02T03:04:05Z"}""");
    }
}
