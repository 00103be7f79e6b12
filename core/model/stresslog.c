/*
 * The runtime's stress log, read from the target once and decoded here.
 * Layout facts (64-bit Linux, .NET 8-10): StressLog::theLog holds the
 * settings, the list of ThreadStressLogs, the clock and the module table;
 * a message header is two words: facility (32 bits), argument count (6),
 * format offset low (26) | format offset high (13), timestamp (51).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/stresslog.h"
#include "base/hashmap.h"
#include "base/vector.h"
#include "base/watch.h"
#include "dac/dac.h"
#include "target/target.h"

const char clrsos_stresslog_task_switch_msg[] = "StressLog TaskSwitch Marker\n";
const char clrsos_stresslog_gc_start_msg[] =
	"{ =========== BEGINGC %d, (requested generation = %lu, collect_classes = %lu) ==========\n";
const char clrsos_stresslog_gc_root_msg[] = "    GC Root %p RELOCATED %p -> %p  MT = %pT\n";
const char clrsos_stresslog_gc_promote_msg[] = "    IGCHeap::Promote: Promote GC Root *%p = %p MT = %pT\n";
const char clrsos_stresslog_gc_plug_move_msg[] = "GC_HEAP RELOCATING Objects in heap within range [%p %p) by -0x%x bytes\n";

enum {
	MSG_HEADER = 16,
	MAX_MSG = MSG_HEADER + CLRSOS_STRESSLOG_MAX_ARGS * 8,
	CHUNK_BUF_OFFSET = 16, /* after prev and next */
	CHUNK_BYTES = CHUNK_BUF_OFFSET + CLRSOS_STRESSLOG_CHUNK_SIZE + 8,
	CHUNK_SIG = (int)0xCFCFCFCF,
	LOG_BYTES = 160,
	THREAD_BYTES = 72,
	FORMAT_MAX = 256,
};

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void decode_header(const uint8_t *p, struct clrsos_stresslog_msg *m)
{
	uint64_t w0 = get_u64(p), w1 = get_u64(p + 8);
	m->facility = (uint32_t)w0;
	m->arg_count = (uint32_t)((w0 >> 32) & 0x3f);
	m->format_offset = ((w1 & 0x1fff) << 26) | (w0 >> 38);
	m->timestamp = w1 >> 13;
	m->args = (const uint64_t *)(const void *)(p + MSG_HEADER);
}

struct clrsos_error *clrsos_stresslog_decode_thread(const struct clrsos_stresslog_chunk *chunks, size_t count,
						    uint64_t cur_ptr, uint64_t cur_write_chunk, bool write_wrapped,
						    struct clrsos_stresslog_msg **ret, size_t *ret_count,
						    const char **ret_bad)
{
	*ret = NULL;
	*ret_count = 0;
	*ret_bad = NULL;
	if (count == 0)
		return NULL;
	size_t write = count;
	for (size_t i = 0; i < count; i++)
		if (chunks[i].address == cur_write_chunk) {
			write = i;
			break;
		}
	if (write == count) {
		*ret_bad = "its write chunk is not in its chunk list";
		return NULL;
	}
	uint64_t start = cur_write_chunk + CHUNK_BUF_OFFSET;
	if (cur_ptr < start || cur_ptr - start > CLRSOS_STRESSLOG_CHUNK_SIZE || (cur_ptr - start) % 8) {
		*ret_bad = "its write pointer is outside its write chunk";
		return NULL;
	}
	size_t pos = (size_t)(cur_ptr - start);
	/* Where the writer may have partly overwritten older records. */
	size_t limit = pos > MAX_MSG ? pos - MAX_MSG : 0;
	size_t chunk = write;
	bool read_wrapped = false;
	/* Each message takes 16 bytes at least: this bounds the walk. */
	size_t cap = count * (CLRSOS_STRESSLOG_CHUNK_SIZE / MSG_HEADER) + 1;
	struct clrsos_stresslog_msg *msgs = NULL;
	size_t n = 0, capacity = 0;
	size_t chunks_entered = 0;
	for (;;) {
		if (pos >= CLRSOS_STRESSLOG_CHUNK_SIZE) {
			/* Past the end of this chunk: on to the next (older) one. */
			if (chunk == count - 1) {
				read_wrapped = true;
				if (!write_wrapped)
					break;
			}
			if (++chunks_entered > count)
				break;
			chunk = (chunk + 1) % count;
			const uint8_t *b = chunks[chunk].buf;
			pos = 0;
			/* The writer zeroes the unused start of a chunk it left. */
			while (pos < MAX_MSG && get_u64(b + pos) == 0)
				pos += 8;
			if (pos >= MAX_MSG || get_u64(b + pos) == 0)
				pos = 0;
		}
		if (pos + MSG_HEADER > CLRSOS_STRESSLOG_CHUNK_SIZE) {
			*ret_bad = "a message header crosses its chunk's end";
			break;
		}
		struct clrsos_stresslog_msg m;
		decode_header(chunks[chunk].buf + pos, &m);
		if (m.timestamp == 0)
			break;
		if (read_wrapped && (!write_wrapped || (chunk == write && pos >= limit)))
			break;
		if (pos + MSG_HEADER + (size_t)m.arg_count * 8 > CLRSOS_STRESSLOG_CHUNK_SIZE) {
			*ret_bad = "a message's arguments cross its chunk's end";
			break;
		}
		if (n == cap) {
			*ret_bad = "more messages than its chunks can hold";
			break;
		}
		if (n == capacity) {
			size_t grown = capacity ? capacity * 2 : 256;
			struct clrsos_stresslog_msg *p = realloc(msgs, grown * sizeof(*p));
			if (!p) {
				free(msgs);
				return &clrsos_error_no_memory;
			}
			msgs = p;
			capacity = grown;
		}
		msgs[n++] = m;
		pos += MSG_HEADER + (size_t)m.arg_count * 8;
	}
	*ret = msgs;
	*ret_count = n;
	return NULL;
}

static void note_problem(struct clrsos_stresslog *log, const char *fmt, uint64_t address, const char *why)
{
	if (log->problem)
		return;
	char buf[256];
	snprintf(buf, sizeof(buf), fmt, address, why);
	log->problem = strdup(buf);
}

void clrsos_stresslog_destroy(struct clrsos_stresslog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->thread_count; i++)
		free(log->threads[i].msgs);
	free(log->threads);
	for (size_t i = 0; i < log->chunk_count; i++)
		free(log->chunks[i]);
	free(log->chunks);
	free(log->problem);
	free(log);
}

/* A new chunk copy, kept by the log (copies never move: messages borrow them). */
static uint8_t *new_chunk(struct clrsos_stresslog *log, size_t *capacity)
{
	if (clrsos_array_reserve(&log->chunks, capacity, log->chunk_count + 1))
		return NULL;
	uint8_t *copy = malloc(CHUNK_BYTES);
	if (copy)
		log->chunks[log->chunk_count++] = copy;
	return copy;
}

/* The last copy taken back: it was not a chunk. */
static void drop_chunk(struct clrsos_stresslog *log)
{
	free(log->chunks[--log->chunk_count]);
}

/*
 * One thread's chunks, copied as they are read (at most budget chunks in
 * the whole log); watch polled before each chunk.
 */
static struct clrsos_error *read_thread(struct clrsos_target *target, struct clrsos_stresslog *log,
					const uint8_t *t, size_t *chunk_capacity, size_t budget,
					struct clrsos_watch *watch, struct clrsos_stresslog_thread *ret)
{
	uint64_t head = get_u64(t + 40), cur_ptr = get_u64(t + 24), write_chunk = get_u64(t + 64);
	bool write_wrapped = t[18] != 0;
	struct clrsos_stresslog_chunk *chunks = NULL;
	size_t n = 0, capacity = 0;
	uint64_t at = head;
	struct clrsos_error *err = NULL;
	do {
		/* The log's own chunk count (plus slack) bounds every walk, loops included. */
		if (log->chunk_count >= budget) {
			note_problem(log, "thread log 0x%" PRIx64 ": %s", ret->address,
				     "more chunks than the log records: the rest is left out");
			break;
		}
		if (watch && (err = clrsos_watch_poll(watch)))
			goto out;
		uint8_t *copy = new_chunk(log, chunk_capacity);
		if (!copy) {
			err = &clrsos_error_no_memory;
			goto out;
		}
		struct clrsos_error *rerr = clrsos_target_read(target, at, copy, CHUNK_BYTES);
		if (rerr) {
			clrsos_error_destroy(rerr);
			drop_chunk(log);
			note_problem(log, "chunk 0x%" PRIx64 ": %s", at, "could not be read");
			break;
		}
		if (get_u32(copy + CHUNK_BYTES - 8) != (uint32_t)CHUNK_SIG ||
		    get_u32(copy + CHUNK_BYTES - 4) != (uint32_t)CHUNK_SIG) {
			drop_chunk(log);
			note_problem(log, "chunk 0x%" PRIx64 ": %s", at, "has no chunk signature (not a stress log chunk)");
			break;
		}
		if (n == capacity) {
			size_t grown = capacity ? capacity * 2 : 16;
			struct clrsos_stresslog_chunk *p = realloc(chunks, grown * sizeof(*p));
			if (!p) {
				err = &clrsos_error_no_memory;
				goto out;
			}
			chunks = p;
			capacity = grown;
		}
		chunks[n].address = at;
		chunks[n].buf = copy + CHUNK_BUF_OFFSET;
		n++;
		at = get_u64(copy + 8);
	} while (at != head && at != 0);
	ret->chunk_count = n;
	const char *bad = NULL;
	err = clrsos_stresslog_decode_thread(chunks, n, cur_ptr, write_chunk, write_wrapped, &ret->msgs,
					     &ret->msg_count, &bad);
	ret->bad = bad;
	if (bad)
		note_problem(log, "thread log 0x%" PRIx64 ": %s", ret->address, bad);
out:
	free(chunks);
	return err;
}

struct clrsos_error *clrsos_stresslog_read(struct clrsos_target *target, struct clrsos_dac *dac, uint64_t address,
					   struct clrsos_watch *watch, struct clrsos_stresslog **ret)
{
	*ret = NULL;
	struct clrsos_error *err;
	if (address == 0) {
		if (!dac)
			return clrsos_error_create(CLRSOS_ERROR_DAC,
						   "no DAC to find the stress log: give its address with -addr");
		if ((err = clrsos_dac_stress_log_address(dac, &address)))
			return clrsos_error_wrap(err, "finding the stress log");
		if (address == 0)
			return clrsos_error_create(CLRSOS_ERROR_DAC,
						   "the DAC does not say where the stress log is: give its address with -addr");
	}
	uint8_t h[LOG_BYTES];
	if ((err = clrsos_target_read(target, address, h, sizeof(h))))
		return clrsos_error_wrap(err, "reading the stress log at 0x%" PRIx64, address);
	struct clrsos_stresslog *log = calloc(1, sizeof(*log));
	if (!log)
		return &clrsos_error_no_memory;
	log->address = address;
	log->facilities = get_u32(h);
	log->level = get_u32(h + 4);
	log->max_size_per_thread = get_u32(h + 8);
	log->max_size_total = get_u32(h + 12);
	log->total_chunks = (int32_t)get_u32(h + 16);
	uint64_t logs = get_u64(h + 24);
	log->tick_frequency = get_u64(h + 48);
	log->start_timestamp = get_u64(h + 56);
	log->start_filetime = get_u64(h + 64);
	log->module_offset = get_u64(h + 72);
	for (int i = 0; i < CLRSOS_STRESSLOG_MODULES; i++) {
		log->modules[i].base = get_u64(h + 80 + 16 * i);
		log->modules[i].size = get_u64(h + 88 + 16 * i);
	}
	if (logs == 0 || log->module_offset == 0) {
		clrsos_stresslog_destroy(log);
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the runtime keeps no stress log (none at 0x%" PRIx64
					   "): start the process with DOTNET_StressLog=1 (DOTNET_LogFacility, "
					   "DOTNET_LogLevel and DOTNET_StressLogSize choose what and how much)",
					   address);
	}
	/* The log's chunk count (plus slack) bounds the chunks copied; each is allocated as it is read. */
	size_t budget = log->total_chunks > 0 ? (size_t)log->total_chunks + 64 : 1024;
	if (budget > CLRSOS_STRESSLOG_MAX_CHUNKS)
		budget = CLRSOS_STRESSLOG_MAX_CHUNKS;
	size_t chunk_capacity = 0, capacity = 0, visited = 0;
	for (uint64_t at = logs; at != 0;) {
		/* Thread logs without chunks count too: a cycle of them ends here. */
		if (visited++ >= CLRSOS_STRESSLOG_MAX_THREADS) {
			note_problem(log, "0x%" PRIx64 ": %s", address, "more thread logs than clrsos reads (16384)");
			break;
		}
		if (log->chunk_count >= budget) {
			note_problem(log, "thread log 0x%" PRIx64 ": %s", at,
				     "past the chunk count the log records: the rest is left out");
			break;
		}
		if (watch && (err = clrsos_watch_poll(watch))) {
			clrsos_stresslog_destroy(log);
			return err;
		}
		uint8_t t[THREAD_BYTES];
		struct clrsos_error *rerr = clrsos_target_read(target, at, t, sizeof(t));
		if (rerr) {
			clrsos_error_destroy(rerr);
			note_problem(log, "thread log 0x%" PRIx64 ": %s", at, "could not be read");
			break;
		}
		uint64_t next = get_u64(t);
		if (get_u64(t + 40) != 0) {
			if (log->thread_count == capacity) {
				size_t grown = capacity ? capacity * 2 : 16;
				struct clrsos_stresslog_thread *p = realloc(log->threads, grown * sizeof(*p));
				if (!p) {
					clrsos_stresslog_destroy(log);
					return &clrsos_error_no_memory;
				}
				log->threads = p;
				capacity = grown;
			}
			struct clrsos_stresslog_thread *th = &log->threads[log->thread_count];
			memset(th, 0, sizeof(*th));
			th->address = at;
			th->thread_id = get_u64(t + 8);
			if ((err = read_thread(target, log, t, &chunk_capacity, budget, watch, th))) {
				clrsos_stresslog_destroy(log);
				return err;
			}
			log->thread_count++;
		}
		if (next == at)
			break;
		at = next;
	}
	*ret = log;
	return NULL;
}

uint64_t clrsos_stresslog_format_address(const struct clrsos_stresslog *log, uint64_t format_offset)
{
	const uint64_t max_offset = (uint64_t)1 << 39;
	if (log->module_offset == log->modules[0].base && log->modules[0].size >= 1024 * 1024 &&
	    log->modules[0].size < max_offset) {
		uint64_t skipped = 0;
		for (int i = 0; i < CLRSOS_STRESSLOG_MODULES && log->modules[i].base; i++) {
			uint64_t rel = format_offset - skipped;
			if (format_offset >= skipped && rel < log->modules[i].size)
				return log->modules[i].base + rel;
			skipped += log->modules[i].size;
		}
	}
	return log->module_offset + format_offset;
}

double clrsos_stresslog_seconds(const struct clrsos_stresslog *log, uint64_t timestamp)
{
	if (log->tick_frequency == 0)
		return 0;
	return ((double)timestamp - (double)log->start_timestamp) / (double)log->tick_frequency;
}

/* The LF_* facility bits in order (loglf.h), without their LF_ prefix. */
static const char *const facility_names[32] = {
	"GC",	       "GCINFO",	    "STUBS",	 "JIT",	     "LOADER",	   "METADATA",	"SYNC",
	"EEMEM",       "GCALLOC",	    "CORDB",	 "CLASSLOADER", "CORPROF",	   "DIAGNOSTICS_PORT",
	"DBGALLOC",    "EH",		    "ENC",	 "ASSERT",   "VERIFIER",   "THREADPOOL", "GCROOTS",
	"INTEROP",     "MARSHALER",	    "TIEREDCOMPILATION", "ZAP", "STARTUP", "APPDOMAIN", "CODESHARING",
	"STORE",       "SECURITY",	    "LOCKS",	 "BCL",	     "ALWAYS",
};

const char *clrsos_stresslog_facility_name(uint32_t facility, char *buf, size_t size)
{
	if (facility == 0xffffffffu) {
		snprintf(buf, size, "`ALL`");
		return buf;
	}
	size_t len = 0;
	buf[0] = 0;
	len += (size_t)snprintf(buf, size, "`");
	for (int i = 0; i < 32 && len < size; i++)
		if (facility & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s`", facility_names[i]);
	return buf;
}

/* Text of the target written with control characters escaped. */
static void put_text(struct clrsos_writer *w, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (i > run)
			w->write(w->ctx, s + run, i - run);
		char esc[8];
		if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		clrsos_out(w, esc);
		run = i + 1;
	}
	if (n > run)
		w->write(w->ctx, s + run, n - run);
}

static void put_name(struct clrsos_writer *w, char *name, const char *missing)
{
	clrsos_out(w, " (");
	if (name) {
		clrsos_out_name(w, name);
		free(name);
	} else {
		clrsos_out(w, missing);
	}
	clrsos_out(w, ")");
}

/* A target string for %s (1-byte) or %S (UTF-16, shown as its ASCII subset escaped). */
static void put_target_string(struct clrsos_writer *w, const struct clrsos_stresslog_names *names, uint64_t at,
			      bool wide, int precision)
{
	uint8_t buf[FORMAT_MAX];
	size_t got = names && names->read ? names->read(names->ctx, at, buf, sizeof(buf)) : 0;
	if (got == 0) {
		clrsos_out(w, "(#Could not read address of string#)");
		return;
	}
	char text[FORMAT_MAX];
	size_t n = 0;
	if (wide) {
		for (size_t i = 0; i + 1 < got; i += 2) {
			uint16_t c = (uint16_t)(buf[i] | (buf[i + 1] << 8));
			if (c == 0)
				break;
			text[n++] = c < 0x80 ? (char)c : '?';
		}
	} else {
		while (n < got && buf[n])
			n++;
		memcpy(text, buf, n);
	}
	if (precision >= 0 && (size_t)precision < n)
		n = (size_t)precision;
	put_text(w, text, n);
}

void clrsos_stresslog_format(const char *format, const uint64_t *args, uint32_t arg_count,
			     const struct clrsos_stresslog_names *names, struct clrsos_writer *w)
{
	size_t len = strnlen(format, FORMAT_MAX);
	if (len && format[len - 1] == '\n')
		len--;
	uint32_t next_arg = 0;
	size_t i = 0;
	while (i < len) {
		char c = format[i];
		if (c != '%') {
			size_t run = i;
			while (i < len && format[i] != '%' && format[i] != '{' && format[i] != '}')
				i++;
			if (i > run) {
				put_text(w, format + run, i - run);
				continue;
			}
			clrsos_out(w, c == '{' ? "}" : "{");
			i++;
			continue;
		}
		size_t spec_start = i++;
		if (i < len && format[i] == '%') {
			clrsos_out(w, "%");
			i++;
			continue;
		}
		/* flags, width, precision, length */
		char flags[8];
		size_t nflags = 0;
		while (i < len && strchr("-+ #0", format[i]) && format[i]) {
			if (nflags < sizeof(flags) - 1)
				flags[nflags++] = format[i];
			i++;
		}
		flags[nflags] = 0;
		int width = -1, precision = -1;
		if (i < len && format[i] == '*') {
			width = next_arg < arg_count ? (int)(args[next_arg] & 0xff) : 0;
			next_arg++;
			i++;
		}
		while (i < len && format[i] >= '0' && format[i] <= '9') {
			width = (width < 0 ? 0 : width) * 10 + (format[i] - '0');
			if (width > 256)
				width = 256;
			i++;
		}
		if (i < len && format[i] == '.') {
			i++;
			precision = 0;
			if (i < len && format[i] == '*') {
				precision = next_arg < arg_count ? (int)(args[next_arg] & 0xff) : 0;
				next_arg++;
				i++;
			}
			while (i < len && format[i] >= '0' && format[i] <= '9') {
				precision = precision * 10 + (format[i] - '0');
				if (precision > 256)
					precision = 256;
				i++;
			}
		}
		int longs = 0;
		bool half = false;
		for (;;) {
			if (i < len && (format[i] == 'l' || format[i] == 'z' || format[i] == 'j' || format[i] == 't' ||
					format[i] == 'L' || format[i] == 'q')) {
				longs++;
				i++;
			} else if (i < len && format[i] == 'h') {
				half = true;
				i++;
			} else if (i + 2 < len && format[i] == 'I' && format[i + 1] == '6' && format[i + 2] == '4') {
				longs = 2;
				i += 3;
			} else {
				break;
			}
		}
		if (i >= len) {
			put_text(w, format + spec_start, len - spec_start);
			break;
		}
		char conv = format[i++];
		if (!strchr("diouxXcpsSfFeEgGaA", conv)) {
			/* Not a conversion clrsos knows: shown as written, no argument used. */
			put_text(w, format + spec_start, i - spec_start);
			continue;
		}
		if (next_arg >= arg_count) {
			clrsos_out(w, "<missing>");
			next_arg++;
			continue;
		}
		uint64_t arg = args[next_arg++];
		char spec[48];
		char out[600];
		switch (conv) {
		case 'p': {
			char ext = i < len ? format[i] : 0;
			if (arg == 0)
				snprintf(out, sizeof(out), "%*s", width < 0 ? 0 : width, "(nil)");
			else
				snprintf(out, sizeof(out), "%*s%" PRIx64, 0, "0x", arg);
			clrsos_out(w, out);
			if (ext == 'T') {
				i++;
				uint64_t mt = arg & ~(uint64_t)3;
				if (arg & 3)
					clrsos_out(w, " Low Bit(s) Set");
				char *name = names && names->method_table && mt ? names->method_table(names->ctx, mt) : NULL;
				put_name(w, name, "BAD MethodTable");
			} else if (ext == 'M') {
				i++;
				if (arg) {
					char *name = names && names->method_desc ? names->method_desc(names->ctx, arg)
										 : NULL;
					put_name(w, name, "BAD Method");
				}
			} else if (ext == 'K') {
				i++;
				char *name = names && names->code ? names->code(names->ctx, arg) : NULL;
				put_name(w, name, "Unknown function");
			} else if (ext == 'V') {
				i++;
				char *name = names && names->code ? names->code(names->ctx, arg) : NULL;
				put_name(w, name, "Unknown VTable");
			}
			break;
		}
		case 's':
		case 'S':
			put_target_string(w, names, arg, conv == 'S' || longs > 0, precision);
			break;
		case 'c':
			snprintf(spec, sizeof(spec), "%%%s*c", flags);
			snprintf(out, sizeof(out), spec, width < 0 ? 0 : width, (unsigned char)arg);
			put_text(w, out, strlen(out));
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A': {
			double d;
			memcpy(&d, &arg, sizeof(d));
			snprintf(spec, sizeof(spec), "%%%s*.*%c", flags, conv);
			snprintf(out, sizeof(out), spec, width < 0 ? 0 : width, precision < 0 ? 6 : precision, d);
			clrsos_out(w, out);
			break;
		}
		default: {
			/* Integers: a plain or h-sized one is the argument's low 32 bits. */
			bool is_signed = conv == 'd' || conv == 'i';
			uint64_t v = arg;
			if (longs == 0) {
				v = half ? (uint16_t)arg : (uint32_t)arg;
				if (is_signed)
					v = half ? (uint64_t)(int64_t)(int16_t)arg : (uint64_t)(int64_t)(int32_t)arg;
			}
			snprintf(spec, sizeof(spec), "%%%s*.*ll%c", flags, conv);
			if (is_signed)
				snprintf(out, sizeof(out), spec, width < 0 ? 0 : width, precision, (long long)v);
			else
				snprintf(out, sizeof(out), spec, width < 0 ? 0 : width, precision, (unsigned long long)v);
			clrsos_out(w, out);
			break;
		}
		}
	}
}

static size_t target_read(void *ctx, uint64_t address, void *buf, size_t size)
{
	struct clrsos_stresslog_target_names *c = ctx;
	size_t got = 0;
	struct clrsos_error *err = clrsos_target_read_partial(c->target, address, buf, size, &got);
	if (err) {
		clrsos_error_destroy(err);
		return 0;
	}
	return got;
}

/* Names by address: an entry holds the name, or NULL when the address is none. */
CLRSOS_HASHMAP(name_map, uint64_t, char *, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

struct clrsos_stresslog_name_cache {
	struct name_map method_tables, method_descs, code;
};

static void name_map_free(struct name_map *m)
{
	for (struct name_map_entry *e = name_map_first(m); e; e = name_map_next(m, e))
		free(e->value);
	name_map_deinit(m);
}

void clrsos_stresslog_target_names_deinit(struct clrsos_stresslog_target_names *ctx)
{
	if (!ctx->cache)
		return;
	name_map_free(&ctx->cache->method_tables);
	name_map_free(&ctx->cache->method_descs);
	name_map_free(&ctx->cache->code);
	free(ctx->cache);
	ctx->cache = NULL;
}

/*
 * The name of address from the cache's map (which), asked of look_up the
 * first time; a copy for the caller (the formatter frees it). Address 0,
 * or no memory for the cache: asked every time.
 */
static char *cached_name(struct clrsos_stresslog_target_names *c, size_t which, uint64_t address,
			 char *(*look_up)(struct clrsos_stresslog_target_names *c, uint64_t address))
{
	if (!c->cache && !(c->cache = calloc(1, sizeof(*c->cache))))
		return look_up(c, address);
	struct name_map *maps[] = {&c->cache->method_tables, &c->cache->method_descs, &c->cache->code};
	struct name_map_entry *e;
	bool inserted;
	if (address == 0 || name_map_insert(maps[which], address, &e, &inserted))
		return look_up(c, address);
	if (inserted)
		e->value = look_up(c, address);
	return e->value ? strdup(e->value) : NULL;
}

static char *look_up_method_table(struct clrsos_stresslog_target_names *c, uint64_t mt)
{
	char *name = NULL;
	if (!c->dac)
		return NULL;
	/* Only a valid MethodTable is named (SOS: IsMethodTable first). */
	struct clrsos_dacp_method_table_data data;
	struct clrsos_error *err = clrsos_dac_method_table_data(c->dac, mt, &data);
	if (!err)
		err = clrsos_dac_method_table_name(c->dac, mt, &name);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	return name;
}

static char *look_up_method_desc(struct clrsos_stresslog_target_names *c, uint64_t md)
{
	char *name = NULL;
	if (!c->dac)
		return NULL;
	struct clrsos_error *err = clrsos_dac_method_desc_name(c->dac, md, &name);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	return name;
}

static char *look_up_code(struct clrsos_stresslog_target_names *c, uint64_t address)
{
	return c->code ? c->code(c->code_ctx, address) : NULL;
}

static char *target_method_table(void *ctx, uint64_t mt)
{
	return cached_name(ctx, 0, mt, look_up_method_table);
}

static char *target_method_desc(void *ctx, uint64_t md)
{
	return cached_name(ctx, 1, md, look_up_method_desc);
}

static char *target_code(void *ctx, uint64_t address)
{
	return cached_name(ctx, 2, address, look_up_code);
}

void clrsos_stresslog_names_of_target(struct clrsos_stresslog_target_names *ctx,
				      struct clrsos_stresslog_names *ret)
{
	ret->ctx = ctx;
	ret->read = target_read;
	ret->method_table = target_method_table;
	ret->method_desc = target_method_desc;
	ret->code = target_code;
}

/* The merged order across threads: a heap of threads, the one whose next message is newest on top. */
static bool heap_before(const struct clrsos_stresslog *log, const struct clrsos_stresslog_cursor *c, size_t a,
			size_t b)
{
	uint64_t ta = log->threads[a].msgs[c->pos[a]].timestamp, tb = log->threads[b].msgs[c->pos[b]].timestamp;
	return ta != tb ? ta > tb : a < b;
}

static void heap_down(const struct clrsos_stresslog *log, struct clrsos_stresslog_cursor *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < c->heap_count && heap_before(log, c, c->heap[l], c->heap[top]))
			top = l;
		if (r < c->heap_count && heap_before(log, c, c->heap[r], c->heap[top]))
			top = r;
		if (top == i)
			return;
		size_t t = c->heap[i];
		c->heap[i] = c->heap[top];
		c->heap[top] = t;
		i = top;
	}
}

struct clrsos_error *clrsos_stresslog_cursor_init(const struct clrsos_stresslog *log,
						  struct clrsos_stresslog_cursor *cursor)
{
	size_t n = log->thread_count ? log->thread_count : 1;
	cursor->pos = calloc(n, sizeof(*cursor->pos));
	cursor->heap = malloc(n * sizeof(*cursor->heap));
	cursor->heap_count = 0;
	if (!cursor->pos || !cursor->heap) {
		clrsos_stresslog_cursor_deinit(cursor);
		return &clrsos_error_no_memory;
	}
	for (size_t t = 0; t < log->thread_count; t++)
		if (log->threads[t].msg_count)
			cursor->heap[cursor->heap_count++] = t;
	for (size_t i = cursor->heap_count / 2; i-- > 0;)
		heap_down(log, cursor, i);
	return NULL;
}

void clrsos_stresslog_cursor_deinit(struct clrsos_stresslog_cursor *cursor)
{
	free(cursor->pos);
	free(cursor->heap);
	cursor->pos = NULL;
	cursor->heap = NULL;
	cursor->heap_count = 0;
}

bool clrsos_stresslog_next(const struct clrsos_stresslog *log, struct clrsos_stresslog_cursor *cursor,
			   size_t *ret_thread, const struct clrsos_stresslog_msg **ret, bool *ret_done)
{
	if (cursor->heap_count == 0)
		return false;
	size_t best = cursor->heap[0];
	*ret_thread = best;
	*ret = &log->threads[best].msgs[cursor->pos[best]++];
	*ret_done = cursor->pos[best] >= log->threads[best].msg_count;
	if (*ret_done)
		cursor->heap[0] = cursor->heap[--cursor->heap_count];
	if (cursor->heap_count)
		heap_down(log, cursor, 0);
	return true;
}

/* The format string of a message (256 bytes at most), NUL-terminated; "" when unreadable. */
static bool read_format(struct clrsos_target *target, const struct clrsos_stresslog *log, uint64_t offset,
			char buf[FORMAT_MAX + 1])
{
	size_t got = 0;
	struct clrsos_error *err =
		clrsos_target_read_partial(target, clrsos_stresslog_format_address(log, offset), buf, FORMAT_MAX, &got);
	if (err) {
		clrsos_error_destroy(err);
		buf[0] = 0;
		return false;
	}
	buf[got] = 0;
	return true;
}

/* Format strings by offset: an entry holds the text, or NULL when it could not be read. */
CLRSOS_HASHMAP(format_map, uint64_t, char *, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

const char *clrsos_stresslog_formats_get(struct clrsos_stresslog_formats *formats, struct clrsos_target *target,
					 const struct clrsos_stresslog *log, uint64_t format_offset)
{
	char buf[FORMAT_MAX + 1];
	if (!formats->map && !(formats->map = calloc(1, sizeof(struct format_map))))
		return NULL;
	struct format_map *map = formats->map;
	struct format_map_entry *e;
	bool inserted;
	if (format_offset == 0 || format_map_insert(map, format_offset, &e, &inserted))
		return NULL;
	if (inserted && read_format(target, log, format_offset, buf))
		e->value = strdup(buf);
	return e->value;
}

void clrsos_stresslog_formats_deinit(struct clrsos_stresslog_formats *formats)
{
	struct format_map *map = formats->map;
	if (!map)
		return;
	for (struct format_map_entry *e = format_map_first(map); e; e = format_map_next(map, e))
		free(e->value);
	format_map_deinit(map);
	free(map);
	formats->map = NULL;
}

void clrsos_gchist_destroy(struct clrsos_gchist *hist)
{
	if (!hist || !hist->gcs) {
		free(hist);
		return;
	}
	/* Past gc_count, one record may hold messages older than the oldest GC start. */
	for (size_t i = 0; i < CLRSOS_GCHIST_MAX_GCS; i++) {
		free(hist->gcs[i].plugs);
		free(hist->gcs[i].relocs);
		free(hist->gcs[i].promotes);
	}
	free(hist->gcs);
	free(hist);
}

#define GROW(arr, count)                                                            \
	do {                                                                        \
		if (((count) & ((count) + 1)) == 0 || (count) == 0) {               \
			size_t cap_ = (count) ? ((count) + 1) * 2 : 8;              \
			void *p_ = realloc((arr), cap_ * sizeof(*(arr)));           \
			if (!p_)                                                    \
				goto no_memory;                                     \
			memcpy(&(arr), &p_, sizeof(p_));                            \
		}                                                                   \
	} while (0)

CLRSOS_HASHMAP(format_kinds, uint64_t, int, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

struct clrsos_error *clrsos_gchist_build(struct clrsos_target *target, const struct clrsos_stresslog *log,
					 struct clrsos_watch *watch, struct clrsos_gchist **ret)
{
	*ret = NULL;
	struct clrsos_gchist *hist = calloc(1, sizeof(*hist));
	if (!hist)
		return &clrsos_error_no_memory;
	hist->gcs = calloc(CLRSOS_GCHIST_MAX_GCS, sizeof(*hist->gcs));
	if (!hist->gcs) {
		free(hist);
		return &clrsos_error_no_memory;
	}
	struct clrsos_stresslog_cursor cursor;
	struct clrsos_error *err = clrsos_stresslog_cursor_init(log, &cursor);
	if (err) {
		clrsos_gchist_destroy(hist);
		return err;
	}
	/* Each format is read once, by its offset: which GC record it is, or none (-1). */
	struct format_kinds known;
	format_kinds_init(&known);
	size_t thread;
	const struct clrsos_stresslog_msg *m;
	bool done;
	char fmt[FORMAT_MAX + 1];
	/* hist->gcs[gc_count] collects the records of the GC whose start comes next (older). */
	while (hist->gc_count < CLRSOS_GCHIST_MAX_GCS && clrsos_stresslog_next(log, &cursor, &thread, &m, &done)) {
		hist->messages++;
		if (m->format_offset == 0)
			continue;
		if ((err = clrsos_watch_tick(watch)))
			break;
		struct format_kinds_entry *e;
		bool inserted;
		if ((err = format_kinds_insert(&known, m->format_offset, &e, &inserted)))
			break;
		if (inserted) {
			int kind = -1;
			if (read_format(target, log, m->format_offset, fmt)) {
				if (!strcmp(fmt, clrsos_stresslog_gc_plug_move_msg))
					kind = 1;
				else if (!strcmp(fmt, clrsos_stresslog_gc_root_msg))
					kind = 2;
				else if (!strcmp(fmt, clrsos_stresslog_gc_promote_msg))
					kind = 3;
				else if (!strcmp(fmt, clrsos_stresslog_gc_start_msg))
					kind = 4;
			}
			e->value = kind;
		}
		int kind = e->value;
		struct clrsos_gchist_gc *gc = &hist->gcs[hist->gc_count];
		if (kind == 1 && m->arg_count >= 3) {
			GROW(gc->plugs, gc->plug_count);
			gc->plugs[gc->plug_count++] = (struct clrsos_gchist_plug){m->args[0], m->args[1], m->args[2]};
		} else if (kind == 2 && m->arg_count >= 4) {
			GROW(gc->relocs, gc->reloc_count);
			gc->relocs[gc->reloc_count++] =
				(struct clrsos_gchist_reloc){m->args[0], m->args[1], m->args[2], m->args[3]};
		} else if (kind == 3 && m->arg_count >= 3) {
			GROW(gc->promotes, gc->promote_count);
			gc->promotes[gc->promote_count++] =
				(struct clrsos_gchist_promote){m->args[0], m->args[1], m->args[2]};
		} else if (kind == 4 && m->arg_count >= 1) {
			gc->gc_count = m->args[0];
			hist->gc_count++;
		}
	}
	clrsos_stresslog_cursor_deinit(&cursor);
	format_kinds_deinit(&known);
	if (err) {
		clrsos_gchist_destroy(hist);
		return err;
	}
	*ret = hist;
	return NULL;
no_memory:
	clrsos_stresslog_cursor_deinit(&cursor);
	format_kinds_deinit(&known);
	clrsos_gchist_destroy(hist);
	return &clrsos_error_no_memory;
}
