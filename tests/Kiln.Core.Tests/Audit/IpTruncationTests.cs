using System.Net;
using Kiln.Core.Audit;

namespace Kiln.Core.Tests.Audit;

public sealed class IpTruncationTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48")]
    [InlineData("::1", "::/48")]
    public void An_address_is_kept_as_its_network_only(string address, string expected) =>
        IpTruncation.Truncate(IPAddress.Parse(address)).ShouldBe(expected);

    [Fact]
    public void No_address_stays_none() => IpTruncation.Truncate(null).ShouldBeNull();
}
