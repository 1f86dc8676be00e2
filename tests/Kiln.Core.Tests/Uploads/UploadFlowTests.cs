using Kiln.Core.Common;
using System.Text;
using System.Text.Json;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Uploads;

public sealed class UploadFlowTests : IDisposable
{
    private readonly UploadHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LocalDiskBlobStore Local => (LocalDiskBlobStore)_h.Store;

    [Fact]
    public async Task A_valid_pdf_becomes_ready_with_its_page_count()
    {
        var result = await _h.UploadAndCompleteAsync("Quarterly report.pdf", TestFiles.Pdf(pages: 3));

        result.Error.ShouldBeNull();
        var dto = result.Value!;
        dto.Status.ShouldBe(UploadStatus.Ready);
        dto.Kind.ShouldBe("pdf");
        dto.ContentType.ShouldBe("application/pdf");
        dto.Size.ShouldBe(TestFiles.Pdf(pages: 3).Length);
        dto.Metadata().GetProperty("pages").GetInt32().ShouldBe(3);
        (await _h.Store.StatAsync(BlobKeys.Upload(_h.WorkspaceId, dto.Id), Ct)).ShouldNotBeNull();
    }

    public static TheoryData<string, string, string> Rejections => new()
    {
        { "not-a-pdf.pdf", "text", "type_mismatch" },
        { "truncated.pdf", "truncated", "pdf_invalid" },
        { "locked.pdf", "encrypted", "pdf_encrypted" },
        { "song.mp3", "pdf", "type_mismatch" },
        { "broken.wav", "badwav", "media_invalid" },
        { "subs.srt", "binary", "type_mismatch" },
        { "subs.vtt", "srt", "type_mismatch" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Invalid_files_are_rejected_and_leave_no_bytes_behind(string fileName, string content, string code)
    {
        var bytes = content switch
        {
            "text" => Encoding.UTF8.GetBytes("<html>definitely not a pdf</html>"),
            "truncated" => TestFiles.TruncatedPdf(),
            "encrypted" => TestFiles.EncryptedPdf(),
            "pdf" => TestFiles.Pdf(),
            "badwav" => [.. "RIFF\x24\0\0\0WAVEjunk"u8, .. new byte[64]],
            "binary" => [0x00, 0xFF, 0xFE, 0x01, 0x02, 0x80],
            "srt" => TestFiles.Srt(),
            _ => throw new ArgumentOutOfRangeException(nameof(content)),
        };

        var result = await _h.UploadAndCompleteAsync(fileName, bytes);

        result.Error.ShouldNotBeNull();
        result.Error.Code.ShouldBe(code);
        await AssertRejectedAndGoneAsync(code);
    }

    [Fact]
    public async Task An_empty_file_is_rejected()
    {
        var (created, _) = await _h.UploadAsync("empty.pdf", [], declaredSize: 10);
        await using var db = _h.Context();
        var result = await _h.Complete(db).Run(_h.WorkspaceId, created.Id, null, Ct);
        result.Error!.Code.ShouldBe("empty_file");
        await AssertRejectedAndGoneAsync("empty_file");
    }

    [Fact]
    public async Task Bytes_over_the_limit_are_rejected_even_when_the_store_could_not_stop_them()
    {
        _h.Options.MaxBytes = 1000;
        var (created, _) = await _h.UploadAsync("big.pdf", [], declaredSize: 500);
        // A presigned S3 PUT cannot enforce a size; simulate the client sending more than it declared.
        await _h.Store.PutAsync(BlobKeys.Upload(_h.WorkspaceId, created.Id), new MemoryStream(new byte[2000]), "application/pdf", Ct);

        await using var db = _h.Context();
        var result = await _h.Complete(db).Run(_h.WorkspaceId, created.Id, null, Ct);

        result.Error!.Code.ShouldBe("upload_too_large");
        result.Error.Kind.ShouldBe(ErrorKind.TooLarge);
        await AssertRejectedAndGoneAsync("upload_too_large");
    }

    [Fact]
    public async Task A_wav_becomes_ready_audio_with_its_duration()
    {
        var result = await _h.UploadAndCompleteAsync("tone.wav", TestFiles.Wav(1));

        result.Error.ShouldBeNull();
        result.Value!.Kind.ShouldBe("audio");
        result.Value.ContentType.ShouldBe("audio/wav");
        result.Value.Metadata().GetProperty("durationSeconds").GetDouble().ShouldBe(1.0, 0.05);
        result.Value.Metadata().GetProperty("streams")[0].GetProperty("type").GetString().ShouldBe("audio");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Large_files_go_up_in_parts_and_are_assembled(bool sendETags)
    {
        _h.Options.PartSize = 16 * 1024;
        var wav = TestFiles.Wav(1);
        var result = await _h.UploadAndCompleteAsync("parts.wav", wav, sendETags);

        result.Error.ShouldBeNull();
        result.Value!.Size.ShouldBe(wav.Length);
        // Hashed while the parts were assembled, and the same as hashing the stored file.
        result.Value.Sha256.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(wav)));
        await using (var read = await _h.Store.OpenReadAsync(BlobKeys.Upload(_h.WorkspaceId, result.Value.Id), Ct))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy, Ct);
            copy.ToArray().ShouldBe(wav);
        }
        (await _h.Store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Multipart_create_returns_one_target_per_part()
    {
        _h.Options.PartSize = 1000;
        await using var db = _h.Context();
        var created = (await _h.Create(db).Run(_h.WorkspaceId, null, new CreateUploadRequest("a.mp3", 2500, "audio/mpeg"), Ct)).Value!;
        created.Parts.Select(p => p.PartNumber).ShouldBe([1, 2, 3]);
        created.Parts.ShouldAllBe(p => p.Method == "PUT");
        (await db.Uploads.SingleAsync(Ct)).MultipartId.ShouldNotBeNull();
    }

    [Fact]
    public async Task Subtitles_are_accepted_as_utf8_text()
    {
        (await _h.UploadAndCompleteAsync("film.srt", TestFiles.Srt())).Value!.Kind.ShouldBe("subtitles");
        var vtt = (await _h.UploadAndCompleteAsync("film.vtt", TestFiles.Vtt())).Value!;
        vtt.ContentType.ShouldBe("text/vtt");
        vtt.Metadata().GetProperty("cues").GetInt32().ShouldBe(1);
    }

    [Theory]
    [InlineData("setup.exe", 100, "unsupported_type", ErrorKind.UnsupportedType)]
    [InlineData("noextension", 100, "unsupported_type", ErrorKind.UnsupportedType)]
    [InlineData("huge.mp4", 200L * 1024 * 1024 + 1, "upload_too_large", ErrorKind.TooLarge)]
    [InlineData("empty.pdf", 0, "empty_file", ErrorKind.Unprocessable)]
    [InlineData("../", 10, "invalid_file_name", ErrorKind.Invalid)]
    public async Task Create_rejects_what_can_be_known_up_front(string fileName, long size, string code, ErrorKind kind)
    {
        await using var db = _h.Context();
        var result = await _h.Create(db).Run(_h.WorkspaceId, null, new CreateUploadRequest(fileName, size, null), Ct);
        result.Error!.Code.ShouldBe(code);
        result.Error.Kind.ShouldBe(kind);
        (await db.Uploads.CountAsync(Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task Create_keeps_only_the_file_name_of_a_path()
    {
        await using var db = _h.Context();
        await _h.Create(db).Run(_h.WorkspaceId, null, new CreateUploadRequest("C:\\Users\\me\\doc.pdf", 10, null), Ct);
        (await db.Uploads.SingleAsync(Ct)).FileName.ShouldBe("doc.pdf");
    }

    [Fact]
    public async Task Completing_before_the_bytes_arrive_leaves_the_upload_pending()
    {
        await using var db = _h.Context();
        var created = (await _h.Create(db).Run(_h.WorkspaceId, null, new CreateUploadRequest("a.pdf", 100, null), Ct)).Value!;

        var result = await _h.Complete(db).Run(_h.WorkspaceId, created.Id, null, Ct);

        result.Error!.Code.ShouldBe("upload_incomplete");
        result.Error.Kind.ShouldBe(ErrorKind.Conflict);
        (await db.Uploads.SingleAsync(Ct)).Status.ShouldBe(UploadStatus.Pending);
    }

    [Fact]
    public async Task Another_workspaces_upload_is_always_not_found()
    {
        var mine = (await _h.UploadAndCompleteAsync("a.pdf", TestFiles.Pdf())).Value!;
        var other = Guid.NewGuid();

        // Both with a tenant-scoped context and with an unscoped one: the explicit workspace filter must hold alone.
        foreach (var tenant in new Guid?[] { other, null })
        {
            await using var db = _h.Context(tenant);
            (await new GetUploadQuery(db).Run(other, mine.Id, Ct)).Error!.Kind.ShouldBe(ErrorKind.NotFound);
            (await _h.Complete(db).Run(other, mine.Id, null, Ct)).Error!.Code.ShouldBe("not_found");
            (await new DeleteUploadCommand(db, _h.Store).Run(other, mine.Id, Ct)).Error!.Code.ShouldBe("not_found");
            (await new ListUploadsQuery(db).Run(other, 1, 50, null, Ct)).Total.ShouldBe(0);
        }
        (await _h.Store.StatAsync(BlobKeys.Upload(_h.WorkspaceId, mine.Id), Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task List_pages_newest_first_and_delete_removes_the_bytes()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _h.UploadAndCompleteAsync($"doc{i}.pdf", TestFiles.Pdf())).Value!.Id);
            _h.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await using var db = _h.Context(_h.WorkspaceId);
        var page1 = await new ListUploadsQuery(db).Run(_h.WorkspaceId, 1, 2, null, Ct);
        page1.Total.ShouldBe(3);
        page1.Items.Select(u => u.FileName).ShouldBe(["doc2.pdf", "doc1.pdf"]);
        (await new ListUploadsQuery(db).Run(_h.WorkspaceId, 2, 2, null, Ct)).Items.ShouldHaveSingleItem().FileName.ShouldBe("doc0.pdf");
        (await new ListUploadsQuery(db).Run(_h.WorkspaceId, 1, 50, UploadStatus.Pending, Ct)).Total.ShouldBe(0);

        (await new DeleteUploadCommand(db, _h.Store).Run(_h.WorkspaceId, ids[0], Ct)).IsSuccess.ShouldBeTrue();
        (await _h.Store.StatAsync(BlobKeys.Upload(_h.WorkspaceId, ids[0]), Ct)).ShouldBeNull();
        (await new GetUploadQuery(db).Run(_h.WorkspaceId, ids[0], Ct)).Error!.Code.ShouldBe("not_found");
    }

    [Fact]
    public async Task Sweeper_removes_expired_pending_and_rejected_uploads_with_their_bytes()
    {
        _h.Options.PartSize = 16 * 1024;
        var ready = (await _h.UploadAndCompleteAsync("keep.pdf", TestFiles.Pdf())).Value!;
        await _h.UploadAndCompleteAsync("bad.pdf", Encoding.UTF8.GetBytes("nope"));
        await _h.UploadAsync("abandoned.wav", TestFiles.Wav(1)[..40000]);
        (await _h.Store.ListMultipartUploadsAsync("ws/", Ct)).ShouldHaveSingleItem();

        await using (var db = _h.Context())
        {
            (await _h.Sweeper(db).SweepAsync(Ct)).ShouldBe(0);
        }
        _h.Time.Advance(_h.Options.PendingLifetime + TimeSpan.FromMinutes(1));
        await using (var db = _h.Context())
        {
            (await _h.Sweeper(db).SweepAsync(Ct)).ShouldBe(2);
            (await db.Uploads.SingleAsync(Ct)).Id.ShouldBe(ready.Id);
        }
        (await _h.Store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
        Directory.EnumerateFiles(Local.Root, "*", SearchOption.AllDirectories).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Completing_again_answers_the_same_way()
    {
        var (created, parts) = await _h.UploadAsync("a.pdf", TestFiles.Pdf());
        await using var db = _h.Context();
        var first = await _h.Complete(db).Run(_h.WorkspaceId, created.Id, parts, Ct);
        var second = await _h.Complete(db).Run(_h.WorkspaceId, created.Id, parts, Ct);
        JsonSerializer.Serialize(second.Value).ShouldBe(JsonSerializer.Serialize(first.Value));

        var bad = (await _h.UploadAsync("b.pdf", [1, 2, 3])).Created;
        (await _h.Complete(db).Run(_h.WorkspaceId, bad.Id, null, Ct)).Error!.Code.ShouldBe("type_mismatch");
        (await _h.Complete(db).Run(_h.WorkspaceId, bad.Id, null, Ct)).Error!.Code.ShouldBe("type_mismatch");
    }

    private async Task AssertRejectedAndGoneAsync(string code)
    {
        await using var db = _h.Context();
        var row = await db.Uploads.SingleAsync(Ct);
        row.Status.ShouldBe(UploadStatus.Rejected);
        row.RejectCode.ShouldBe(code);
        row.RejectMessage.ShouldNotBeNullOrWhiteSpace();
        row.MultipartId.ShouldBeNull();
        (await _h.Store.StatAsync(row.BlobKey, Ct)).ShouldBeNull();
        Directory.EnumerateFiles(Local.Root, "*", SearchOption.AllDirectories).ShouldBeEmpty();
        if (Directory.Exists(_h.TempPath)) Directory.EnumerateFiles(_h.TempPath).ShouldBeEmpty();
    }
}
