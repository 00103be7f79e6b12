/*
 * The diagnostics IPC client: finding a process's socket, connecting to it
 * (also when its path is too long for sockaddr_un), and one request/reply
 * exchange with a deadline on every read. See ipc.h.
 */
#include "diag/ipc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/output.h"
#include "base/utf.h"

static const uint8_t ipc_magic[14] = "DOTNET_IPC_V1";
enum { IPC_HEADER_SIZE = 20, IPC_MAX_MESSAGE = 0xffff };

const char *clrsos_ipc_hresult_text(uint32_t hresult)
{
	switch (hresult) {
	case CLRSOS_IPC_E_BAD_ENCODING: return "bad encoding (the runtime rejected the request's layout)";
	case CLRSOS_IPC_E_UNKNOWN_COMMAND: return "unknown command (the runtime is too old for it)";
	case CLRSOS_IPC_E_UNKNOWN_MAGIC: return "unknown magic";
	case CLRSOS_IPC_E_NOTSUPPORTED: return "not supported by this runtime";
	case CLRSOS_IPC_E_FAIL: return "the runtime failed";
	case CLRSOS_IPC_E_NOT_YET_AVAILABLE: return "not yet available (the runtime is still starting)";
	case CLRSOS_IPC_E_RUNTIME_UNINITIALIZED: return "the runtime is not initialized yet";
	case CLRSOS_IPC_E_INVALIDARG: return "invalid argument";
	default: return "error";
	}
}

void clrsos_ipc_endpoint_deinit(struct clrsos_ipc_endpoint *endpoint)
{
	if (!endpoint)
		return;
	free(endpoint->path);
	endpoint->path = NULL;
}

void clrsos_ipc_reply_deinit(struct clrsos_ipc_reply *reply)
{
	if (!reply)
		return;
	free(reply->payload);
	reply->payload = NULL;
	reply->size = 0;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

struct clrsos_error *clrsos_ipc_parse_reply(const uint8_t *buf, size_t n, struct clrsos_ipc_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	if (n < IPC_HEADER_SIZE)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the diagnostics reply is %zu bytes, shorter than its 20-byte header", n);
	if (memcmp(buf, ipc_magic, sizeof(ipc_magic)) != 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the peer's reply does not start with \"DOTNET_IPC_V1\": not a .NET diagnostics server");
	size_t size = get_u16(buf + 14);
	if (size < IPC_HEADER_SIZE || size != n)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the diagnostics reply says it is %zu bytes but is %zu", size, n);
	reply->command_set = buf[16];
	reply->command_id = buf[17];
	reply->size = size - IPC_HEADER_SIZE;
	if (reply->size) {
		reply->payload = malloc(reply->size);
		if (!reply->payload) {
			reply->size = 0;
			return &clrsos_error_no_memory;
		}
		memcpy(reply->payload, buf + IPC_HEADER_SIZE, reply->size);
	}
	return NULL;
}

int clrsos_ipc_reply_is_error(const struct clrsos_ipc_reply *reply, uint32_t *hresult)
{
	*hresult = 0;
	if (reply->command_set != CLRSOS_IPC_SET_SERVER || reply->command_id != 0xff)
		return 0;
	if (reply->size >= 4)
		*hresult = get_u32(reply->payload);
	return 1;
}

struct clrsos_error *clrsos_ipc_read_string(const uint8_t *payload, size_t size, size_t *offset, char **ret)
{
	*ret = NULL;
	if (*offset > size || size - *offset < 4)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "a string in the diagnostics reply runs past its end");
	uint32_t units = get_u32(payload + *offset);
	size_t left = size - *offset - 4;
	if (units > left / 2)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "a string in the diagnostics reply claims %u characters, more than the reply holds", units);
	const uint8_t *p = payload + *offset + 4;
	*offset += 4 + (size_t)units * 2;
	if (units == 0)
		return NULL;
	uint16_t *s = malloc((size_t)units * sizeof(*s));
	/* 3 bytes of UTF-8 at most per unit (a pair: 4 for 2), and clrsos_utf16_to_utf8 wants 5 spare. */
	char *out = malloc((size_t)units * 3 + 5);
	if (!s || !out) {
		free(s);
		free(out);
		return &clrsos_error_no_memory;
	}
	for (uint32_t i = 0; i < units; i++)
		s[i] = get_u16(p + 2 * (size_t)i);
	clrsos_utf16_to_utf8(s, units, out, (size_t)units * 3 + 5);
	free(s);
	*ret = out;
	return NULL;
}

void clrsos_process_info_deinit(struct clrsos_process_info *info)
{
	if (!info)
		return;
	free(info->command_line);
	free(info->os);
	free(info->arch);
	free(info->assembly);
	free(info->runtime_version);
	free(info->rid);
	memset(info, 0, sizeof(*info));
}

struct clrsos_error *clrsos_ipc_parse_process_info(const uint8_t *payload, size_t size, int version,
						   struct clrsos_process_info *info)
{
	struct clrsos_error *err;
	size_t off = 0;
	memset(info, 0, sizeof(*info));
	info->version = version;
	if (version >= 3) {
		if (size < 4)
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "the ProcessInfo3 reply is too short");
		off = 4; /* the payload's own version: fields are only ever added at the end */
	}
	if (size - off < 24)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the ProcessInfo reply is too short (%zu bytes)", size);
	info->pid = get_u64(payload + off);
	memcpy(info->runtime_cookie, payload + off + 8, 16);
	off += 24;
	if ((err = clrsos_ipc_read_string(payload, size, &off, &info->command_line)) ||
	    (err = clrsos_ipc_read_string(payload, size, &off, &info->os)) ||
	    (err = clrsos_ipc_read_string(payload, size, &off, &info->arch)))
		goto fail;
	if (version >= 2 &&
	    ((err = clrsos_ipc_read_string(payload, size, &off, &info->assembly)) ||
	     (err = clrsos_ipc_read_string(payload, size, &off, &info->runtime_version))))
		goto fail;
	if (version >= 3 && get_u32(payload) >= 1 &&
	    (err = clrsos_ipc_read_string(payload, size, &off, &info->rid)))
		goto fail;
	return NULL;
fail:
	clrsos_process_info_deinit(info);
	return err;
}

/* Discovery. */

static int read_small_file(const char *path, char *buf, size_t size, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got + 1 < size) {
		ssize_t r = read(fd, buf + got, size - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*n = got;
	return 0;
}

unsigned long long clrsos_proc_resident_bytes(int pid)
{
	char path[64], buf[4096];
	size_t n;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small_file(path, buf, sizeof(buf), &n) < 0)
		return 0;
	const char *line = strstr(buf, "\nVmRSS:");
	unsigned long long kb;
	if (!line || sscanf(line + 1, "VmRSS: %llu kB", &kb) != 1 || kb > ~0ull / 1024)
		return 0;
	return kb * 1024;
}

/* The process's name (comm), for messages; "?" when unreadable. */
static void process_name(int pid, char *name, size_t size)
{
	char path[64];
	size_t n;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small_file(path, name, size, &n) < 0 || n == 0) {
		snprintf(name, size, "?");
		return;
	}
	if (name[n - 1] == '\n')
		name[n - 1] = '\0';
	for (char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* NSpid's last entry and the real uid, from /proc/<pid>/status. */
static int read_status(int pid, int *ns_pid, long *uid)
{
	char path[64], buf[4096];
	size_t n;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	int r = read_small_file(path, buf, sizeof(buf), &n);
	if (r < 0)
		return r;
	*ns_pid = pid;
	*uid = -1;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "NSpid:", 6)) {
			char *p = line + 6, *end;
			for (;;) {
				long v = strtol(p, &end, 10);
				if (end == p)
					break;
				if (v > 0 && v <= INT_MAX)
					*ns_pid = (int)v;
				p = end;
				if (*p == '\n' || !*p)
					break;
			}
		} else if (!strncmp(line, "Uid:", 4)) {
			*uid = strtol(line + 4, NULL, 10);
		}
	}
	return 0;
}

/* The process's start time (jiffies since boot): the runtime's disambiguation key. */
static unsigned long long read_start_time(int pid)
{
	char path[64], buf[2048];
	size_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf), &n) < 0)
		return 0;
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return 0;
	/* after ")": field 3 (state) ... field 22 (starttime) */
	int field = 2;
	while (*p && field < 22) {
		if (*p == ' ')
			field++;
		p++;
	}
	return field == 22 ? strtoull(p, NULL, 10) : 0;
}

/* The value of name in the process's environment, into value; 1 found, 0 not, <0 -errno. */
static int read_environ(int pid, const char *name, char *value, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= (1u << 24))
				break;
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	size_t nl = strlen(name);
	int found = 0;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		if (!strncmp(buf + i, name, nl) && buf[i + nl] == '=') {
			snprintf(value, size, "%s", buf + i + nl + 1);
			found = 1;
		}
	}
	free(buf);
	return found;
}

/*
 * Whether the process sees files as we do: the same root and the same mount
 * namespace (a container, or only a private /tmp, differs in one of them).
 */
static int same_view(int pid)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	if (stat(path, &a) < 0 || stat("/", &b) < 0)
		return 1; /* unreadable: assume ours, the socket search says the rest */
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/mnt", &b) < 0)
		return 1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Whether the process has libcoreclr.so mapped; -errno when its maps are unreadable. */
static int maps_coreclr(int pid)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int found = 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libcoreclr.so") != NULL;
	fclose(f);
	return found;
}

/*
 * Look in dir for dotnet-diagnostic-<ns_pid>-<key>-socket: the one whose key
 * is the process's start time, else the newest (largest key, then mtime).
 */
static struct clrsos_error *find_socket(const char *dir, int ns_pid, unsigned long long start, char **ret, int *dir_errno)
{
	*ret = NULL;
	*dir_errno = 0;
	DIR *d = opendir(dir);
	if (!d) {
		*dir_errno = errno;
		return NULL;
	}
	char prefix[64];
	int plen = snprintf(prefix, sizeof(prefix), "dotnet-diagnostic-%d-", ns_pid);
	char best[NAME_MAX + 1] = "";
	unsigned long long best_key = 0;
	time_t best_mtime = 0;
	int exact = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, (size_t)plen))
			continue;
		char *end;
		const char *k = e->d_name + plen;
		if (*k < '0' || *k > '9')
			continue;
		unsigned long long key = strtoull(k, &end, 10);
		if (strcmp(end, "-socket"))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		int is_exact = start && key == start;
		/* The runtime names its socket with its process's start time: another key is a socket an earlier
		 * process with the same pid left behind (a killed runtime removes none). Key 0: no start time known. */
		if (start && key && !is_exact)
			continue;
		if (exact && !is_exact)
			continue;
		if (is_exact || !best[0] || key > best_key || (key == best_key && st.st_mtime > best_mtime)) {
			snprintf(best, sizeof(best), "%s", e->d_name);
			best_key = key;
			best_mtime = st.st_mtime;
			exact = is_exact;
		}
	}
	closedir(d);
	if (!best[0])
		return NULL;
	if (asprintf(ret, "%s/%s", dir, best) < 0) {
		*ret = NULL;
		return &clrsos_error_no_memory;
	}
	return NULL;
}

/* quiet: for listing, no diagnosis of why there is no socket (NULL error, no path). */
static struct clrsos_error *endpoint_find(int pid, int quiet, struct clrsos_ipc_endpoint *endpoint)
{
	memset(endpoint, 0, sizeof(*endpoint));
	endpoint->pid = pid;
	if (pid <= 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%d is not a process id", pid);
	int ns_pid;
	long uid;
	int r = read_status(pid, &ns_pid, &uid);
	if (r == -ENOENT || r == -ESRCH)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "no process with pid %d", pid);
	if (r < 0)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "process %d: cannot read /proc/%d/status: %s", pid, pid, strerror(-r));
	endpoint->ns_pid = ns_pid;
	endpoint->foreign_root = !same_view(pid);

	char name[64];
	process_name(pid, name, sizeof(name));
	int other_user = uid >= 0 && (uid_t)uid != geteuid() && geteuid() != 0;

	char dir[PATH_MAX];
	const char *override = getenv("CLRSOS_IPC_SOCKET_DIR");
	if (override && *override) {
		snprintf(dir, sizeof(dir), "%s", override);
	} else {
		char tmp[PATH_MAX] = "/tmp";
		r = read_environ(pid, "TMPDIR", tmp, sizeof(tmp));
		if (r <= 0 || !tmp[0])
			snprintf(tmp, sizeof(tmp), "/tmp");
		size_t tl = strlen(tmp);
		while (tl > 1 && tmp[tl - 1] == '/')
			tmp[--tl] = '\0';
		int n = endpoint->foreign_root ? snprintf(dir, sizeof(dir), "/proc/%d/root%s", pid, tmp)
					       : snprintf(dir, sizeof(dir), "%s", tmp);
		if (n < 0 || (size_t)n >= sizeof(dir))
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
						   "process %d's TMPDIR is too long a path to look for its socket in", pid);
	}

	int dir_errno;
	struct clrsos_error *err = find_socket(dir, ns_pid, read_start_time(pid), &endpoint->path, &dir_errno);
	if (err)
		return err;
	if (endpoint->path)
		return NULL;
	if (quiet)
		return NULL;
	if (other_user || dir_errno == EACCES || dir_errno == EPERM)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "process %d (%s) belongs to another user (uid %ld): run clrsos as that user or as root",
					   pid, name, uid);
	if (dir_errno)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "process %d (%s): cannot read %s: %s", pid, name, dir,
					   strerror(dir_errno));
	int clr = maps_coreclr(pid);
	if (clr == 0)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "process %d (%s) is not a .NET process (no libcoreclr.so mapped)",
					   pid, name);
	char value[32];
	if (read_environ(pid, "DOTNET_EnableDiagnostics", value, sizeof(value)) == 1 && !strcmp(value, "0"))
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "process %d (%s) runs with DOTNET_EnableDiagnostics=0: its diagnostics server is off; restart it without that setting",
					   pid, name);
	return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
				   "process %d (%s) has no diagnostics socket in %s: not a .NET process, still starting, or diagnostics disabled (DOTNET_EnableDiagnostics=0)",
				   pid, name, dir);
}

struct clrsos_error *clrsos_ipc_endpoint_find(int pid, struct clrsos_ipc_endpoint *endpoint)
{
	return endpoint_find(pid, 0, endpoint);
}

struct clrsos_error *clrsos_ipc_endpoint_list(struct clrsos_ipc_endpoint **endpoints, size_t *count)
{
	*endpoints = NULL;
	*count = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read /proc: %s", strerror(errno));
	struct clrsos_ipc_endpoint *list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	struct clrsos_error *err = NULL;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		struct clrsos_ipc_endpoint ep;
		struct clrsos_error *one = endpoint_find((int)pid, 1, &ep);
		if (clrsos_error_is_no_memory(one)) {
			err = one;
			break;
		}
		clrsos_error_destroy(one);
		if (!ep.path)
			continue;
		/* Only what this user may connect to (write permission on the socket): not every other user's process. */
		if (access(ep.path, R_OK | W_OK) < 0 && (errno == EACCES || errno == EPERM)) {
			clrsos_ipc_endpoint_deinit(&ep);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct clrsos_ipc_endpoint *nl = realloc(list, nc * sizeof(*nl));
			if (!nl) {
				clrsos_ipc_endpoint_deinit(&ep);
				err = &clrsos_error_no_memory;
				break;
			}
			list = nl;
			cap = nc;
		}
		list[n++] = ep;
	}
	closedir(d);
	if (err) {
		for (size_t i = 0; i < n; i++)
			clrsos_ipc_endpoint_deinit(&list[i]);
		free(list);
		return err;
	}
	*endpoints = list;
	*count = n;
	return NULL;
}

/* Connecting. */

struct clrsos_error *clrsos_ipc_connect(const struct clrsos_ipc_endpoint *endpoint, int *fd)
{
	*fd = -1;
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	int dir_fd = -1;
	size_t len = strlen(endpoint->path);
	if (len < sizeof(addr.sun_path)) {
		memcpy(addr.sun_path, endpoint->path, len + 1);
	} else {
		/* Too long for sun_path: through a descriptor of its directory. */
		const char *slash = strrchr(endpoint->path, '/');
		if (!slash)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "socket path too long: %s", endpoint->path);
		char *dir = strndup(endpoint->path, (size_t)(slash - endpoint->path));
		if (!dir)
			return &clrsos_error_no_memory;
		dir_fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		int e = errno;
		free(dir);
		if (dir_fd < 0)
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "cannot open the directory of %s: %s", endpoint->path, strerror(e));
		int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir_fd, slash + 1);
		if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) {
			close(dir_fd);
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "socket name too long: %s", endpoint->path);
		}
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		int e = errno;
		if (dir_fd >= 0)
			close(dir_fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "socket: %s", strerror(e));
	}
	int r;
	do
		r = connect(s, (struct sockaddr *)&addr, sizeof(addr));
	while (r < 0 && errno == EINTR);
	int e = errno;
	if (dir_fd >= 0)
		close(dir_fd);
	if (r < 0) {
		close(s);
		switch (e) {
		case EACCES:
		case EPERM:
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
						   "permission denied connecting to process %d's diagnostics socket %s: run clrsos as the process's user or as root",
						   endpoint->pid, endpoint->path);
		case ECONNREFUSED:
		case ENOENT:
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
						   "process %d's diagnostics socket %s does not answer (the process exited or is not listening)",
						   endpoint->pid, endpoint->path);
		case EAGAIN:
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
						   "process %d's diagnostics server is busy (its backlog is full): try again",
						   endpoint->pid);
		default:
			return clrsos_error_create(CLRSOS_ERROR_NO_TARGET, "connecting to %s: %s", endpoint->path, strerror(e));
		}
	}
	*fd = s;
	return NULL;
}

/* Exchanging messages. */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 1;
	}
}

static struct clrsos_error *write_all(int fd, const uint8_t *buf, size_t n, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(fd, POLLOUT, deadline);
			if (r == 0)
				return clrsos_error_create(CLRSOS_ERROR_IO, "the diagnostics server took no request for %d ms", timeout_ms);
			if (r < 0)
				return clrsos_error_create(CLRSOS_ERROR_IO, "poll: %s", strerror(-r));
			continue;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return clrsos_error_create(CLRSOS_ERROR_IO, "the diagnostics server closed the connection before taking the request");
		return clrsos_error_create(CLRSOS_ERROR_IO, "sending to the diagnostics server: %s", w < 0 ? strerror(errno) : "wrote nothing");
	}
	return NULL;
}

/* Read exactly n bytes, each wait at most timeout_ms. */
static struct clrsos_error *read_all(int fd, uint8_t *buf, size_t n, int timeout_ms, const char *what)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return clrsos_error_create(CLRSOS_ERROR_IO,
						   "the diagnostics server closed the connection %s (the process may have exited)",
						   got ? "in the middle of its reply" : what);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int w = wait_fd(fd, POLLIN, now_ms() + timeout_ms);
			if (w == 0)
				return clrsos_error_create(CLRSOS_ERROR_IO,
							   "the diagnostics server did not answer within %d.%d s (the process may be hung, stopped, or not a .NET runtime)",
							   timeout_ms / 1000, timeout_ms % 1000 / 100);
			if (w < 0)
				return clrsos_error_create(CLRSOS_ERROR_IO, "poll: %s", strerror(-w));
			continue;
		}
		if (errno == ECONNRESET)
			return clrsos_error_create(CLRSOS_ERROR_IO, "the diagnostics server reset the connection");
		return clrsos_error_create(CLRSOS_ERROR_IO, "reading from the diagnostics server: %s", strerror(errno));
	}
	return NULL;
}

struct clrsos_error *clrsos_ipc_request(int fd, uint8_t command_set, uint8_t command_id,
					const void *payload, size_t size, int timeout_ms,
					struct clrsos_ipc_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	if (size > IPC_MAX_MESSAGE - IPC_HEADER_SIZE)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "the request is %zu bytes, more than a diagnostics message holds (65515)", size);
	uint8_t *msg = malloc(IPC_HEADER_SIZE + size);
	if (!msg)
		return &clrsos_error_no_memory;
	memcpy(msg, ipc_magic, sizeof(ipc_magic));
	size_t total = IPC_HEADER_SIZE + size;
	msg[14] = (uint8_t)total;
	msg[15] = (uint8_t)(total >> 8);
	msg[16] = command_set;
	msg[17] = command_id;
	msg[18] = msg[19] = 0;
	if (size)
		memcpy(msg + IPC_HEADER_SIZE, payload, size);
	struct clrsos_error *err = write_all(fd, msg, total, timeout_ms);
	free(msg);
	if (err)
		return err;

	uint8_t buf[IPC_MAX_MESSAGE];
	if ((err = read_all(fd, buf, IPC_HEADER_SIZE, timeout_ms, "without answering")))
		return err;
	if (memcmp(buf, ipc_magic, sizeof(ipc_magic)) != 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the peer answered with something that is not a diagnostics reply (no \"DOTNET_IPC_V1\" header)");
	size_t msg_size = get_u16(buf + 14);
	if (msg_size < IPC_HEADER_SIZE)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the diagnostics reply says it is %zu bytes, less than its header", msg_size);
	if ((err = read_all(fd, buf + IPC_HEADER_SIZE, msg_size - IPC_HEADER_SIZE, timeout_ms, "in the middle of its reply")))
		return err;
	return clrsos_ipc_parse_reply(buf, msg_size, reply);
}

/* Payload building. */

static int put_bytes(uint8_t *buf, size_t cap, size_t *n, const void *p, size_t len)
{
	if (*n > cap || len > cap - *n)
		return -1;
	memcpy(buf + *n, p, len);
	*n += len;
	return 0;
}

int clrsos_ipc_put_u32(uint8_t *buf, size_t cap, size_t *n, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return put_bytes(buf, cap, n, b, 4);
}

int clrsos_ipc_put_u8(uint8_t *buf, size_t cap, size_t *n, uint8_t v)
{
	return put_bytes(buf, cap, n, &v, 1);
}

int clrsos_ipc_put_u64(uint8_t *buf, size_t cap, size_t *n, uint64_t v)
{
	return clrsos_ipc_put_u32(buf, cap, n, (uint32_t)v) || clrsos_ipc_put_u32(buf, cap, n, (uint32_t)(v >> 32)) ? -1 : 0;
}

int clrsos_ipc_put_string(uint8_t *buf, size_t cap, size_t *n, const char *s)
{
	if (!s)
		return clrsos_ipc_put_u32(buf, cap, n, 0);
	size_t at = *n;
	if (clrsos_ipc_put_u32(buf, cap, n, 0))
		return -1;
	uint32_t units = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		size_t used = clrsos_utf8_valid(p, strlen((const char *)p), &c);
		if (!used) {
			c = 0xfffd;
			used = 1;
		}
		p += used;
		uint16_t u[2];
		int k = 0;
		if (c >= 0x10000) {
			c -= 0x10000;
			u[k++] = (uint16_t)(0xd800 + (c >> 10));
			u[k++] = (uint16_t)(0xdc00 + (c & 0x3ff));
		} else {
			u[k++] = (uint16_t)c;
		}
		for (int i = 0; i < k; i++) {
			uint8_t b[2] = { (uint8_t)u[i], (uint8_t)(u[i] >> 8) };
			if (put_bytes(buf, cap, n, b, 2))
				return -1;
			units++;
		}
	}
	uint8_t nul[2] = { 0, 0 };
	if (put_bytes(buf, cap, n, nul, 2))
		return -1;
	units++;
	size_t tmp = at;
	return clrsos_ipc_put_u32(buf, cap, &tmp, units);
}

/* One command on a fresh connection. */
static struct clrsos_error *exchange(const struct clrsos_ipc_endpoint *endpoint, uint8_t set, uint8_t id,
				     const void *payload, size_t size, int timeout_ms, struct clrsos_ipc_reply *reply)
{
	int fd;
	struct clrsos_error *err = clrsos_ipc_connect(endpoint, &fd);
	if (err)
		return err;
	err = clrsos_ipc_request(fd, set, id, payload, size, timeout_ms, reply);
	close(fd);
	if (err)
		return clrsos_error_wrap(err, "process %d", endpoint->pid);
	return NULL;
}

struct clrsos_error *clrsos_ipc_process_info(const struct clrsos_ipc_endpoint *endpoint, struct clrsos_process_info *info)
{
	static const struct { uint8_t id; int version; } tries[] = { { 0x08, 3 }, { 0x04, 2 }, { 0x00, 1 } };
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct clrsos_ipc_reply reply;
		struct clrsos_error *err = exchange(endpoint, CLRSOS_IPC_SET_PROCESS, tries[i].id, NULL, 0,
						    CLRSOS_IPC_TIMEOUT_MS, &reply);
		if (err)
			return err;
		uint32_t hr;
		if (clrsos_ipc_reply_is_error(&reply, &hr)) {
			clrsos_ipc_reply_deinit(&reply);
			if (hr == CLRSOS_IPC_E_UNKNOWN_COMMAND)
				continue;
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: ProcessInfo failed: 0x%08x, %s", endpoint->pid,
						   hr, clrsos_ipc_hresult_text(hr));
		}
		if (reply.command_set != CLRSOS_IPC_SET_SERVER || reply.command_id != 0x00) {
			clrsos_ipc_reply_deinit(&reply);
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the diagnostics server answered ProcessInfo with an unknown reply", endpoint->pid);
		}
		err = clrsos_ipc_parse_process_info(reply.payload, reply.size, tries[i].version, info);
		clrsos_ipc_reply_deinit(&reply);
		return err ? clrsos_error_wrap(err, "process %d", endpoint->pid) : NULL;
	}
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the runtime knows no ProcessInfo command", endpoint->pid);
}

struct clrsos_error *clrsos_ipc_dump(const struct clrsos_ipc_endpoint *endpoint, const char *path,
				     enum clrsos_dump_type type, int diagnostics)
{
	if (type < CLRSOS_DUMP_MINI || type > CLRSOS_DUMP_FULL)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "dump type %d is not 1..4", (int)type);
	uint8_t payload[IPC_MAX_MESSAGE - IPC_HEADER_SIZE];
	size_t n = 0;
	if (clrsos_ipc_put_string(payload, sizeof(payload), &n, path) ||
	    clrsos_ipc_put_u32(payload, sizeof(payload), &n, (uint32_t)type) ||
	    clrsos_ipc_put_u32(payload, sizeof(payload), &n, diagnostics ? 1 : 0))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "the dump path is too long for a diagnostics message");
	/* The same payload for all three: path, type, flags (bit 0: log to the console; for 1, diagnostics 0/1). */
	static const uint8_t ids[] = { 0x03, 0x02, 0x01 };
	for (size_t i = 0; i < sizeof(ids); i++) {
		struct clrsos_ipc_reply reply;
		struct clrsos_error *err = exchange(endpoint, CLRSOS_IPC_SET_DUMP, ids[i], payload, n,
						    CLRSOS_IPC_DUMP_TIMEOUT_MS, &reply);
		if (err)
			return err;
		uint32_t hr;
		if (!clrsos_ipc_reply_is_error(&reply, &hr)) {
			int ok = reply.command_set == CLRSOS_IPC_SET_SERVER && reply.command_id == 0x00;
			clrsos_ipc_reply_deinit(&reply);
			if (!ok)
				return clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the diagnostics server answered the dump request with an unknown reply",
							   endpoint->pid);
			return NULL;
		}
		if (hr == CLRSOS_IPC_E_UNKNOWN_COMMAND && i + 1 < sizeof(ids)) {
			clrsos_ipc_reply_deinit(&reply);
			continue;
		}
		char *message = NULL;
		if (ids[i] == 0x03 && reply.size >= 8) {
			size_t off = 4;
			struct clrsos_error *e2 = clrsos_ipc_read_string(reply.payload, reply.size, &off, &message);
			if (clrsos_error_is_no_memory(e2)) {
				clrsos_ipc_reply_deinit(&reply);
				return e2;
			}
			clrsos_error_destroy(e2);
		}
		clrsos_ipc_reply_deinit(&reply);
		if (message) {
			/* createdump's lines ("[createdump] ...\n" each) as one line, "; " between them. */
			char *line = malloc(strlen(message) * 2 + 1);
			if (!line) {
				free(message);
				return &clrsos_error_no_memory;
			}
			size_t o = 0;
			for (const char *c = message; *c; c++) {
				if (*c != '\r' && *c != '\n') {
					line[o++] = *c;
					continue;
				}
				while (o && line[o - 1] == ' ')
					o--;
				if (o && line[o - 1] != ';') {
					line[o++] = ';';
					line[o++] = ' ';
				}
			}
			while (o && (line[o - 1] == ' ' || line[o - 1] == ';'))
				o--;
			line[o] = '\0';
			free(message);
			message = line;
		}
		struct clrsos_name_buf nb;
		err = clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the runtime could not write the dump: %s (0x%08x, %s)",
					  endpoint->pid,
					  message && *message ? clrsos_safe_name(message, &nb) : "no message",
					  hr, clrsos_ipc_hresult_text(hr));
		free(message);
		return err;
	}
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "process %d: the runtime knows no dump command", endpoint->pid);
}
