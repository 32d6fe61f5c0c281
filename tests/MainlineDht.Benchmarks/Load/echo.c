/* A plain UDP echo for the load benchmark: one socket, one thread, recvfrom then sendto.
   Usage: echo <ipv4-address> <port>   (loopback only). Prints "ready" once bound. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: echo <address> <port>\n"); return 2; }
    struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1 || (ntohl(local.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "echo: %s is not a 127.0.0.0/8 address\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) { perror("echo: bind"); return 1; }
    printf("ready\n");
    fflush(stdout);
    char buffer[2048];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromLength = sizeof from;
        ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &fromLength);
        if (n < 0) continue;
        /* Only back to loopback: the echo never sends anywhere else. */
        if ((ntohl(from.sin_addr.s_addr) >> 24) != 127) continue;
        sendto(fd, buffer, (size_t)n, 0, (struct sockaddr *)&from, fromLength);
    }
}
