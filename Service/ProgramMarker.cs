/// <summary>Makes the top-level program visible to the in-process tests (WebApplicationFactory).</summary>
public partial class Program;
