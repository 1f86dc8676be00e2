using Kiln.Core.Accounts;

namespace Kiln.Core.Tests.Accounts;

public sealed class PersonalWorkspaceNameTests
{
    [Fact]
    public void A_short_name_is_kept_and_a_long_one_is_cut_to_the_column()
    {
        CreateAccountCommand.PersonalWorkspaceName("Ada").ShouldBe("Ada's workspace");
        var long_ = CreateAccountCommand.PersonalWorkspaceName(new string('a', 250));
        long_.Length.ShouldBe(200);
        long_.ShouldEndWith("'s workspace");
    }
}
