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
	int foreign_root; /* another root or mount namespace (a container): its files are /proc/<pid>/root/... from here */
};

/*
 * Where sockets are looked for: the process's $TMPDIR (from its environment,
 * default /tmp) under /proc/<pid>/root when its root is not ours. The
 * environment variable CLRSOS_IPC_SOCKET_DIR, when set, replaces that
 * directory for every process (tests put fake peers there).
 *
 * Deadlines: ProcessInfo and other quick commands CLRSOS_IPC_TIMEOUT_MS
 * for each read; a dump, which the runtime answers only when createdump is
 * done, CLRSOS_IPC_DUMP_TIMEOUT_MS.
 */
enum {
	CLRSOS_IPC_TIMEOUT_MS = 5000,
	CLRSOS_IPC_DUMP_TIMEOUT_MS = 30 * 60 * 1000,
};

/* HRESULTs the diagnostics server answers with (a SET_SERVER/0xFF reply's payload). */
enum {
	CLRSOS_IPC_E_BAD_ENCODING = 0x80131384u,
	CLRSOS_IPC_E_UNKNOWN_COMMAND = 0x80131385u,
	CLRSOS_IPC_E_UNKNOWN_MAGIC = 0x80131386u,
	CLRSOS_IPC_E_NOTSUPPORTED = 0x80131515u,
	CLRSOS_IPC_E_FAIL = 0x80004005u,
	CLRSOS_IPC_E_NOT_YET_AVAILABLE = 0x8013135bu,
	CLRSOS_IPC_E_RUNTIME_UNINITIALIZED = 0x80131371u,
	CLRSOS_IPC_E_INVALIDARG = 0x80070057u,
};

/* What an HRESULT means, for messages ("unknown command"); never NULL. */
const char *clrsos_ipc_hresult_text(uint32_t hresult);

void clrsos_ipc_endpoint_deinit(struct clrsos_ipc_endpoint *endpoint);

/* A process's resident memory as the kernel counts it (VmRSS in /proc/<pid>/status), in bytes; 0: unknown. */
unsigned long long clrsos_proc_resident_bytes(int pid);

/*
 * The endpoint of one process. CLRSOS_ERROR_NO_TARGET with a message that
 * says why: no such process, not a .NET process (or diagnostics disabled:
 * DOTNET_EnableDiagnostics=0), another user's process.
 */
struct clrsos_error *clrsos_ipc_endpoint_find(int pid, struct clrsos_ipc_endpoint *endpoint);

/* Every process with a diagnostics socket this user may connect to (in /proc's order); *count endpoints the caller deinits and frees. */
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

/* Whether reply is an error reply; *hresult is its HRESULT (0 when the payload has none). */
int clrsos_ipc_reply_is_error(const struct clrsos_ipc_reply *reply, uint32_t *hresult);

/*
 * A string of a payload at *offset (uint32 length in UTF-16 units with
 * the NUL, 0 for none; then the units, little-endian): *ret is NULL for
 * length 0, else a malloc'd UTF-8 copy (lone surrogates as U+FFFD). Moves
 * *offset past it. Pure, for the fuzzer.
 */
struct clrsos_error *clrsos_ipc_read_string(const uint8_t *payload, size_t size, size_t *offset, char **ret);

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

/*
 * Request payloads are written with these into buf (cap bytes) at *n,
 * little-endian; a string as uint32 length in UTF-16 units with the NUL
 * (0 for NULL) and the UTF-16LE units (invalid UTF-8 as U+FFFD). -1 when
 * it does not fit (nothing is promised of buf then), else 0.
 */
int clrsos_ipc_put_u8(uint8_t *buf, size_t cap, size_t *n, uint8_t v);
int clrsos_ipc_put_u32(uint8_t *buf, size_t cap, size_t *n, uint32_t v);
int clrsos_ipc_put_u64(uint8_t *buf, size_t cap, size_t *n, uint64_t v);
int clrsos_ipc_put_string(uint8_t *buf, size_t cap, size_t *n, const char *s);

/* What ProcessInfo (or ProcessInfo2/3, where the runtime has them) says. */
struct clrsos_process_info {
	uint64_t pid;
	uint8_t runtime_cookie[16];
	char *command_line;     /* UTF-8 */
	char *os;
	char *arch;
	char *assembly;         /* managed entry point assembly name; NULL before ProcessInfo2 */
	char *runtime_version;  /* "10.0.1"; NULL before ProcessInfo2 */
	char *rid;              /* "linux-x64"; NULL before ProcessInfo3 */
	int version;            /* which ProcessInfo answered: 1, 2 or 3 */
};

struct clrsos_error *clrsos_ipc_process_info(const struct clrsos_ipc_endpoint *endpoint, struct clrsos_process_info *info);

/* Parse a ProcessInfo (version 1), ProcessInfo2 (2) or ProcessInfo3 (3) reply payload; pure, for the fuzzer. */
struct clrsos_error *clrsos_ipc_parse_process_info(const uint8_t *payload, size_t size, int version,
						   struct clrsos_process_info *info);
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
 * CreateCoreDump3 (0x0103, whose error reply carries a message) first, then
 * 2 (0x0102, flags) and 1 (0x0101) when the runtime says "unknown command".
 * diagnostics: createdump logs to the target's console.
 */
struct clrsos_error *clrsos_ipc_dump(const struct clrsos_ipc_endpoint *endpoint, const char *path,
				     enum clrsos_dump_type type, int diagnostics);

#endif
