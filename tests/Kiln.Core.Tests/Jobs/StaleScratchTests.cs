using Kiln.Core.Jobs.Runner;

namespace Kiln.Core.Tests.Jobs;

public sealed class StaleScratchTests
{
    [Fact]
    public void Only_old_attempt_directories_are_removed()
    {
        var root = Directory.CreateTempSubdirectory("kiln-scratch-test").FullName;
        try
        {
            var old = Path.Combine(root, $"{Guid.NewGuid():N}-a1");
            var fresh = Path.Combine(root, $"{Guid.NewGuid():N}-a2");
            var foreign = Path.Combine(root, "not-a-job");
            foreach (var d in new[] { old, fresh, foreign })
            {
                Directory.CreateDirectory(d);
                File.WriteAllText(Path.Combine(d, "input.pdf"), "x");
            }
            Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
            Directory.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddDays(-2));

            StaleScratch.Delete(root, DateTime.UtcNow - StaleScratch.MaxAge).ShouldBe(1);
            Directory.Exists(old).ShouldBeFalse();
            Directory.Exists(fresh).ShouldBeTrue();
            Directory.Exists(foreign).ShouldBeTrue();
            StaleScratch.Delete(Path.Combine(root, "missing"), DateTime.UtcNow).ShouldBe(0);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
