#include "snapshot.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "dac/dac.h"
#include "model/roots.h"

/* Where the loader puts what the snapshot does not place itself. */
#define SEGMENT_RECORD(i) ((uint64_t)0x7d0000000000 + (uint64_t)(i) * 0x100)
#define HANDLES ((uint64_t)0x560000100000)
#define THREAD_OBJECT ((uint64_t)0x5600000a0000)

/* More output than any command prints for a heap this size: a runaway loop. */
#define MAX_OUTPUT ((uint64_t)256 << 20)

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static uint64_t get(struct cursor *c, size_t n)
{
	const uint8_t *p = take(c, n);
	uint64_t v = 0;
	for (size_t i = 0; p && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put(struct snapshot *s, uint64_t address, const void *bytes, size_t n)
{
	for (size_t i = 0; i < s->fake.nregions; i++) {
		struct fake_region *r = &s->fake.regions[i];
		if (address >= r->address && address - r->address <= r->size && n <= r->size - (address - r->address)) {
			memcpy(r->bytes + (address - r->address), bytes, n);
			return;
		}
	}
	abort(); /* the loader's own mistake */
}

static void count_output(void *ctx, const char *text, size_t size)
{
	struct snapshot *s = ctx;
	if (s->show)
		fwrite(text, 1, size, stdout);
	s->output_bytes += size;
	if (s->output_bytes > MAX_OUTPUT)
		abort(); /* endless output */
}

static int load_types(struct snapshot *s, struct cursor *c, uint16_t special[4])
{
	s->ntypes = get(c, 2);
	for (int i = 0; i < 4; i++)
		special[i] = (uint16_t)get(c, 2);
	if (c->bad || !s->ntypes || s->ntypes > SNAPSHOT_MAX_TYPES)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (special[i] >= s->ntypes)
			return -1;
	}
	fake_target_add_region(&s->fake, SNAPSHOT_MT_BASE, NULL, 0x1000 + s->ntypes * 0x200);
	memset(s->fake.regions[s->fake.nregions - 1].bytes, 0, 0x1000 + s->ntypes * 0x200);
	for (size_t k = 0; k < s->ntypes; k++) {
		uint32_t flags = (uint32_t)get(c, 4), base = (uint32_t)get(c, 4), dac_base = (uint32_t)get(c, 4);
		uint32_t component = (uint32_t)get(c, 4);
		uint8_t bits = (uint8_t)get(c, 1);
		size_t gcdesc_len = get(c, 2);
		if (c->bad || gcdesc_len > SNAPSHOT_MAX_GCDESC)
			return -1;
		const uint8_t *gcdesc = take(c, gcdesc_len);
		size_t name_len = get(c, 1);
		const uint8_t *name = take(c, name_len);
		if (c->bad || !(s->names[k] = strndup((const char *)name, name_len)))
			return -1;
		uint64_t mt = SNAPSHOT_MT(k);
		put(s, mt - gcdesc_len, gcdesc, gcdesc_len);
		put(s, mt, &flags, 4);
		put(s, mt + 4, &base, 4);
		fake_dac_add_type(&s->d, mt, s->names[k], dac_base, component, bits & 1, (bits & 2) != 0);
	}
	s->d.globals.free_method_table = SNAPSHOT_MT(special[0]);
	s->d.globals.string_method_table = SNAPSHOT_MT(special[1]);
	s->d.globals.array_method_table = SNAPSHOT_MT(special[2]);
	s->d.globals.object_method_table = SNAPSHOT_MT(special[3]);
	return 0;
}

static int load_segments(struct snapshot *s, struct cursor *c)
{
	size_t n = get(c, 1);
	if (c->bad || !n || n > SNAPSHOT_MAX_SEGMENTS)
		return -1;
	uint64_t start[SNAPSHOT_MAX_SEGMENTS], len[SNAPSHOT_MAX_SEGMENTS];
	int gen[SNAPSHOT_MAX_SEGMENTS];
	for (size_t i = 0; i < n; i++) {
		start[i] = get(c, 8);
		gen[i] = (int)get(c, 1);
		len[i] = get(c, 4);
		if (c->bad || gen[i] > 4 || len[i] > SNAPSHOT_MAX_SEGMENT || (start[i] & 7) || start[i] < 0x100000000ull ||
		    start[i] > 0x7ff000000000ull)
			return -1;
		/* Segments apart from each other and from the loader's own places. */
		for (size_t k = 0; k < i; k++) {
			if (start[i] < start[k] + len[k] + 0x1000 && start[k] < start[i] + len[i] + 0x1000)
				return -1;
		}
		static const uint64_t fixed[][2] = {
			{SNAPSHOT_MT_BASE, 0x1000 + SNAPSHOT_MAX_TYPES * 0x200},
			{HANDLES, 8 * SNAPSHOT_MAX_ROOTS},
		};
		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
			if (start[i] < fixed[k][0] + fixed[k][1] + 0x1000 && fixed[k][0] < start[i] + len[i] + 0x1000)
				return -1;
		}
		const uint8_t *bytes = take(c, len[i]);
		if (!bytes)
			return -1;
		/* The header word before the first object, and a little after the last. */
		uint8_t *r = fake_target_add_region(&s->fake, start[i] - 0x20, NULL, len[i] + 0x40);
		memset(r, 0, len[i] + 0x40);
		memcpy(r + 0x20, bytes, len[i]);
	}
	/* Each generation's regions in a list, in the order given; each generation needs one. */
	struct fake_heap *h = fake_dac_add_heap(&s->d, 0);
	int first[5] = {-1, -1, -1, -1, -1};
	for (size_t i = 0; i < n; i++) {
		uint64_t next = 0;
		for (size_t k = i + 1; k < n && !next; k++) {
			if (gen[k] == gen[i])
				next = SEGMENT_RECORD(k);
		}
		struct fake_segment *seg = fake_dac_add_segment(&s->d, SEGMENT_RECORD(i), start[i], start[i] + len[i],
								start[i] + len[i], next);
		seg->data.reserved = start[i] + len[i] + 0x1000;
		if (first[gen[i]] < 0)
			first[gen[i]] = (int)i;
	}
	for (int g = 0; g < 5; g++) {
		if (first[g] < 0)
			return -1;
		fake_dac_set_generation(h, g, SEGMENT_RECORD(first[g]), start[first[g]]);
	}
	h->details.ephemeral_heap_segment = SEGMENT_RECORD(first[0]);
	h->details.alloc_allocated = start[first[0]] + len[first[0]];
	return 0;
}

static int load_roots(struct snapshot *s, struct cursor *c)
{
	size_t n = get(c, 2);
	if (c->bad || n > SNAPSHOT_MAX_ROOTS)
		return -1;
	size_t nhandles = 0;
	struct fake_thread_rec *thread = NULL;
	if (n)
		fake_target_add_region(&s->fake, HANDLES, NULL, 8 * n);
	for (size_t i = 0; i < n; i++) {
		int kind = (int)get(c, 1);
		uint64_t object = get(c, 8), secondary = get(c, 8);
		if (c->bad || kind > 5)
			return -1;
		static const uint32_t types[] = {CLRSOS_HANDLE_STRONG, CLRSOS_HANDLE_PINNED, CLRSOS_HANDLE_WEAK_SHORT,
						 CLRSOS_HANDLE_DEPENDENT};
		if (kind <= 3) {
			uint64_t slot = HANDLES + 8 * nhandles++;
			put(s, slot, &object, 8);
			fake_dac_add_handle(&s->d, slot, types[kind], kind == 3 ? secondary : 0, 0);
		} else {
			if (!thread)
				thread = fake_dac_add_thread(&s->d, THREAD_OBJECT, 0x1234, 0, 0);
			if (thread->nrefs == FAKE_MAX_STACK_REFS)
				return -1;
			fake_dac_add_stack_ref(thread, object, kind == 5 ? CLRSOS_STACK_REF_INTERIOR : 0);
		}
	}
	return 0;
}

int snapshot_load(struct snapshot *s, const uint8_t *data, size_t size)
{
	memset(s, 0, sizeof(*s));
	fake_target_init(&s->fake);
	fake_dac_init(&s->d);
	s->out.write = count_output;
	s->show = getenv("CLRSOS_FUZZ_SHOW") != NULL;
	s->out.ctx = s;
	struct cursor c = {data, size, false};
	const uint8_t *magic = take(&c, 8);
	uint16_t special[4];
	const char *stage = !magic || memcmp(magic, "CLRSOSF1", 8) != 0 ? "magic"
			    : load_types(s, &c, special)			      ? "types"
			    : load_segments(s, &c)				      ? "segments"
			    : load_roots(s, &c)					      ? "roots"
										      : NULL;
	if (stage) {
		if (s->show)
			fprintf(stderr, "snapshot: not loaded: bad %s\n", stage);
		return -1;
	}
	s->nqueries = get(&c, 1);
	if (c.bad || s->nqueries > SNAPSHOT_MAX_QUERIES)
		return -1;
	for (size_t i = 0; i < s->nqueries; i++)
		s->queries[i] = get(&c, 8);
	if (c.bad)
		return -1;
	struct clrsos_target *target = fake_target_create(&s->fake);
	if (clrsos_session_create(target, &s->settings, &s->session))
		abort();
	struct clrsos_dac *dac = NULL;
	if (clrsos_dac_from_instance(target, &s->d.process, "fake", &dac))
		abort();
	clrsos_session_set_dac(s->session, dac);
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	clrsos_session_destroy(s->session);
	fake_target_fini(&s->fake);
	fake_dac_fini(&s->d);
	clrsos_settings_deinit(&s->settings);
	for (size_t i = 0; i < s->ntypes && i < SNAPSHOT_MAX_TYPES; i++)
		free(s->names[i]);
}

void snapshot_run(struct snapshot *s, clrsos_command_fn *cmd, int argc, const char *const *argv)
{
	struct clrsos_host host = {.settings = &s->settings};
	struct clrsos_error *err = cmd(s->session, &host, argc, argv, &s->out);
	if (err && s->show)
		printf("error: %s\n", err->message);
	if (err) {
		/* One line, always. */
		if (!err->message[0] || strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
	}
}
