/*
 * Diagnostics IPC replies: any bytes as one whole reply message, and when
 * they parse, the payload as each ProcessInfo version, as a dump error
 * reply's string, and as a run of strings. Nothing a peer sends may read
 * out of bounds, leak or abort; every string that comes out is valid UTF-8
 * (the parser's promise to the writers that print it).
 */
#include <stdlib.h>
#include <string.h>

#include "base/output.h"
#include "diag/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t used = clrsos_utf8_valid((const unsigned char *)s + i, n - i, &c);
		if (!used)
			abort();
		i += used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clrsos_ipc_reply reply;
	struct clrsos_error *err = clrsos_ipc_parse_reply(data, size, &reply);
	if (err) {
		clrsos_error_destroy(err);
		/* The payload parsers on their own too: the bytes as a payload. */
		reply.payload = (uint8_t *)data;
		reply.size = size;
	} else if (reply.size && !reply.payload) {
		abort();
	}
	for (int version = 1; version <= 3; version++) {
		struct clrsos_process_info info;
		err = clrsos_ipc_parse_process_info(reply.payload, reply.size, version, &info);
		if (err) {
			clrsos_error_destroy(err);
			continue;
		}
		check_utf8(info.command_line);
		check_utf8(info.os);
		check_utf8(info.arch);
		check_utf8(info.assembly);
		check_utf8(info.runtime_version);
		check_utf8(info.rid);
		clrsos_process_info_deinit(&info);
	}
	size_t off = 0;
	for (int i = 0; i < 64; i++) {
		char *s;
		size_t before = off;
		err = clrsos_ipc_read_string(reply.payload, reply.size, &off, &s);
		if (err) {
			clrsos_error_destroy(err);
			break;
		}
		if (off <= before || off > reply.size)
			abort();
		check_utf8(s);
		free(s);
	}
	uint32_t hr;
	(void)clrsos_ipc_reply_is_error(&reply, &hr);
	if (reply.payload != data)
		clrsos_ipc_reply_deinit(&reply);
	return 0;
}
