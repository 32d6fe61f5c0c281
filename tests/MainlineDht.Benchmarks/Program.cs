using BenchmarkDotNet.Running;
using MainlineDht.Benchmarks.Load;

namespace MainlineDht.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/MainlineDht.Benchmarks -- [BenchmarkDotNet arguments]</c> runs the
/// micro-benchmarks (e.g. <c>--filter '*KrpcCodec*'</c>); <c>-- load [options]</c> runs the UDP load benchmark.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await LoadBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
