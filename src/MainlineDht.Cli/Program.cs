using System.CommandLine;
using MainlineDht.Cli;

RootCommand root = new("mainline-dht: a BitTorrent Mainline DHT (BEP 5) node and lookup tool.");
root.Subcommands.Add(NodeCommand.Create());
root.Subcommands.Add(LookupCommands.GetPeers());
root.Subcommands.Add(LookupCommands.Announce());
root.Subcommands.Add(LookupCommands.FindNode());
root.Subcommands.Add(LookupCommands.Ping());
root.Subcommands.Add(SwarmCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
