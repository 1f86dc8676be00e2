using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Uploads;

/// <summary>What an image's header says: pixel size and colour model.</summary>
/// <param name="ColorModel">"rgb", "rgba", "gray", "gray-alpha", "palette", "cmyk" or "ycck".</param>
public sealed record ImageFacts(string Format, int Width, int Height, string ColorModel);

/// <summary>
/// Images (the only one Kiln takes is podcast artwork): the PNG IHDR chunk or the JPEG SOFn segment is read directly
/// from the file (no image library, no decoding), and the picture must meet Apple Podcasts' artwork rules: JPEG or
/// PNG, square, 1400–3000 px a side, RGB. Every refusal is a sentence that names the numbers.
/// </summary>
public static class ImageInspector
{
    public const int MinSide = 1400, MaxSide = 3000;

    public static async Task<Result<ValidatedContent>> InspectAsync(string path, Container container, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 16384, FileOptions.Asynchronous);
        var facts = container == Container.Png ? await ReadPngAsync(file, ct) : await ReadJpegAsync(file, ct);
        if (facts is null) return ArtworkInvalid($"The {(container == Container.Png ? "PNG" : "JPEG")} file is damaged: its size and colours could not be read.");
        if (CheckArtwork(facts) is { } problem) return problem;
        var contentType = facts.Format == "png" ? "image/png" : "image/jpeg";
        return new ValidatedContent("image", contentType, JsonSerializer.Serialize(new { format = facts.Format, width = facts.Width, height = facts.Height, colorModel = facts.ColorModel }));
    }

    /// <summary>Apple's artwork rules, as sentences.</summary>
    public static Error? CheckArtwork(ImageFacts f)
    {
        var size = $"{f.Width}×{f.Height} px";
        if (f.Width != f.Height) return ArtworkInvalid($"The artwork is {size}; podcast artwork must be square (the same width and height).");
        if (f.Width < MinSide) return ArtworkInvalid($"The artwork is {size}; Apple needs at least {MinSide}×{MinSide}.");
        if (f.Width > MaxSide) return ArtworkInvalid($"The artwork is {size}; Apple accepts at most {MaxSide}×{MaxSide}.");
        return f.ColorModel switch
        {
            "cmyk" or "ycck" => ArtworkInvalid("The artwork uses CMYK colours (a print format); save it as RGB for screens."),
            "gray" or "gray-alpha" => ArtworkInvalid("The artwork is grayscale; Apple needs an RGB image — save it in RGB colour."),
            "rgba" => ArtworkInvalid("The artwork has a transparent (alpha) channel; save it as an opaque RGB image (JPEG, or PNG without transparency)."),
            _ => null,
        };
    }

    public static Error ArtworkInvalid(string message) => new("artwork_invalid", message, ErrorKind.Unprocessable);

    internal static async Task<ImageFacts?> ReadPngAsync(Stream s, CancellationToken ct)
    {
        // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4) + depth (1) + colour type (1).
        var head = new byte[26];
        if (await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct) < head.Length) return null;
        if (!head.AsSpan(12, 4).SequenceEqual("IHDR"u8)) return null;
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20));
        if (width <= 0 || height <= 0) return null;
        var model = head[25] switch { 0 => "gray", 2 => "rgb", 3 => "palette", 4 => "gray-alpha", 6 => "rgba", _ => null };
        return model is null ? null : new ImageFacts("png", width, height, model);
    }

    internal static async Task<ImageFacts?> ReadJpegAsync(Stream s, CancellationToken ct)
    {
        // Walk the marker segments after SOI until a start-of-frame (SOF0–SOF15 except DHT C4, JPG C8, DAC CC).
        var buffer = new byte[65536];
        var adobeTransform = -1;
        if (await s.ReadAtLeastAsync(buffer.AsMemory(0, 2), 2, throwOnEndOfStream: false, ct) < 2 || buffer[0] != 0xFF || buffer[1] != 0xD8) return null;
        for (var segments = 0; segments < 1000; segments++)
        {
            if (await s.ReadAtLeastAsync(buffer.AsMemory(0, 2), 2, throwOnEndOfStream: false, ct) < 2 || buffer[0] != 0xFF) return null;
            var marker = buffer[1];
            while (marker == 0xFF) // fill bytes
            {
                if (await s.ReadAtLeastAsync(buffer.AsMemory(0, 1), 1, throwOnEndOfStream: false, ct) < 1) return null;
                marker = buffer[0];
            }
            if (marker is 0xD9 or 0xDA) return null; // end of image or start of scan before any frame header
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue;
            if (await s.ReadAtLeastAsync(buffer.AsMemory(0, 2), 2, throwOnEndOfStream: false, ct) < 2) return null;
            var length = (buffer[0] << 8 | buffer[1]) - 2;
            if (length < 0 || await s.ReadAtLeastAsync(buffer.AsMemory(0, length), length, throwOnEndOfStream: false, ct) < length) return null;
            var body = buffer.AsSpan(0, length);
            if (marker == 0xEE && length >= 12 && body.StartsWith("Adobe"u8)) adobeTransform = body[11];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (length < 6) return null;
                var height = body[1] << 8 | body[2];
                var width = body[3] << 8 | body[4];
                var components = body[5];
                if (width == 0 || height == 0) return null;
                var model = components switch
                {
                    1 => "gray",
                    3 => "rgb",
                    4 => adobeTransform == 2 ? "ycck" : "cmyk",
                    _ => null,
                };
                return model is null ? null : new ImageFacts("jpeg", width, height, model);
            }
        }
        return null;
    }
}
