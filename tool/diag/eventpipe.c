/*
 * EventPipe sessions over the diagnostics socket. See eventpipe.h.
 *
 * Every running session also has a slot in a fixed table, written before
 * the session is handed out and cleared when it is stopped, from which
 * clrsos_eventpipe_stop_all() sends StopTracing with nothing but
 * async-signal-safe calls: socket, connect, send, poll, recv, close.
 */
#include "diag/eventpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "diag/nettrace.h"

enum {
	EP_STOP_TRACING = 0x01,
	EP_COLLECT_TRACING = 0x02,
	EP_COLLECT_TRACING2 = 0x03,
	EP_COLLECT_TRACING3 = 0x04,
	EP_FORMAT_NETTRACE = 1,
	EP_SLOTS = 16,
	EP_START_TIMEOUT_MS = 10000,
	EP_DRAIN_TIMEOUT_MS = 10000,
};

struct clrsos_eventpipe_session {
	struct clrsos_ipc_endpoint endpoint; /* a copy: path owned */
	int fd;
	uint64_t id;
	int stopped;
	int eof;
	int slot;
	int dir_fd; /* O_PATH of the socket's directory when its path is too long for sun_path; -1 */
};

/* The table stop_all reads: used is set last when filling, cleared first when emptying. */
static struct {
	volatile sig_atomic_t used;
	struct sockaddr_un addr;
	uint64_t id;
} slots[EP_SLOTS];

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* StopTracing's whole message for id: header (28 bytes, 0x0201) and the id. */
static void stop_message(uint8_t msg[28], uint64_t id)
{
	memcpy(msg, "DOTNET_IPC_V1", 14);
	msg[14] = 28;
	msg[15] = 0;
	msg[16] = CLRSOS_IPC_SET_EVENTPIPE;
	msg[17] = EP_STOP_TRACING;
	msg[18] = msg[19] = 0;
	put_le64(msg + 20, id);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Async-signal-safe: connect to addr, send StopTracing(id), wait up to timeout_ms for the reply. */
static void send_stop_raw(const struct sockaddr_un *addr, uint64_t id, int timeout_ms)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (connect(s, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
		uint8_t msg[28];
		stop_message(msg, id);
		if (send(s, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg)) {
			struct pollfd p = { .fd = s, .events = POLLIN };
			uint8_t reply[64];
			if (poll(&p, 1, timeout_ms) > 0)
				(void)!recv(s, reply, sizeof(reply), MSG_DONTWAIT);
		}
	}
	close(s);
}

void clrsos_eventpipe_stop_all(void)
{
	int saved = errno;
	for (int i = 0; i < EP_SLOTS; i++) {
		if (!slots[i].used)
			continue;
		slots[i].used = 0;
		send_stop_raw(&slots[i].addr, slots[i].id, 1000);
	}
	errno = saved;
}

/* Address of the endpoint's socket; a too-long path through an O_PATH descriptor of its directory (*dir_fd, kept open). */
static struct clrsos_error *socket_address(const char *path, struct sockaddr_un *addr, int *dir_fd)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	*dir_fd = -1;
	size_t len = strlen(path);
	if (len < sizeof(addr->sun_path)) {
		memcpy(addr->sun_path, path, len + 1);
		return NULL;
	}
	const char *slash = strrchr(path, '/');
	if (!slash)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "socket path too long: %s", path);
	char *dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return &clrsos_error_no_memory;
	*dir_fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int e = errno;
	free(dir);
	if (*dir_fd < 0)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "cannot open the directory of %s: %s", path, strerror(e));
	int n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dir_fd, slash + 1);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path)) {
		close(*dir_fd);
		*dir_fd = -1;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "socket name too long: %s", path);
	}
	return NULL;
}

static struct clrsos_error *build_payload(int version, const struct clrsos_eventpipe_provider *providers, size_t count,
					  uint32_t buffer_mb, uint8_t *buf, size_t cap, size_t *n)
{
	*n = 0;
	int bad = clrsos_ipc_put_u32(buf, cap, n, buffer_mb) || clrsos_ipc_put_u32(buf, cap, n, EP_FORMAT_NETTRACE);
	if (version >= 2)
		bad = bad || clrsos_ipc_put_u8(buf, cap, n, 0); /* requestRundown: no, counters need none */
	if (version >= 3)
		bad = bad || clrsos_ipc_put_u8(buf, cap, n, 0); /* requestStackwalk: no */
	bad = bad || clrsos_ipc_put_u32(buf, cap, n, (uint32_t)count);
	for (size_t i = 0; i < count && !bad; i++)
		bad = clrsos_ipc_put_u64(buf, cap, n, providers[i].keywords) ||
		      clrsos_ipc_put_u32(buf, cap, n, providers[i].level) ||
		      clrsos_ipc_put_string(buf, cap, n, providers[i].name) ||
		      clrsos_ipc_put_string(buf, cap, n, providers[i].arguments && *providers[i].arguments ?
							     providers[i].arguments : NULL);
	if (bad)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "the providers do not fit in one diagnostics message (64 KiB)");
	return NULL;
}

struct clrsos_error *clrsos_eventpipe_start(const struct clrsos_ipc_endpoint *endpoint,
					    const struct clrsos_eventpipe_provider *providers, size_t count,
					    uint32_t buffer_mb, struct clrsos_eventpipe_session **session)
{
	*session = NULL;
	if (!count)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "an EventPipe session needs at least one provider");
	for (size_t i = 0; i < count; i++)
		if (!providers[i].name || !*providers[i].name || providers[i].level > 5)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "provider %zu: no name, or a level above 5", i);
	if (buffer_mb == 0)
		buffer_mb = 256;
	int slot = -1;
	for (int i = 0; i < EP_SLOTS; i++)
		if (!slots[i].used) {
			slot = i;
			break;
		}
	if (slot < 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "too many EventPipe sessions at once (%d)", EP_SLOTS);

	struct clrsos_eventpipe_session *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	s->fd = -1;
	s->dir_fd = -1;
	s->slot = -1;
	s->endpoint = *endpoint;
	s->endpoint.path = strdup(endpoint->path);
	uint8_t *buf = malloc(0xffff);
	if (!s->endpoint.path || !buf) {
		free(buf);
		free(s->endpoint.path);
		free(s);
		return &clrsos_error_no_memory;
	}

	/* CollectTracing3 (no rundown, no stacks: .NET 8+), then 2 (no rundown), then 1. */
	static const struct { uint8_t id; int version; } tries[] = {
		{ EP_COLLECT_TRACING3, 3 }, { EP_COLLECT_TRACING2, 2 }, { EP_COLLECT_TRACING, 1 } };
	struct clrsos_error *err = NULL;
	for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
		size_t n;
		if ((err = build_payload(tries[t].version, providers, count, buffer_mb, buf, 0xffff - 20, &n)))
			break;
		int fd;
		if ((err = clrsos_ipc_connect(endpoint, &fd)))
			break;
		struct clrsos_ipc_reply reply;
		err = clrsos_ipc_request(fd, CLRSOS_IPC_SET_EVENTPIPE, tries[t].id, buf, n, EP_START_TIMEOUT_MS, &reply);
		if (err) {
			close(fd);
			err = clrsos_error_wrap(err, "process %d: starting an EventPipe session", endpoint->pid);
			break;
		}
		uint32_t hr;
		if (clrsos_ipc_reply_is_error(&reply, &hr)) {
			clrsos_ipc_reply_deinit(&reply);
			close(fd);
			if (hr == CLRSOS_IPC_E_UNKNOWN_COMMAND && t + 1 < sizeof(tries) / sizeof(tries[0]))
				continue;
			err = clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the runtime refused the EventPipe session: 0x%08x, %s",
						  endpoint->pid, hr, clrsos_ipc_hresult_text(hr));
			break;
		}
		if (reply.command_set != CLRSOS_IPC_SET_SERVER || reply.command_id != 0x00 || reply.size < 8) {
			clrsos_ipc_reply_deinit(&reply);
			close(fd);
			err = clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the runtime answered CollectTracing without a session id",
						  endpoint->pid);
			break;
		}
		uint64_t id = 0;
		for (int i = 7; i >= 0; i--)
			id = id << 8 | reply.payload[i];
		clrsos_ipc_reply_deinit(&reply);
		s->fd = fd;
		s->id = id;
		break;
	}
	free(buf);
	if (!err && (err = socket_address(s->endpoint.path, &slots[slot].addr, &s->dir_fd))) {
		/* Cannot register it for signals: stop it now rather than risk an orphan. */
		close(s->fd);
		s->fd = -1;
	}
	if (err) {
		if (s->fd >= 0)
			close(s->fd);
		free(s->endpoint.path);
		free(s);
		return err;
	}
	slots[slot].id = s->id;
	slots[slot].used = 1;
	s->slot = slot;
	*session = s;
	return NULL;
}

int clrsos_eventpipe_fd(const struct clrsos_eventpipe_session *session)
{
	return session->fd;
}

uint64_t clrsos_eventpipe_id(const struct clrsos_eventpipe_session *session)
{
	return session->id;
}

/* Read what there is now into reader (NULL: discard); *eof at the stream's end. */
static struct clrsos_error *read_some(struct clrsos_eventpipe_session *session, struct clrsos_nettrace_reader *reader,
				      int *eof, size_t *got)
{
	uint8_t buf[65536];
	*got = 0;
	for (;;) {
		ssize_t r = recv(session->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			*got += (size_t)r;
			if (reader) {
				struct clrsos_error *err = clrsos_nettrace_feed(reader, buf, (size_t)r);
				if (err)
					return err;
			}
			if (*got >= (1u << 20))
				return NULL; /* enough for one call: let the caller breathe */
			continue;
		}
		if (r == 0) {
			session->eof = 1;
			*eof = 1;
			return NULL;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return NULL;
		if (errno == ECONNRESET) {
			session->eof = 1;
			*eof = 1;
			return NULL;
		}
		return clrsos_error_create(CLRSOS_ERROR_IO, "reading the EventPipe stream of process %d: %s", session->endpoint.pid,
					   strerror(errno));
	}
}

struct clrsos_error *clrsos_eventpipe_pump(struct clrsos_eventpipe_session *session,
					   struct clrsos_nettrace_reader *reader, int timeout_ms, int *eof)
{
	*eof = session->eof;
	if (session->eof || session->fd < 0) {
		*eof = 1;
		return NULL;
	}
	struct pollfd p = { .fd = session->fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
	if (r < 0 && errno == EINTR)
		return NULL;
	if (r < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "poll: %s", strerror(errno));
	if (r == 0)
		return NULL;
	size_t got;
	return read_some(session, reader, eof, &got);
}

struct clrsos_error *clrsos_eventpipe_stop(struct clrsos_eventpipe_session *session)
{
	if (!session || session->stopped)
		return NULL;
	session->stopped = 1;
	if (session->slot >= 0) {
		slots[session->slot].used = 0;
		session->slot = -1;
	}
	if (session->eof)
		return NULL;

	struct clrsos_error *err = NULL;
	int fd;
	if ((err = clrsos_ipc_connect(&session->endpoint, &fd)))
		return clrsos_error_wrap(err, "stopping the EventPipe session");
	uint8_t msg[28];
	stop_message(msg, session->id);
	size_t sent = 0;
	long long deadline = now_ms() + EP_DRAIN_TIMEOUT_MS;
	uint8_t reply[64];
	size_t reply_got = 0;
	int replied = 0, eof = 0;
	/*
	 * Send StopTracing and wait for its reply while draining the stream: the
	 * runtime flushes the session into it and must not block on a full socket.
	 */
	while (!(replied && eof)) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			err = clrsos_error_create(CLRSOS_ERROR_IO,
						  "process %d did not %s within %d s of StopTracing", session->endpoint.pid,
						  replied ? "end its EventPipe stream" : "answer", EP_DRAIN_TIMEOUT_MS / 1000);
			break;
		}
		struct pollfd p[2] = {
			{ .fd = replied ? -1 : fd, .events = (short)(sent < sizeof(msg) ? POLLOUT : POLLIN) },
			{ .fd = eof ? -1 : session->fd, .events = POLLIN },
		};
		int r = poll(p, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = clrsos_error_create(CLRSOS_ERROR_IO, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents) {
			size_t got;
			if ((err = read_some(session, NULL, &eof, &got)))
				break;
		}
		if (!replied && p[0].revents) {
			if (sent < sizeof(msg)) {
				ssize_t w = send(fd, msg + sent, sizeof(msg) - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (w > 0)
					sent += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR) {
					err = clrsos_error_create(CLRSOS_ERROR_IO, "sending StopTracing: %s", strerror(errno));
					break;
				}
			} else {
				ssize_t g = recv(fd, reply + reply_got, sizeof(reply) - reply_got, MSG_DONTWAIT);
				if (g > 0) {
					reply_got += (size_t)g;
					if (reply_got >= 16) {
						size_t want = (size_t)reply[14] | (size_t)reply[15] << 8;
						if (want < 20 || want > sizeof(reply) || reply_got >= want)
							replied = 1;
					}
				} else if (g == 0) {
					replied = 1; /* closed: the runtime took it or the session was already gone */
				} else if (errno != EAGAIN && errno != EINTR) {
					replied = 1;
				}
			}
		}
	}
	close(fd);
	if (!err && reply_got >= 24 && reply[16] == CLRSOS_IPC_SET_SERVER && reply[17] == 0xff) {
		uint32_t hr = (uint32_t)reply[20] | (uint32_t)reply[21] << 8 | (uint32_t)reply[22] << 16 | (uint32_t)reply[23] << 24;
		err = clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: StopTracing failed: 0x%08x, %s", session->endpoint.pid, hr,
					  clrsos_ipc_hresult_text(hr));
	}
	return err;
}

void clrsos_eventpipe_destroy(struct clrsos_eventpipe_session *session)
{
	if (!session)
		return;
	clrsos_error_destroy(clrsos_eventpipe_stop(session));
	if (session->fd >= 0)
		close(session->fd);
	if (session->dir_fd >= 0)
		close(session->dir_fd);
	free(session->endpoint.path);
	free(session);
}
