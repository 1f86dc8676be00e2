#!/usr/bin/python3
"""Text statistics for a plain-text or Markdown document: words, sentences, paragraphs, reading time and the top
keywords (stop words left out). A Kiln command pipeline: it speaks the JSON-lines protocol on stdout
(docs/pipelines.md, "Command pipelines") and writes stats.json and stats.md. Python 3 standard library only.

    text-stats.py INPUT OUTPUT_DIR [--keywords=10] [--wpm=230] [--language=en|de] [--format=auto|text|markdown]
"""
import collections
import json
import math
import os
import re
import sys

MAX_BYTES = 50 * 1024 * 1024

STOP_WORDS = {
    "en": set("""
        a about above after again against all also am an and any are aren't as at be because been before being below
        between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
        either else etc even ever every few for from further get gets got had hadn't has hasn't have haven't having he
        he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into
        is isn't it it's its itself just let's like made make many may me might more most much must mustn't my myself
        need no nor not now of off often on once one only or other others otherwise our ours ourselves out over own
        per rather really said same say says see shall shan't she she'd she'll she's should shouldn't since so some
        such than that that's the their theirs them themselves then there there's these they they'd they'll they're
        they've this those though through thus to too two under until up upon us use used uses using very via was
        wasn't we we'd we'll we're we've well were weren't what what's when when's where where's whether which while
        who who's whom whose why why's will with within without won't would wouldn't yes yet you you'd you'll you're
        you've your yours yourself yourselves
    """.split()),
    "de": set("""
        aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
        anders auch auf aus bei beim bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner
        dem demselben den denn denselben der derer derselbe derselben des desselben dessen dich die dies diese
        dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig
        einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer für gegen gewesen
        hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in
        indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
        keiner keines können könnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner
        mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines
        selbst sich sie sind so solche solchem solchen solcher solches soll sollte sondern sonst über um und uns
        unsere unserem unseren unser unseres unter viel vom von vor während war waren warst was weg weil weiter
        welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte
        würde würden zu zum zur zwar zwischen
    """.split()),
}

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
SENTENCE_END = re.compile(r"[.!?…]+(?=[\"'”’)\]]*(?:\s|$))")


def emit(message):
    print(json.dumps(message, ensure_ascii=False), flush=True)


def progress(percent, step, message):
    emit({"type": "progress", "percent": percent, "step": step, "message": message})


def fail(code, message):
    emit({"type": "error", "code": code, "message": message, "transient": False})
    sys.exit(1)


def parse_args(argv):
    if len(argv) < 2:
        fail("usage", "Usage: text-stats.py INPUT OUTPUT_DIR [--keywords=N] [--wpm=N] [--language=en|de] [--format=auto|text|markdown]")
    opts = {"keywords": "10", "wpm": "230", "language": "en", "format": "auto"}
    for arg in argv[2:]:
        key, sep, value = arg.partition("=")
        if not sep or not key.startswith("--") or key[2:] not in opts:
            fail("usage", f"Unknown argument: {arg}")
        opts[key[2:]] = value
    try:
        keywords, wpm = int(opts["keywords"]), int(opts["wpm"])
    except ValueError:
        fail("usage", "--keywords and --wpm must be whole numbers.")
    if not 1 <= keywords <= 100 or not 50 <= wpm <= 1000:
        fail("usage", "--keywords must be 1–100 and --wpm 50–1000.")
    if opts["language"] not in STOP_WORDS:
        fail("usage", "--language must be one of: " + ", ".join(sorted(STOP_WORDS)))
    if opts["format"] not in ("auto", "text", "markdown"):
        fail("usage", "--format must be auto, text or markdown.")
    return argv[0], argv[1], keywords, wpm, opts["language"], opts["format"]


def read_text(path):
    try:
        size = os.path.getsize(path)
    except OSError:
        fail("missing_input", "The input file does not exist.")
    if size > MAX_BYTES:
        fail("too_large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data[:8192]:
        fail("not_text", "The file is not a text document.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        emit({"type": "log", "line": "The file is not UTF-8; read it as Latin-1."})
        return data.decode("latin-1")


def looks_like_markdown(path, text):
    if os.path.splitext(path)[1].lower() in (".md", ".markdown", ".mdown"):
        return True
    return bool(re.search(r"^(#{1,6} |```|[-*] \S|\d+\. \S)", text, re.MULTILINE)) and bool(
        re.search(r"^#{1,6} |\[[^\]]+\]\([^)]+\)|\*\*[^*]+\*\*", text, re.MULTILINE))


def strip_markdown(text):
    """Prose only: code blocks, HTML, link targets, images, emphasis and list/heading markers removed."""
    headings = [h.strip() for h in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", text, re.MULTILINE)]
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"<!--.*?-->|<[^>\n]+>", "", text, flags=re.DOTALL)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\[[^\]]+\]:\s*\S+.*$", "", text, flags=re.MULTILINE)
    # A heading is a sentence of its own even without a full stop.
    text = re.sub(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", r"\1.", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}(?:[-*+]|\d+[.)])[ \t]+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}>[ \t]?", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]*([-*_][ \t]*){3,}$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\|?([ \t]*:?-+:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$", "", text, flags=re.MULTILINE)
    text = text.replace("|", " ")
    text = re.sub(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    return text, headings


def count_sentences(text):
    sentences = 0
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not WORD.search(paragraph):
            continue
        ends = len(SENTENCE_END.findall(paragraph))
        # A paragraph whose last sentence has no full stop (a list item, a caption) still counts it.
        sentences += ends + (0 if SENTENCE_END.search(paragraph[-3:] + " ") else 1)
    return sentences


def main():
    path, out, top_n, wpm, language, fmt = parse_args(sys.argv[1:])
    os.makedirs(out, exist_ok=True)
    progress(5, "read", "Reading the document")
    raw = read_text(path)

    progress(30, "analyze", "Counting words and sentences")
    markdown = fmt == "markdown" or (fmt == "auto" and looks_like_markdown(path, raw))
    text, headings = strip_markdown(raw) if markdown else (raw, [])
    words = WORD.findall(text)
    if not words:
        fail("empty_text", "The document contains no words.")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if WORD.search(p)]
    sentences = max(1, count_sentences(text))
    stop = STOP_WORDS[language]

    progress(60, "keywords", "Finding keywords")
    counts = collections.Counter(
        w.lower().replace("’", "'") for w in words if len(w) >= 3 and w.lower().replace("’", "'") not in stop)
    keywords = [{"word": w, "count": c} for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]

    minutes = len(words) / wpm
    stats = {
        "file": os.path.basename(path),
        "format": "markdown" if markdown else "text",
        "language": language,
        "characters": len(raw),
        "words": len(words),
        "uniqueWords": len({w.lower() for w in words}),
        "sentences": sentences,
        "paragraphs": len(paragraphs),
        "headings": headings,
        "averageWordsPerSentence": round(len(words) / sentences, 1),
        "averageWordLength": round(sum(len(w) for w in words) / len(words), 1),
        "readingTimeMinutes": max(1, math.ceil(minutes)),
        "wordsPerMinute": wpm,
        "keywords": keywords,
    }

    progress(85, "report", "Writing the report")
    with open(os.path.join(out, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, ensure_ascii=False, indent=2)
        f.write("\n")
    lines = [
        f"# Text statistics: {stats['file']}",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Words | {stats['words']:,} ({stats['uniqueWords']:,} different) |",
        f"| Sentences | {stats['sentences']:,} |",
        f"| Paragraphs | {stats['paragraphs']:,} |",
        f"| Words per sentence | {stats['averageWordsPerSentence']} |",
        f"| Reading time | about {stats['readingTimeMinutes']} min at {wpm} words per minute |",
        "",
        "## Top keywords",
        "",
    ]
    lines += [f"{i}. **{k['word']}** ({k['count']})" for i, k in enumerate(keywords, 1)] or ["(none)"]
    if headings:
        lines += ["", "## Headings", ""] + [f"- {h}" for h in headings]
    with open(os.path.join(out, "stats.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

    emit({"type": "artifact", "path": os.path.join(out, "stats.json"), "name": "stats.json", "contentType": "application/json"})
    emit({"type": "artifact", "path": os.path.join(out, "stats.md"), "name": "stats.md", "contentType": "text/markdown"})
    progress(100, "done", f"{stats['words']:,} words, {stats['sentences']:,} sentences, about {stats['readingTimeMinutes']} min to read")


if __name__ == "__main__":
    main()
