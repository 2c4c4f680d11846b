/*
 * raw_floor: the protocol floor of one collection cycle (issue 7, point 1), for Benchmarks/cycle.py.
 *
 * Sends pre-encoded RESP command batches, pipelined, to every node at once from one thread (non-blocking sockets and
 * poll), and reads until each node's reply stream ends with the reply to a trailing `ECHO <sentinel>`: nothing is
 * parsed, nothing is allocated per cycle. That is the least any client can do to get the same answers, so the
 * exporter's cycle time is compared with it.
 *
 *   raw_floor ITERATIONS [--period-ms MS] [--discovery PORT FILE] PORT FILE [PORT FILE ...]
 *
 * Each FILE holds the RESP bytes of one node's batch, ECHO sentinel included (cycle.py writes them from what the
 * exporter sent, as seen by MONITOR). With --discovery, that batch goes first, alone, on its own connection, and the
 * node batches follow once its answer is in: the exporter's two phases (discover the topology, then collect every
 * node). Without it, all batches go at once: the one-phase floor. Connections are opened and switched to RESP3
 * (HELLO 3, as the exporter does) before timing starts, and kept, as the exporter keeps its connections.
 * With --period-ms, iteration k starts k * MS after the first (absolute sleeps), as the exporter's cycles start an
 * interval apart: between rounds every server and this client go idle, so each round pays the wake-ups an
 * exporter's cycle pays. Without it, rounds run back to back and every one after the first finds the servers
 * already awake and their caches warm.
 * Prints one line per iteration: "<microseconds> <reply bytes>". Loopback only: the host is always 127.0.0.1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_NODES 64
#define SENTINEL "raw-floor-end-7f3a9c"

typedef struct {
    int fd;
    char *batch;
    size_t batch_len;
    char tail[64];      /* the last bytes received, to spot the sentinel reply */
    size_t tail_len;
    int done;
    size_t received;
} node_t;

static const char sentinel_reply[] = "$" "20" "\r\n" SENTINEL "\r\n";

static void die(const char *what) {
    perror(what);
    exit(2);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die("read");
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, 1000);
                continue;
            }
            die("write");
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Sends every batch, then reads all connections until each stream ends with the sentinel reply. */
static size_t round_trip(node_t **nodes, int count) {
    static char buf[1 << 16];
    struct pollfd fds[MAX_NODES];
    for (int i = 0; i < count; i++) {
        nodes[i]->done = 0;
        nodes[i]->tail_len = 0;
        nodes[i]->received = 0;
        write_all(nodes[i]->fd, nodes[i]->batch, nodes[i]->batch_len);
    }
    int remaining = count;
    size_t total = 0;
    const size_t want = sizeof sentinel_reply - 1;
    while (remaining > 0) {
        int n = 0;
        node_t *which[MAX_NODES];
        for (int i = 0; i < count; i++)
            if (!nodes[i]->done) {
                fds[n] = (struct pollfd){.fd = nodes[i]->fd, .events = POLLIN};
                which[n++] = nodes[i];
            }
        if (poll(fds, (nfds_t)n, 10000) <= 0) {
            fprintf(stderr, "raw_floor: no reply within 10 s\n");
            exit(3);
        }
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            node_t *node = which[i];
            for (;;) {
                ssize_t got = read(node->fd, buf, sizeof buf);
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
                if (got <= 0) {
                    fprintf(stderr, "raw_floor: connection closed\n");
                    exit(3);
                }
                node->received += (size_t)got;
                total += (size_t)got;
                /* Keep the last `want` bytes of the stream in tail. */
                if ((size_t)got >= want) {
                    memcpy(node->tail, buf + got - want, want);
                    node->tail_len = want;
                } else {
                    size_t room = want - (size_t)got;
                    size_t keep = node->tail_len < room ? node->tail_len : room;
                    memmove(node->tail, node->tail + node->tail_len - keep, keep);
                    memcpy(node->tail + keep, buf, (size_t)got);
                    node->tail_len = keep + (size_t)got;
                }
            }
            if (node->tail_len == want && memcmp(node->tail, sentinel_reply, want) == 0) {
                node->done = 1;
                remaining--;
            }
        }
    }
    return total;
}

static void hello(node_t *node) {
    static char batch[] = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$4\r\nECHO\r\n$20\r\n" SENTINEL "\r\n";
    node_t greet = {.fd = node->fd, .batch = batch, .batch_len = sizeof batch - 1};
    node_t *one = &greet;
    round_trip(&one, 1);
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: raw_floor ITERATIONS [--period-ms MS] [--discovery PORT FILE] PORT FILE [PORT FILE ...]\n");
        return 64;
    }
    int iterations = atoi(argv[1]);
    int arg = 2;
    long period_ms = 0;
    if (strcmp(argv[arg], "--period-ms") == 0) {
        period_ms = atol(argv[arg + 1]);
        if (period_ms <= 0) {
            fprintf(stderr, "raw_floor: --period-ms must be a positive number of milliseconds\n");
            return 64;
        }
        arg += 2;
    }
    node_t discovery = {0}, nodes[MAX_NODES];
    node_t *node_ptrs[MAX_NODES], *discovery_ptr = NULL;
    if (strcmp(argv[arg], "--discovery") == 0) {
        discovery.fd = connect_loopback(atoi(argv[arg + 1]));
        discovery.batch = read_file(argv[arg + 2], &discovery.batch_len);
        hello(&discovery);
        discovery_ptr = &discovery;
        arg += 3;
    }
    int count = 0;
    for (; arg + 1 < argc && count < MAX_NODES; arg += 2, count++) {
        nodes[count] = (node_t){.fd = connect_loopback(atoi(argv[arg]))};
        nodes[count].batch = read_file(argv[arg + 1], &nodes[count].batch_len);
        hello(&nodes[count]);
        node_ptrs[count] = &nodes[count];
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < iterations; i++) {
        if (period_ms > 0 && i > 0) {
            long long at_ns = (long long)start.tv_nsec + (long long)i * period_ms * 1000000LL;
            struct timespec at = {.tv_sec = start.tv_sec + (time_t)(at_ns / 1000000000LL),
                                  .tv_nsec = (long)(at_ns % 1000000000LL)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {}
        }
        double t0 = now_us();
        size_t bytes = 0;
        if (discovery_ptr) bytes += round_trip(&discovery_ptr, 1);
        bytes += round_trip(node_ptrs, count);
        printf("%.0f %zu\n", now_us() - t0, bytes);
    }
    return 0;
}
