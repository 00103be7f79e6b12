/*
 * A nettrace stream: the format EventPipe writes, to a file or down a
 * diagnostics-IPC connection ("Nettrace", then FastSerialization objects:
 * the Trace object, then MetadataBlock, StackBlock, EventBlock and SPBlock
 * objects, then the null end tag).
 *
 * The reader is push-driven so that the same code reads a file and a live
 * session: feed it bytes as they arrive, in pieces of any size; it calls
 * back once per event, in stream order, with the event's metadata (its
 * provider, name and field list, from the stream's own MetadataBlocks) and
 * its payload bytes. A stream that breaks the format gets an error naming
 * the byte offset; nothing the stream says is trusted for a size or a count
 * before it is checked against what remains.
 *
 * Payloads are decoded by the event's own metadata: clrsos_nettrace_payload_
 * walk() visits each field (nested structs and arrays too) with its path and
 * value, and clrsos_nettrace_payload_find() picks one field by name.
 *
 * The format read is the one .NET 5 to 10 write, to a file and over IPC:
 * "Nettrace", the FastSerialization header "!FastSerialization.1", then
 * objects (BeginPrivateObject 5, the type object, the fields, EndObject 6):
 * Trace (version 4), MetadataBlock, EventBlock, StackBlock, SPBlock (all
 * version 2); the blocks' contents are 4-byte aligned to the stream's
 * start. Metadata is the V5 layout (UTF-16 names, a V1 field list, and
 * optional tags: OpCode, V2Params with arrays). The V6 layout (no
 * FastSerialization; a newer client may ask for it) is refused by name.
 * Stacks and sequence points are checked for shape and skipped.
 */
#ifndef CLRSOS_NETTRACE_H
#define CLRSOS_NETTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* TypeCode values of the metadata's field descriptions (System.TypeCode, plus EventPipe's Array). */
enum clrsos_nettrace_type {
	CLRSOS_NETTRACE_EMPTY = 0,
	CLRSOS_NETTRACE_OBJECT = 1,  /* a struct: nested fields */
	CLRSOS_NETTRACE_BOOLEAN = 3, /* 4 bytes */
	CLRSOS_NETTRACE_CHAR = 4,    /* UTF-16 unit */
	CLRSOS_NETTRACE_SBYTE = 5,
	CLRSOS_NETTRACE_BYTE = 6,
	CLRSOS_NETTRACE_INT16 = 7,
	CLRSOS_NETTRACE_UINT16 = 8,
	CLRSOS_NETTRACE_INT32 = 9,
	CLRSOS_NETTRACE_UINT32 = 10,
	CLRSOS_NETTRACE_INT64 = 11,
	CLRSOS_NETTRACE_UINT64 = 12,
	CLRSOS_NETTRACE_SINGLE = 13,
	CLRSOS_NETTRACE_DOUBLE = 14,
	CLRSOS_NETTRACE_DECIMAL = 15,
	CLRSOS_NETTRACE_DATETIME = 16,
	CLRSOS_NETTRACE_GUID = 17,
	CLRSOS_NETTRACE_STRING = 18, /* NUL-terminated UTF-16 */
	CLRSOS_NETTRACE_ARRAY = 19,  /* uint16 count, then elements */
};

/* One field of an event's metadata; an OBJECT has fields, an ARRAY one element. */
struct clrsos_nettrace_field {
	char *name; /* UTF-8; NULL for an array's element */
	enum clrsos_nettrace_type type;
	struct clrsos_nettrace_field *element; /* ARRAY: the element's description */
	struct clrsos_nettrace_field *fields;  /* OBJECT: its fields */
	size_t field_count;
	size_t min_size; /* the fewest payload bytes a value takes (0: a struct of nothing) */
};

/* Bounds on what a stream's metadata may describe (more is a format error). */
enum {
	CLRSOS_NETTRACE_MAX_DEPTH = 8,     /* structs and arrays nested in each other */
	CLRSOS_NETTRACE_MAX_FIELDS = 1024, /* field descriptions in one event's metadata, all levels */
	CLRSOS_NETTRACE_MAX_BLOCK = 16 << 20, /* bytes in one block (the runtime writes at most ~100 KB) */
	CLRSOS_NETTRACE_MAX_METADATA = 1 << 18, /* metadata ids defined in one stream */
};

/* An event's metadata, as the stream's MetadataBlock described it. */
struct clrsos_nettrace_metadata {
	uint32_t id;     /* the MetadataId events refer to */
	char *provider;  /* UTF-8 */
	uint32_t event_id;
	char *event_name; /* UTF-8; "" when the stream gives none */
	uint64_t keywords;
	uint32_t version;
	uint32_t level;
	uint8_t opcode;   /* from the OpCode tag; 0 without one */
	struct clrsos_nettrace_field *fields;
	size_t field_count;
	/*
	 * Non-NULL when the field descriptions could not be read (an unknown
	 * type code, nesting too deep...): the events still arrive, their
	 * payloads cannot be walked (the walk fails with this reason). As
	 * TraceEvent does: a new kind of field must not end a live session.
	 */
	const char *fields_error;
};

/* One event, valid only during the callback. */
struct clrsos_nettrace_event {
	const struct clrsos_nettrace_metadata *metadata;
	uint64_t offset; /* the stream offset of its header (named in payload errors) */
	uint64_t sequence;
	uint64_t capture_thread;
	uint64_t thread;
	uint32_t processor;
	uint32_t stack_id; /* 0: none; stacks are skipped */
	uint64_t timestamp; /* QPC ticks; seconds = (timestamp - trace.qpc_sync) / trace.qpc_frequency */
	const uint8_t *payload;
	size_t payload_size;
};

/* What the Trace object says of the whole stream. */
struct clrsos_nettrace_trace {
	int64_t qpc_sync;       /* the QPC timestamp of sync_time */
	int64_t qpc_frequency;  /* ticks per second */
	uint16_t sync_time[8];  /* SYSTEMTIME: year, month, dow, day, hour, minute, second, ms */
	uint32_t pointer_size;
	uint32_t process_id;
	uint32_t processor_count;
	uint32_t format_version; /* the Trace object's version: 4 for .NET 5 to 10 */
	uint32_t sampling_rate_ns; /* ExpectedCPUSamplingRate */
};

/*
 * Called once per event; a non-NULL return stops the reader and is what
 * clrsos_nettrace_feed() returns. Called with trace filled in before the
 * first event.
 */
typedef struct clrsos_error *(*clrsos_nettrace_event_fn)(void *ctx,
		const struct clrsos_nettrace_trace *trace,
		const struct clrsos_nettrace_event *event);

struct clrsos_nettrace_reader;

/* NULL on out of memory. */
struct clrsos_nettrace_reader *clrsos_nettrace_reader_create(clrsos_nettrace_event_fn fn, void *ctx);
void clrsos_nettrace_reader_destroy(struct clrsos_nettrace_reader *reader);

/* Push the next n bytes of the stream (any split). */
struct clrsos_error *clrsos_nettrace_feed(struct clrsos_nettrace_reader *reader, const uint8_t *data, size_t n);

/* The stream has ended: an error unless it ended at an object boundary (the end tag, or for a live session any whole block). */
struct clrsos_error *clrsos_nettrace_finish(struct clrsos_nettrace_reader *reader);

/* Bytes consumed so far (offsets in errors are counted the same way). */
uint64_t clrsos_nettrace_offset(const struct clrsos_nettrace_reader *reader);

/*
 * Whether the stream's end tag was read. A runtime that exits without
 * closing its session (SIGTERM on .NET 10) leaves a file that stops after
 * a whole object without it.
 */
int clrsos_nettrace_ended(const struct clrsos_nettrace_reader *reader);

/* A decoded scalar: one of the members, by field->type. Strings are UTF-8, owned by the walk (valid in the callback only). */
struct clrsos_nettrace_value {
	const struct clrsos_nettrace_field *field;
	const char *path; /* "Payload.Name", "Tags", "Quantiles[2]": dots between struct levels, [i] for array elements */
	union {
		int64_t i;   /* signed integers, BOOLEAN, CHAR, DATETIME (a FILETIME: 100 ns since 1601, UTC) */
		uint64_t u;  /* unsigned integers */
		double d;    /* SINGLE, DOUBLE */
		const char *s; /* STRING */
		uint8_t guid[16]; /* GUID, DECIMAL: the 16 bytes as written */
	} v;
};

typedef struct clrsos_error *(*clrsos_nettrace_value_fn)(void *ctx, const struct clrsos_nettrace_value *value);

/* Visit every scalar field of the payload in order; an error if the payload is shorter than its metadata says. */
struct clrsos_error *clrsos_nettrace_payload_walk(const struct clrsos_nettrace_event *event,
						  clrsos_nettrace_value_fn fn, void *ctx);

/*
 * The value of the scalar field at path (as in clrsos_nettrace_value.path).
 * Strings are copied into a new UTF-8 string the caller frees (*string).
 * CLRSOS_ERROR_OTHER "no field <path>" if the event has none.
 */
struct clrsos_error *clrsos_nettrace_payload_find(const struct clrsos_nettrace_event *event, const char *path,
						  struct clrsos_nettrace_value *value, char **string);

#endif
