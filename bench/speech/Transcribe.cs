#:project ../../src/Kiln.Core/Kiln.Core.csproj
// Transcribes one file with Kiln's pocketsphinx engine and prints wall time, real-time factor and WER against a
// reference text. Usage: dotnet run bench/speech/Transcribe.cs -- AUDIO REFERENCE.txt PARALLELISM CHUNK_SECONDS
using System.Diagnostics;
using System.Globalization;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;

var (audio, reference) = (args[0], File.ReadAllText(args[1]));
var options = new PocketsphinxOptions
{
    Parallelism = int.Parse(args[2], CultureInfo.InvariantCulture),
    ChunkSeconds = double.Parse(args[3], CultureInfo.InvariantCulture),
};
var stt = new PocketsphinxSpeechToText(new ProcessRunner(), options);
var clock = Stopwatch.StartNew();
var transcript = await stt.TranscribeAsync(audio, "en", CancellationToken.None);
var wall = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"parallelism {options.Parallelism}, chunks of {options.ChunkSeconds:0} s: wall {wall:0.00} s, audio {transcript.DurationSeconds:0.0} s, RTF {wall / transcript.DurationSeconds:0.000}, WER {WordErrorRate.Compute(reference, transcript.Text):P1}, {transcript.Segments.Count} segments"));
