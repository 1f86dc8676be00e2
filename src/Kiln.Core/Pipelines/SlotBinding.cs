using Kiln.Core.Common;

namespace Kiln.Core.Pipelines;

/// <summary>An input offered for a slot before it is checked: its slot name, upload kind and file name.</summary>
public sealed record OfferedInput(string Slot, string Kind, string FileName);

/// <summary>The platform's one check of a job's inputs against the pipeline's slots (the API, the form and the CLI all use it).</summary>
public static class SlotBinding
{
    /// <summary>The slot the <c>"uploads": [id]</c> shorthand fills: the only slot, or the only required one.</summary>
    public static InputSlot? DefaultSlot(PipelineDescriptor d) =>
        d.Slots.Count == 1 ? d.Slots[0] : d.Slots.Count(s => s.Required) == 1 ? d.Slots.Single(s => s.Required) : null;

    /// <summary>The only slot that accepts uploads of <paramref name="kind"/>, if exactly one does.</summary>
    public static InputSlot? SlotForKind(PipelineDescriptor d, string kind) =>
        d.Slots.Where(s => s.Kinds.Contains(kind)).ToList() is [var only] ? only : null;

    /// <summary>True when every slot is optional and there are several: the pipeline takes one of them (study notes take
    /// a video, a subtitle file or a document), so a form offers a choice rather than a row of optional fields.</summary>
    public static bool IsChoice(PipelineDescriptor d) => d.Slots.Count > 1 && d.Slots.All(s => !s.Required);

    /// <summary>Errors about one slot carry its name in <c>slot</c>, so a form shows them beside that field.</summary>
    public static Error? Check(PipelineDescriptor d, IReadOnlyList<OfferedInput> inputs)
    {
        foreach (var group in inputs.GroupBy(i => i.Slot, StringComparer.Ordinal))
        {
            var slot = d.Slot(group.Key);
            if (slot is null)
                return d.Slots.Count == 0
                    ? Error.Invalid("unexpected_input", $"{d.Name} takes no input files.")
                    : Error.Invalid("unknown_slot", $"{d.Name} has no input called '{group.Key}'. Its inputs are: {string.Join(", ", d.Slots.Select(s => s.Name))}.");
            if (group.Count() > slot.MaxCount)
                return AboutSlot(slot, "too_many_inputs", $"{d.Name} takes at most {slot.MaxCount} file(s) as '{slot.Label}'.");
            if (group.FirstOrDefault(i => !slot.Kinds.Contains(i.Kind)) is { } wrong)
                return AboutSlot(slot, "unsupported_input", $"{d.Name} does not accept {wrong.Kind} files as '{slot.Label}' (it takes {string.Join(" or ", slot.Kinds)}).");
        }
        foreach (var slot in d.Slots.Where(s => s.Required))
            if (!inputs.Any(i => i.Slot == slot.Name))
                return AboutSlot(slot, "input_required", d.Slots.Count == 1
                    ? $"{d.Name} needs an input file ({string.Join(" or ", slot.Kinds)}): upload one first."
                    : $"{d.Name} needs '{slot.Label}' ({string.Join(" or ", slot.Kinds)}).");
        return null;
    }

    private static Error AboutSlot(InputSlot slot, string code, string message) =>
        Error.Invalid(code, message) with { Extensions = new Dictionary<string, object?> { ["slot"] = slot.Name } };
}
