/*
 * The runtime's diagnostics server: the Unix socket every .NET process
 * listens on ($TMPDIR/dotnet-diagnostic-<pid>-<key>-socket, pid and TMPDIR
 * as the process sees them) and its request/reply protocol (a 20-byte
 * header "DOTNET_IPC_V1\0", size, command set, command id, reserved; then a
 * payload). One request per connection, except EventPipe's CollectTracing,
 * whose connection then carries the session's nettrace stream.
 *
 * Endpoints are found for this machine's processes and for processes in
 * other containers whose files /proc/<pid>/root reaches. A socket path too
 * long for sockaddr_un is reached through a descriptor of its directory.
 * Every read from a peer has a deadline; a reply is parsed by
 * clrsos_ipc_parse_reply(), which trusts no size it is given.
 */
#ifndef CLRSOS_IPC_H
#define CLRSOS_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* One process's diagnostics socket. */
struct clrsos_ipc_endpoint {
	int pid;       /* as this tool sees it (the host's pid namespace) */
	int ns_pid;    /* as the process sees itself (NSpid's last entry) */
	char *path;    /* the socket as this tool reaches it */
};

void clrsos_ipc_endpoint_deinit(struct clrsos_ipc_endpoint *endpoint);

/*
 * The endpoint of one process. CLRSOS_ERROR_NO_TARGET with a message that
 * says why: no such process, not a .NET process (or diagnostics disabled:
 * DOTNET_EnableDiagnostics=0), another user's process.
 */
struct clrsos_error *clrsos_ipc_endpoint_find(int pid, struct clrsos_ipc_endpoint *endpoint);

/* Every process with a diagnostics socket this user can connect to, by pid; *count endpoints the caller deinits and frees. */
struct clrsos_error *clrsos_ipc_endpoint_list(struct clrsos_ipc_endpoint **endpoints, size_t *count);

/* Connect; the returned descriptor is the caller's to close. */
struct clrsos_error *clrsos_ipc_connect(const struct clrsos_ipc_endpoint *endpoint, int *fd);

enum {
	CLRSOS_IPC_SET_DUMP = 0x01,
	CLRSOS_IPC_SET_EVENTPIPE = 0x02,
	CLRSOS_IPC_SET_PROFILER = 0x03,
	CLRSOS_IPC_SET_PROCESS = 0x04,
	CLRSOS_IPC_SET_SERVER = 0xFF,
};

/* A reply: its header's command set and id, and its payload (owned). */
struct clrsos_ipc_reply {
	uint8_t command_set;
	uint8_t command_id; /* SET_SERVER: 0x00 OK, 0xFF error (payload: uint32 HRESULT) */
	uint8_t *payload;
	size_t size;
};

void clrsos_ipc_reply_deinit(struct clrsos_ipc_reply *reply);

/* Parse one whole reply message (header and payload) from buf; pure, for the fuzzer. */
struct clrsos_error *clrsos_ipc_parse_reply(const uint8_t *buf, size_t n, struct clrsos_ipc_reply *reply);

/*
 * Send one request on fd and read its reply, each read bounded by
 * timeout_ms. An error reply (SET_SERVER, 0xFF) is returned as a reply, not
 * an error: the caller knows what its HRESULT means for its command.
 */
struct clrsos_error *clrsos_ipc_request(int fd, uint8_t command_set, uint8_t command_id,
					const void *payload, size_t size, int timeout_ms,
					struct clrsos_ipc_reply *reply);

/* What ProcessInfo (or ProcessInfo2/3, where the runtime has them) says. */
struct clrsos_process_info {
	uint64_t pid;
	uint8_t runtime_cookie[16];
	char *command_line;     /* UTF-8 */
	char *os;
	char *arch;
	char *assembly;         /* managed entry point assembly name; NULL before ProcessInfo2 */
	char *runtime_version;  /* "10.0.1"; NULL before ProcessInfo2 */
};

struct clrsos_error *clrsos_ipc_process_info(const struct clrsos_ipc_endpoint *endpoint, struct clrsos_process_info *info);
void clrsos_process_info_deinit(struct clrsos_process_info *info);

/* Dump types, as the runtime numbers them. */
enum clrsos_dump_type {
	CLRSOS_DUMP_MINI = 1,
	CLRSOS_DUMP_HEAP = 2,
	CLRSOS_DUMP_TRIAGE = 3,
	CLRSOS_DUMP_FULL = 4,
};

/*
 * Ask the runtime to write a dump at path (absolute, as the target sees
 * it) with its own createdump; returns when the runtime has answered. The
 * runtime's error message, where it gives one, is in the error.
 */
struct clrsos_error *clrsos_ipc_dump(const struct clrsos_ipc_endpoint *endpoint, const char *path,
				     enum clrsos_dump_type type, int diagnostics);

#endif
