using BenchmarkDotNet.Running;
using MainlineDht.Benchmarks.Load;
using MainlineDht.Benchmarks.Memory;

namespace MainlineDht.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/MainlineDht.Benchmarks -- [BenchmarkDotNet arguments]</c> runs the
/// micro-benchmarks (e.g. <c>--filter '*KrpcCodec*'</c>); <c>-- load [options]</c> runs the UDP load benchmark;
/// <c>-- routing-memory [--tables N] [--nodes N]</c> measures the memory of routing state.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await LoadBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "routing-memory")
        {
            return await RoutingMemoryBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
