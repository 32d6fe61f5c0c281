using System.CommandLine;
using MainlineDht.Cli;

RootCommand root = new("mainline-dht: a BitTorrent Mainline DHT (BEP 5) node and lookup tool.");
root.Subcommands.Add(NodeCommand.Create());
root.Subcommands.Add(LookupCommands.GetPeers());
root.Subcommands.Add(LookupCommands.Announce());
root.Subcommands.Add(LookupCommands.FindNode());
root.Subcommands.Add(LookupCommands.Ping());
root.Subcommands.Add(MetadataCommand.Create());
root.Subcommands.Add(ItemCommands.Put());
root.Subcommands.Add(ItemCommands.Get());
root.Subcommands.Add(ItemCommands.Keygen());
root.Subcommands.Add(IndexingCommands.Crawl());
root.Subcommands.Add(IndexingCommands.Scrape());
root.Subcommands.Add(SwarmCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());

// Ctrl-C and SIGTERM cancel the command's token (a graceful stop); System.CommandLine's own
// handling, which forces the exit after 2 seconds, is off.
using var signals = new TerminationSignals();
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token).ConfigureAwait(false);
