using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MainlineDht.Hosting.Tests.Support;
using MainlineDht.Protocol;

namespace MainlineDht.Hosting.Tests;

/// <summary>
/// The HostedNode sample's status page, served by the host on loopback and looked at in headless
/// Chromium (Debian's <c>chromium</c>, installed by tests/install-interop-deps.sh): its DOM shows the
/// node's state, routing table, counters and a lookup run from the page's form; the screenshot is
/// kept as the test's attachment.
/// </summary>
[NonParallelizable]
public sealed partial class StatusPageTests : LoopbackTest
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);

    [Test]
    public async Task The_status_page_shows_the_joined_node_its_table_counters_and_a_lookup_run_from_its_form()
    {
        string chromium = Chromium();
        NodeId infoHash = NodeId.Parse("00112233445566778899aabbccddeeff00112233");
        (DhtNode holder, DhtNode announcer) = await TestHosts.StartNodeWithPeerAsync(infoHash, 51413);
        string directory = Directory.CreateTempSubdirectory("mainline-dht-status-page-").FullName;
        await using (holder)
        await using (announcer)
        {
            try
            {
                using SampleProcess hosted = SampleProcess.Start("HostedNodeDll",
                    "--duration", "120",
                    "--MainlineDht:BindAddress=127.0.0.19",
                    "--MainlineDht:Port=0",
                    $"--MainlineDht:BootstrapNodes:0={holder.HostPort()}",
                    $"--MainlineDht:StateFile={Path.Combine(directory, "dht-state.json")}",
                    "--Urls=http://127.0.0.19:0");
                await hosted.WaitForOutputAsync("Now listening on: ", ProcessTimeout);
                Uri page = new(ListeningOn().Match(hosted.Output).Groups["url"].Value + "/");
                Assert.That(page.Host, Is.EqualTo("127.0.0.19"), "the page is served on loopback");

                using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = page, Timeout = TimeSpan.FromSeconds(30) };
                JsonElement status = await WaitForJoinedAsync(client);
                string id = status.GetProperty("id").GetString()!;

                // The health check at /health: two nodes known, fewer than the 8 good ones Ready needs.
                using (HttpResponseMessage health = await client.GetAsync("/health"))
                {
                    Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Degraded still answers 200");
                    Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Degraded"));
                }

                // A lookup through the page's form, with the antiforgery token the page gave.
                string form = await client.GetStringAsync("/");
                string token = FormToken().Match(form).Groups["token"].Value;
                Assert.That(token, Is.Not.Empty, "the form carries an antiforgery token");
                using HttpResponseMessage posted = await client.PostAsync("/lookups", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["infohash"] = infoHash.ToString(),
                    ["__RequestVerificationToken"] = token,
                }));
                Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the lookup ran and the page came back");
                using (var forged = new HttpClient { BaseAddress = page })
                using (HttpResponseMessage refused = await forged.PostAsync("/lookups", new FormUrlEncodedContent(new Dictionary<string, string> { ["infohash"] = infoHash.ToString() })))
                {
                    Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a post without the page's token is refused");
                }

                string dom = (await RunChromiumAsync(chromium, directory, "--dump-dom", page.ToString())).Stdout;
                string screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "hosted-node-status-page.png");
                File.Delete(screenshot);
                await RunChromiumAsync(chromium, directory, $"--screenshot={screenshot}", "--window-size=1100,900", "--hide-scrollbars", page.ToString());
                TestContext.AddTestAttachment(screenshot, "the HostedNode status page in headless Chromium");

                Assert.Multiple(() =>
                {
                    Assert.That(dom, Does.Contain($"{id} on 127.0.0.19:"), "the node's id and address");
                    Assert.That(Section(dom, "health"), Does.Contain("Health").And.Contain(">joined<").And.Contain("live nodes in the routing table"));
                    Assert.That(Section(dom, "routing"), Does.Contain("Routing table by bucket: ").And.Contain("class=\"bar\""));
                    Assert.That(Section(dom, "counters"), Does.Contain("queries sent").And.Contain("find_node"));
                    Assert.That(Section(dom, "lookups"), Does.Contain(infoHash.ToString()), "the lookup run from the form is listed");
                    Assert.That(RecentLookupPeers().Match(Section(dom, "lookups")).Groups["peers"].Value, Is.EqualTo("1"), "it found the announced peer");
                });

                byte[] png = await File.ReadAllBytesAsync(screenshot);
                Assert.That(png.AsSpan(0, 8).ToArray(), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a }), "a PNG");
                Assert.That((BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))), Is.EqualTo((1100, 900)), "its IHDR: the window size");
                Assert.That(png, Has.Length.GreaterThan(10_000), "more than a blank page");

                hosted.Terminate();
                Assert.That(await hosted.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, hosted.Errors);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Debian's chromium; the test command installs it (tests/install-interop-deps.sh), and a missing one fails the test.</summary>
    private static string Chromium()
    {
        string? found = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.That(found, Is.Not.Null, "chromium is not installed: run tests/install-interop-deps.sh (apt-get install chromium)");
        return found!;
    }

    private static async Task<JsonElement> WaitForJoinedAsync(HttpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using JsonDocument status = JsonDocument.Parse(await client.GetStringAsync("/status.json", timeout.Token));
            if (status.RootElement.GetProperty("joined").GetBoolean())
            {
                return status.RootElement.Clone();
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    /// <summary>Runs headless Chromium with nothing of the outside: no network service of its own, a new empty profile.</summary>
    private static async Task<(string Stdout, string Stderr)> RunChromiumAsync(string chromium, string directory, params string[] args)
    {
        string profile = Directory.CreateTempSubdirectory("chromium-profile-").FullName;
        try
        {
            var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", .. args])
            {
                start.ArgumentList.Add(arg);
            }

            start.WorkingDirectory = directory;
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium {string.Join(' ', args)} did not end within 90 s: {await stderr}");
            }

            Assert.That(process.ExitCode, Is.Zero, await stderr);
            return (await stdout, await stderr);
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    /// <summary>The HTML of the page's <c>&lt;section id="…"&gt;</c>.</summary>
    private static string Section(string dom, string id)
    {
        Match section = Regex.Match(dom, $"<section id=\"{id}\"[^>]*>(?<body>.*?)</section>", RegexOptions.Singleline);
        Assert.That(section.Success, Is.True, $"the page has a section '{id}'");
        return section.Groups["body"].Value;
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://[0-9.]+:\d+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex(@"<td class=""mono"">[0-9a-f]{40}</td><td class=""n"">(?<peers>\d+)</td>")]
    private static partial Regex RecentLookupPeers();
}
