/* The load benchmark's query generator: keeps a window of KRPC queries in flight toward one
   target, spread round-robin over many source sockets (one per loopback address), matches the
   replies by transaction id and reports answered queries per second and latency.

   Usage: generator <target-ip> <port> <kind> <warmup-s> <seconds> <window> <sources> <first-source-ip> <echo:0|1> [answer:0|1] [info-hash-hex]
   kind: ping | find_node | get_peers (info_hash given, or a fixed one).
   A reply counts when its transaction id is in flight and it is a response (y = r); with echo = 1
   the echoed query itself counts. With answer = 1 (the default) a source answers the target's
   `ping` as a DHT node would (its own id, the transaction id echoed), so the target can verify it;
   with answer = 0 the sources never answer, as spoofed ones would not. Other queries a node sends
   to the sources are ignored. A query not
   answered within 100 ms is counted lost. Everything is loopback: the target and the sources must
   be in 127.0.0.0/8.
   Prints one line: answered lost send_errors seconds per_second p50_us p99_us pings_answered */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING 65536
#define TIMEOUT_NS 100000000LL
#define MAX_US 1000000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int is_loopback(struct in_addr a) { return (ntohl(a.s_addr) >> 24) == 127; }

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const unsigned char *find(const unsigned char *h, size_t n, const char *needle)
{
    return memmem(h, n, needle, strlen(needle));
}

int main(int argc, char **argv)
{
    if (argc < 10) {
        fprintf(stderr, "usage: generator <target-ip> <port> <kind> <warmup-s> <seconds> <window> <sources> <first-source-ip> <echo> [info-hash-hex]\n");
        return 2;
    }
    struct sockaddr_in target = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    struct in_addr first;
    if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1 || !is_loopback(target.sin_addr)
        || inet_pton(AF_INET, argv[8], &first) != 1 || !is_loopback(first)) {
        fprintf(stderr, "generator: loopback addresses only (127.0.0.0/8)\n");
        return 2;
    }
    const char *kind = argv[3];
    double warmup = atof(argv[4]), seconds = atof(argv[5]);
    int window = atoi(argv[6]), sources = atoi(argv[7]), echo = atoi(argv[9]);
    int answer = argc > 10 ? atoi(argv[10]) : 1;
    if (window < 1 || window > RING / 4 || sources < 1 || sources > 60000) {
        fprintf(stderr, "generator: window 1..%d, sources 1..60000\n", RING / 4);
        return 2;
    }

    unsigned char infoHash[20];
    memcpy(infoHash, "mnopqrstuvwxyz123456", 20);
    if (argc > 11) {
        for (int i = 0; i < 20; i++) {
            unsigned v;
            if (sscanf(argv[11] + 2 * i, "%2x", &v) != 1) { fprintf(stderr, "generator: bad info-hash\n"); return 2; }
            infoHash[i] = (unsigned char)v;
        }
    }

    /* One query template per source (its own node id), and where its transaction id goes. */
    int *fds = calloc((size_t)sources, sizeof *fds);
    unsigned char (*queries)[160] = calloc((size_t)sources, 160);
    int length = 0, tOffset = 0;
    uint64_t seed = 17;
    int ep = epoll_create1(0);
    for (int i = 0; i < sources; i++) {
        unsigned char id[20];
        for (int b = 0; b < 20; b += 4) { uint64_t r = splitmix(&seed); memcpy(id + b, &r, 4); }
        unsigned char *q = queries[i];
        int n = 0;
        n += sprintf((char *)q + n, "d1:ad2:id20:");
        memcpy(q + n, id, 20); n += 20;
        const char *method;
        if (strcmp(kind, "ping") == 0) {
            method = "4:ping";
        } else if (strcmp(kind, "find_node") == 0) {
            n += sprintf((char *)q + n, "6:target20:"); memcpy(q + n, infoHash, 20); n += 20;
            method = "9:find_node";
        } else if (strcmp(kind, "get_peers") == 0) {
            n += sprintf((char *)q + n, "9:info_hash20:"); memcpy(q + n, infoHash, 20); n += 20;
            method = "9:get_peers";
        } else {
            fprintf(stderr, "generator: unknown kind %s\n", kind);
            return 2;
        }
        n += sprintf((char *)q + n, "e1:q%s1:t2:", method);
        tOffset = n;
        n += sprintf((char *)q + n, "xx1:y1:qe");
        length = n;

        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)i) };
        if (fd < 0 || !is_loopback(local.sin_addr) || bind(fd, (struct sockaddr *)&local, sizeof local) != 0
            || connect(fd, (struct sockaddr *)&target, sizeof target) != 0) {
            perror("generator: socket");
            return 1;
        }
        fds[i] = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }

    int64_t *sentAt = calloc(RING, sizeof *sentAt);
    unsigned char *inFlight = calloc(RING, 1);
    uint32_t *histogram = calloc(MAX_US + 1, sizeof *histogram);
    uint64_t next = 0, tail = 0;
    long outstanding = 0, answered = 0, lost = 0, sendErrors = 0, pingsAnswered = 0;
    unsigned char pong[128];
    int64_t start = now_ns(), measureFrom = start + (int64_t)(warmup * 1e9), end = measureFrom + (int64_t)(seconds * 1e9);
    int measuring = warmup <= 0;
    struct epoll_event events[512];
    unsigned char buffer[2048];
    for (;;) {
        int64_t now = now_ns();
        if (!measuring && now >= measureFrom) {
            measuring = 1;
            answered = lost = sendErrors = 0;
            memset(histogram, 0, (MAX_US + 1) * sizeof *histogram);
        }
        if (now >= end) break;

        /* Forget what waited too long: lost. */
        while (tail < next) {
            uint32_t t = (uint32_t)(tail & (RING - 1));
            if (inFlight[t]) {
                if (now - sentAt[t] < TIMEOUT_NS) break;
                inFlight[t] = 0; outstanding--; lost++;
            }
            tail++;
        }

        while (outstanding < window && next - tail < RING) {
            uint32_t t = (uint32_t)(next & (RING - 1));
            int source = (int)(next % (uint64_t)sources);
            unsigned char *q = queries[source];
            q[tOffset] = (unsigned char)(t >> 8);
            q[tOffset + 1] = (unsigned char)t;
            sentAt[t] = now_ns();
            if (send(fds[source], q, (size_t)length, MSG_DONTWAIT) < 0) {
                sendErrors++;
                break;
            }
            inFlight[t] = 1;
            outstanding++;
            next++;
        }

        int ready = epoll_wait(ep, events, 512, 1);
        for (int e = 0; e < ready; e++) {
            ssize_t n = recv(fds[events[e].data.u32], buffer, sizeof buffer, MSG_DONTWAIT);
            if (n <= 0) continue;
            if (answer && !echo && find(buffer, (size_t)n, "1:y1:q") && find(buffer, (size_t)n, "1:q4:ping")) {
                /* The target pings this source: answer with the source's id and the query's transaction id. */
                const unsigned char *tid = find(buffer, (size_t)n, "1:t");
                if (!tid || tid + 4 > buffer + n) continue;
                const unsigned char *p = tid + 3;
                int tl = 0;
                while (p < buffer + n && *p >= '0' && *p <= '9' && tl < 100) tl = tl * 10 + (*p++ - '0');
                if (p >= buffer + n || *p != ':' || tl < 1 || tl > 16 || p + 1 + tl > buffer + n) continue;
                int m = sprintf((char *)pong, "d1:rd2:id20:");
                memcpy(pong + m, queries[events[e].data.u32] + 12, 20); m += 20;
                m += sprintf((char *)pong + m, "e1:t%d:", tl);
                memcpy(pong + m, p + 1, (size_t)tl); m += tl;
                m += sprintf((char *)pong + m, "1:y1:re");
                if (send(fds[events[e].data.u32], pong, (size_t)m, MSG_DONTWAIT) == m) pingsAnswered++;
                continue;
            }
            if (!echo && !find(buffer, (size_t)n, "1:y1:r")) continue; /* a query or an error: not an answer */
            const unsigned char *at = find(buffer, (size_t)n, "1:t2:");
            if (!at || at + 7 > buffer + n) continue;
            uint32_t t = ((uint32_t)at[5] << 8) | at[6];
            if (!inFlight[t]) continue;
            inFlight[t] = 0;
            outstanding--;
            answered++;
            int64_t us = (now_ns() - sentAt[t]) / 1000;
            histogram[us > MAX_US ? MAX_US : us]++;
        }
    }

    double elapsed = seconds;
    long total = 0, p50 = 0, p99 = 0;
    for (int i = 0; i <= MAX_US; i++) total += histogram[i];
    long seen = 0;
    for (int i = 0; i <= MAX_US; i++) {
        seen += histogram[i];
        if (!p50 && seen * 2 >= total && total) p50 = i ? i : 1;
        if (seen * 100 >= total * 99 && total) { p99 = i; break; }
    }
    printf("%ld %ld %ld %.3f %.0f %ld %ld %ld\n", answered, lost, sendErrors, elapsed, answered / elapsed, p50, p99, pingsAnswered);
    return 0;
}
