using BenchmarkDotNet.Running;

namespace MainlineDht.Benchmarks;

/// <summary>
/// Runs any benchmark class in this assembly, for example
/// <c>dotnet run -c Release --project tests/MainlineDht.Benchmarks -- --filter '*Bencode*'</c>.
/// </summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
