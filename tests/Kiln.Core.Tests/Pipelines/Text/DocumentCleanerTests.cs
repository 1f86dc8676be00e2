using Kiln.Core.Pipelines.Text;
namespace Kiln.Core.Tests.Pipelines.Text;

public sealed class DocumentCleanerTests
{
    private static string Prose(params string[] pages) => DocumentCleaner.ToProse(DocumentCleaner.Clean(pages).Lines);

    [Fact]
    public void Joins_words_hyphenated_across_lines()
    {
        Prose("The experi-\nment was a success and the re-\nsults were clear.")
            .ShouldBe("The experiment was a success and the results were clear.");
    }

    [Fact]
    public void Keeps_real_hyphens_and_dashes()
    {
        Prose("A well-known result -\nNot a split word. Self-\nAware stays.").ShouldBe("A well-known result - Not a split word. Self- Aware stays.");
    }

    [Fact]
    public void Joins_words_hyphenated_across_a_page_break_with_a_footer_in_between()
    {
        var pages = new[]
        {
            "Running Header\nFirst page body text that ends with a hyphen-\n1",
            "Running Header\nated word and continues here.\n2",
            "Running Header\nThird page text.\n3",
        };
        Prose(pages).ShouldBe("First page body text that ends with a hyphenated word and continues here.\n\nThird page text.");
    }

    [Fact]
    public void Removes_running_headers_and_footers_even_when_they_contain_page_numbers()
    {
        var pages = Enumerable.Range(1, 4)
            .Select(i => $"Journal of Tests, Vol. 3\nBody of page {i} with its own text.\n\nSmith et al. - page {i} of 4")
            .ToArray();
        var prose = Prose(pages);
        prose.ShouldNotContain("Journal of Tests");
        prose.ShouldNotContain("Smith et al.");
        for (var i = 1; i <= 4; i++) prose.ShouldContain($"Body of page {i} with its own text.");
    }

    [Fact]
    public void A_line_on_one_page_only_is_content_not_a_header()
    {
        Prose("Introduction\nText one.", "Methods\nText two.", "Results\nText three.").ShouldContain("Introduction");
    }

    [Theory]
    [InlineData("12")]
    [InlineData("- 12 -")]
    [InlineData("Page 3")]
    [InlineData("page 3 of 10")]
    [InlineData("3 / 10")]
    [InlineData("xiv")]
    public void Removes_page_number_lines(string pageNumber)
    {
        Prose($"Some body text.\n{pageNumber}").ShouldBe("Some body text.");
        DocumentCleaner.IsPageNumber(pageNumber).ShouldBeTrue();
    }

    [Fact]
    public void Keeps_numbers_inside_the_page_body()
    {
        Prose("Top line here.\nSecond line.\nThird line.\n42\nFourth line.\nFifth line.\nSixth line.\nLast line.").ShouldContain("42");
    }

    [Fact]
    public void Normalizes_whitespace_and_paragraphs()
    {
        Prose("  Lots   of\tspace  \n\n\n\nNew    paragraph\u00ADs here. \uFB01ne").ShouldBe("Lots of space\n\nNew paragraphs here. fine");
    }

    [Fact]
    public void Tracks_the_page_of_each_line()
    {
        var lines = DocumentCleaner.Clean(["alpha", "beta"], firstPage: 7).Lines;
        lines.Where(l => l.Text.Length > 0).Select(l => (l.Page, l.Text)).ShouldBe([(7, "alpha"), (8, "beta")]);
    }
}

/// <summary>Cleanup rules on short excerpts of real Debian documentation PDFs (libtasn1, gnucobol, bzip2, zlib's crc-doc).</summary>
public sealed class DocumentCleanerRealTextTests
{
    private const string Body = "This document describes the Libtasn1 library that provides Abstract Syntax Notation One parsing and structures management.";

    private static (int, string)[] Book(params string[] pages) => pages.Select((p, i) => (i + 1, p)).ToArray();

    private static string Prose(params string[] pages) => DocumentCleaner.ToProse(DocumentCleaner.Clean(Book(pages)).Lines);

    [Fact]
    public void Drops_a_texinfo_contents_page_with_dot_leaders()
    {
        var toc = "i\n\nTable of Contents\n1\n\nIntroduction . . . . . . . . . . . . . . . . . . . . . . . . . 1\n\n2\n\nASN.1 structure handling . . . . . . . . . . . . 2\n2.1\n2.2\n\nASN.1 syntax. . . . . . . . . . . . . . . . . . . . . . . . . . 2\nNaming . . . . . . . . . . . . . . . . . . . . . . . . . . . . 3\n";
        var doc = DocumentCleaner.Clean(Book(toc, "1\n\n1 Introduction\n" + Body));
        doc.Skipped.ShouldContain(new SkippedPage(1, SkipReason.Contents));
        DocumentCleaner.ToProse(doc.Lines).ShouldNotContain(". . .");
        DocumentCleaner.ToProse(doc.Lines).ShouldContain("1 Introduction");
    }

    [Fact]
    public void Drops_dot_leader_lines_but_keeps_the_chapter_heading_above_a_chapter_contents()
    {
        var page = "3. Programming with libbzip2\nTable of Contents\n3.1. Top-level structure . . . . . . . . . . . . . . . . . . 8\n3.1.1. Low-level summary . . . . . . . . . . . . . . . . . 9\n4.4. Did you get the right package?\n. . . . . . . . . . . . . . . . . . . . . 33\nThis chapter describes the programming interface to libbzip2.";
        var prose = Prose(page);
        prose.ShouldStartWith("3. Programming with libbzip2");
        prose.ShouldNotContain("Top-level structure");
        prose.ShouldNotContain("right package");
        prose.ShouldContain("This chapter describes the programming interface");
    }

    [Fact]
    public void Drops_a_latex_contents_block_with_page_numbers_on_their_own_lines()
    {
        var page = "Abstract\nThis paper describes a novel interleaved, parallelizeable word-by-word CRC computation algorithm.\n\nContents\n1 Definition of CRC\n\n2\n\n2 Related work\n\n3\n\n3 CRC tricks and tips\n3.1 Incremental CRC computation . . . . . . . . . . . . . . .\n\n4\n4\n\n1\n\nDefinition of CRC\n\nCyclic Redundancy Check (CRC) is a well-known technique that allows the recipient of a message to detect corruption.";
        var prose = Prose(page);
        prose.ShouldNotContain("Related work");
        prose.ShouldNotContain("Incremental");
        prose.ShouldContain("Definition of CRC");
        prose.ShouldContain("Cyclic Redundancy Check");
    }

    [Fact]
    public void Skips_copyright_and_licence_pages_in_the_front_matter()
    {
        var copyright = "This manual is for GNU Libtasn1 (version 4.19.0, 18 August 2022).\nCopyright c 2001–2022 Free Software Foundation, Inc.\nPermission is granted to copy, distribute and/or modify this document under the\nterms of the GNU Free Documentation License, Version 1.3; with no Invariant Sections, no\nFront-Cover Texts, and no Back-Cover Texts.";
        var doc = DocumentCleaner.Clean(Book("Libtasn1\nAbstract Syntax Notation One (ASN.1) library for the GNU system", copyright, "1 Introduction\n" + Body, Body, Body, Body, Body, Body, Body));
        doc.Skipped.Select(s => s.Page).ShouldContain(2);
        DocumentCleaner.ToProse(doc.Lines).ShouldNotContain("Permission is granted");
    }

    [Fact]
    public void Skips_a_licence_appendix_in_the_back_matter_but_keeps_a_document_about_a_licence()
    {
        var fdl = "Appendix A: Copying Information\nA.1 GNU Free Documentation License\nVersion 1.3, 3 November 2008\nThis License is a kind of “copyleft”, which means that derivative works of the document must themselves be free. You may copy and distribute the Document under the conditions of section 4 as a Modified Version.";
        var more = "10. FUTURE REVISIONS OF THIS LICENSE\nThe Free Software Foundation may publish new, revised versions of the GNU Free Documentation License from time to time. If the Document specifies that a proxy can decide which future versions of this License can be used, that proxy’s public statement applies.";
        var book = Book(Body, Body, Body, Body, fdl, more);
        DocumentCleaner.ToProse(DocumentCleaner.Clean(book).Lines).ShouldNotContain("copyleft");
        DocumentCleaner.ToProse(DocumentCleaner.Clean(book, "GNU Free Documentation License").Lines).ShouldContain("copyleft");
    }

    [Fact]
    public void Skips_index_pages()
    {
        var index = "Concept Index\nA\nASN.1 schema functions . . . . . . . . . . . . . . 8\nB\nbugs, 4\nC\ncoding, 15, 17\nD\nDER functions . . . . . . . . . . . . 15\ndecoding, 16\nE\nerror handling, 22\n";
        DocumentCleaner.Clean(Book(Body, Body, index)).Skipped.ShouldContain(new SkippedPage(3, SkipReason.Index));
    }

    [Fact]
    public void Removes_chapter_titled_running_heads_and_their_page_numbers()
    {
        var pages = Enumerable.Range(15, 4).Select(n => $"Chapter 4: Function reference\n\n{n}\n\n{Body}\n{Body}\n{Body}\n{Body}\n{Body}\n{Body}").ToArray();
        var prose = Prose(pages);
        prose.ShouldNotContain("Chapter 4: Function reference");
        prose.ShouldNotContain("15");
    }

    [Fact]
    public void Removes_footnote_markers_and_footnote_bodies()
    {
        var page = "Compile, assemble, and build a dynamically loadable module (i.e., a shared library).\nThe output is saved in file *.so.2 This is the default behaviour.\nFixed format. Columns 72-80 are the reference area.3\n\n2\n3\n\nThe extension varies depending on your host.\nHistorically, fixed format was based on 80-character punch cards.";
        var prose = Prose(page);
        prose.ShouldContain("*.so. This is the default behaviour.");
        prose.ShouldContain("reference area.");
        prose.ShouldNotContain("area.3");
        prose.ShouldNotContain("punch cards");
    }

    [Fact]
    public void Removes_bracketed_page_references()
    {
        Prose("• How to use bzip2 [2] describes how to use bzip2; this is the only part you need to read.")
            .ShouldBe("• How to use bzip2 describes how to use bzip2; this is the only part you need to read.");
    }

    [Fact]
    public void Replaces_code_listings_and_tables_with_a_spoken_notice()
    {
        var page = "The correct form is shown below.\nint BZ2_bzCompressInit ( bz_stream *strm,\nint blockSize100k,\nint verbosity,\nint workFactor );\n#include <bzlib.h>\nstatic int x = 0;\nAfter the call, the stream is ready.\n\nLevel\nRatio\nSpeed\n1\n3.2\n10\n9\n4.1\n2\nThe table shows ratios.";
        var prose = Prose(page);
        prose.ShouldContain(DocumentCleaner.CodeNotice);
        prose.ShouldContain(DocumentCleaner.TableNotice);
        prose.ShouldNotContain("bz_stream");
        prose.ShouldContain("The table shows ratios.");
        DocumentCleaner.IsNotice(DocumentCleaner.TableNotice).ShouldBeTrue();
    }

    [Fact]
    public void Replaces_a_figure_caption_with_a_notice()
    {
        Prose("Figure 3: Throughput of interleaved CRC by word size").ShouldBe("Figure 3 is not read aloud; its caption says: Throughput of interleaved CRC by word size");
    }
}
