System.Console.WriteLine("kiln: the CLI lands with the pdf-podcast pipeline.");
