namespace Kiln.Core.Tests.Support;

/// <summary>Shared prose for tests: enough sentences, with a clear central topic, for ranking to matter.</summary>
public static class SampleText
{
    public static readonly string[] Kilns =
    [
        "A kiln is an insulated chamber used to fire clay into ceramics.",
        "Potters load the kiln with dried pots before every firing.",
        "The temperature inside the kiln rises slowly over many hours.",
        "Glaze on the pots melts into glass when the kiln reaches its peak temperature.",
        "My neighbour owns a red bicycle.",
        "Cooling the kiln too quickly can crack the fired pots.",
        "Electric kilns are common in schools because they are easy to control.",
        "Wood fired kilns leave ash on the pots, which changes the glaze.",
        "Bananas are yellow.",
        "Every kiln firing follows a schedule of temperature ramps and holds.",
    ];

    public static string KilnParagraph => string.Join(' ', Kilns);
}
