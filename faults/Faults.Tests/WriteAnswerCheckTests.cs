using GeoLedger.Faults.Workload;

namespace GeoLedger.Faults.Tests;

/// <summary>A write's 200 must carry the entry written: the same key and value, at the revision of its X-GeoLedger-Revision.</summary>
public sealed class WriteAnswerCheckTests
{
    [Fact]
    public void The_entry_written_passes()
    {
        Assert.Null(WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2","value":"c3-17","revision":812}""", "812"));
        Assert.Null(WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2","value":"c3-17","revision":812}""", null));
    }

    [Fact]
    public void Another_value_fails_naming_client_key_and_both_values()
    {
        var anomaly = WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2","value":"c5-2","revision":812}""", "812");

        Assert.Equal("client 3 wrote 'k2' = 'c3-17' but the 200 answered 'k2' = 'c5-2' at revision 812", anomaly);
    }

    [Fact]
    public void Another_key_fails()
    {
        var anomaly = WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k4","value":"c3-17","revision":812}""", "812");

        Assert.Equal("client 3 wrote 'k2' = 'c3-17' but the 200 answered 'k4' = 'c3-17' at revision 812", anomaly);
    }

    [Fact]
    public void A_body_revision_other_than_the_header_fails()
    {
        var anomaly = WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2","value":"c3-17","revision":812}""", "815");

        Assert.Equal("client 3 wrote 'k2' = 'c3-17': the 200's body says revision 812, its X-GeoLedger-Revision says 815", anomaly);
    }

    [Fact]
    public void A_body_that_is_not_an_entry_fails()
    {
        Assert.StartsWith("client 3 wrote 'k2' = 'c3-17' but the 200 is not {key, value, revision}", WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2"}""", "812"), StringComparison.Ordinal);
        Assert.NotNull(WriteAnswerCheck.Check(3, "k2", "c3-17", "not json", null));
        Assert.NotNull(WriteAnswerCheck.Check(3, "k2", "c3-17", """{"key":"k2","value":"c3-17","revision":812}""", "eight"));
    }

    [Fact]
    public void A_non_string_value_is_compared_as_its_json()
    {
        Assert.Null(WriteAnswerCheck.Check(1, "k0", "{\"n\":1}", """{"key":"k0","value":{"n":1},"revision":5}""", "5"));
        Assert.NotNull(WriteAnswerCheck.Check(1, "k0", "c1-1", """{"key":"k0","value":7,"revision":5}""", "5"));
    }
}
