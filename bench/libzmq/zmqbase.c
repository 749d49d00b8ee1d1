// zmqbase: the libzmq baseline of `bbox bench --mode process`, kept out of
// the bbox binary's pure-Go build. bench embeds this file and compiles it
// with `cc -O2 zmqbase.c -lzmq` into a cache directory when zmq.h is
// present (apt-get install libzmq3-dev).
//
//   zmqbase pub RATE DURATION_NS SIZE BATCH   (RATE 0: as fast as it goes)
//     binds an XPUB on tcp://127.0.0.1:*, prints "endpoint EP", waits for
//     one subscription, then sends SIZE-byte records paced at RATE for
//     DURATION_NS, up to BATCH records (as many as are due) per message,
//     each carrying its scheduled send time (ns since the epoch,
//     little-endian) at byte 12 as bbox records carry source_ts; an empty
//     message ends the stream. Paced, it drops at the high-water mark (as a
//     live PUB does); at RATE 0 it waits there instead (ZMQ_XPUB_NODROP).
//     Prints {"records_published":N,"seconds":S}.
//   zmqbase sub EP WARMUP_NS SIZE OUT
//     subscribes to everything, reads the clock once per message, records
//     now - scheduled for each record into a log-linear histogram (2048
//     sub-buckets per power of two, finer than HdrHistogram's 3 digits),
//     the first WARMUP_NS of the schedule apart, until the end message, an
//     idle second after data, or SIGINT; writes "w VALUE COUNT" (warm-up)
//     and "m VALUE COUNT" lines to OUT and prints {"records_received":N}.
#include <zmq.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
	fprintf(stderr, "zmqbase: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

#define SUB_BITS 11
#define SUBS (1 << SUB_BITS)
#define EXPS 40
static uint64_t hist[2][EXPS * SUBS];

static void record(int warm, int64_t v) {
	if (v < 1) v = 1;
	uint64_t u = (uint64_t)v;
	int e = 63 - __builtin_clzll(u) - (SUB_BITS - 1);
	if (e < 0) e = 0;
	if (e >= EXPS) { e = EXPS - 1; u = ((uint64_t)SUBS << e) - 1; }
	hist[warm][e * SUBS + (u >> e)]++; // u >> e < SUBS: its top bit is bit SUB_BITS-1 (or lower for e == 0)
}

// value is the middle of bucket (e, k): the inverse of record.
static uint64_t value(int e, int k) {
	return ((uint64_t)k << e) + ((1ull << e) >> 1);
}

static int run_pub(double rate, int64_t dur, int size, int batch) {
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_XPUB);
	int hwm = 100000, linger = 5000;
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	if (rate <= 0) {
		// As fast as it goes means as fast as the subscriber takes it (as
		// bbox pub --slow block and TCP's flow control do): at the
		// high-water mark, wait instead of dropping. A paced run drops
		// there, as a live PUB does, and the loss is counted.
		int nodrop = 1;
		zmq_setsockopt(s, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
	}
	if (zmq_bind(s, "tcp://127.0.0.1:*") != 0) die("bind");
	char ep[256];
	size_t epl = sizeof ep;
	zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &epl);
	printf("endpoint %s\n", ep);
	fflush(stdout);
	char sub[256];
	if (zmq_recv(s, sub, sizeof sub, 0) < 0) {
			if (stop) return 0;
		die("waiting for a subscriber");
	}
	char *buf = calloc((size_t)batch, (size_t)size);
	for (int i = 0; i < batch; i++) memset(buf + (size_t)i * size + 20, 'A' + i % 26, (size_t)size - 20);
	int64_t start = now_ns(), end = start + dur, sent = 0;
	double ns_per = rate > 0 ? 1e9 / rate : 0;
	for (;;) {
		int64_t now = now_ns();
		if (now >= end || stop) break;
		int64_t due = batch;
		if (rate > 0) {
			due = (int64_t)((double)(now - start) * rate / 1e9) + 1 - sent;
			if (due <= 0) {
				int64_t next = start + (int64_t)((double)sent * ns_per);
				int64_t wait = next - now;
				if (wait < 50000) wait = 50000; // bbox's pacer floor (feed.minPaceSleep)
				struct timespec ts = {wait / 1000000000, wait % 1000000000};
				nanosleep(&ts, NULL);
				continue;
			}
		}
		while (due > 0) {
			int n = due < batch ? (int)due : batch;
			for (int i = 0; i < n; i++) {
				int64_t sched = rate > 0 ? start + (int64_t)((double)(sent + i) * ns_per) : now;
				memcpy(buf + (size_t)i * size + 12, &sched, 8);
			}
			while (zmq_send(s, buf, (size_t)n * size, rate <= 0 ? ZMQ_DONTWAIT : 0) < 0) {
				if (stop) break;
				if (zmq_errno() != EAGAIN) die("send");
				zmq_pollitem_t it = {s, 0, ZMQ_POLLOUT, 0};
				zmq_poll(&it, 1, 10);
			}
			if (stop) break;
			sent += n;
			due -= n;
		}
	}
	double secs = (double)(now_ns() - start) / 1e9;
	zmq_send(s, "", 0, 0);
	zmq_close(s);
	zmq_ctx_term(ctx);
	printf("{\"records_published\":%lld,\"seconds\":%.6f}\n", (long long)sent, secs);
	return 0;
}

static int run_sub(const char *ep, int64_t warmup, int size, const char *out) {
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_SUB);
	int hwm = 100000, tmo = 200;
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(s, ep) != 0) die("connect");
	zmq_msg_t m;
	zmq_msg_init(&m);
	int64_t got = 0, until = 0, last = 0, began = now_ns();
	for (;;) {
		int n = zmq_msg_recv(&m, s, 0);
		if (stop) break;
		if (n < 0) {
			if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) {
				int64_t t = now_ns();
				if (got > 0 && t - last > 1000000000) break; // the end message was dropped
				if (got == 0 && t - began > 30000000000) break; // no publisher
				continue;
			}
			die("recv");
		}
		int64_t now = now_ns();
		last = now;
		if (n == 0) break;
		const char *p = zmq_msg_data(&m);
		for (int off = 0; off + size <= n; off += size) {
			int64_t sched;
			memcpy(&sched, p + off + 12, 8);
			if (until == 0) until = sched + warmup;
			record(warmup > 0 && sched < until, now - sched);
			got++;
		}
	}
	FILE *f = fopen(out, "w");
	if (!f) { perror(out); return 1; }
	for (int w = 0; w < 2; w++)
		for (int e = 0; e < EXPS; e++)
			for (int k = 0; k < SUBS; k++) {
				uint64_t c = hist[w][e * SUBS + k];
				if (c) fprintf(f, "%c %llu %llu\n", w ? 'w' : 'm', (unsigned long long)value(e, k), (unsigned long long)c);
			}
	fclose(f);
	printf("{\"records_received\":%lld}\n", (long long)got);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
}

int main(int argc, char **argv) {
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (argc == 6 && strcmp(argv[1], "pub") == 0)
		return run_pub(atof(argv[2]), atoll(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 6 && strcmp(argv[1], "sub") == 0)
		return run_sub(argv[2], atoll(argv[3]), atoi(argv[4]), argv[5]);
	fprintf(stderr, "usage: zmqbase pub RATE DURATION_NS SIZE BATCH | zmqbase sub EP WARMUP_NS SIZE OUT\n");
	return 2;
}
