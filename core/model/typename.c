/*
 * DAC type names to the C#-like names ClrMD (and so SOS) prints; the rules
 * are in typename.h.
 *
 * One pass over the name, no recursion: generic arguments nest as deep as
 * the name does, so the parser keeps its own stack of frames on the heap,
 * one per type being read. Output is written as the input is read: a
 * chain's segments are emitted as the argument list hands out arguments to
 * them, since the arguments come in the order their segments are printed.
 * Each character is looked at a bounded number of times, so the time is
 * linear in the name; the output is the input minus arities and assembly
 * names, plus "<>", ", " and T1, T2, ... placeholders (capped below).
 */
#include "model/typename.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"

enum {
	/* a larger arity is taken for a garbled name */
	TYPENAME_MAX_ARITY = 1024,
	/* more T1, T2, ... placeholders in one name: garbled */
	TYPENAME_MAX_PLACEHOLDERS = 4096,
};

/* One type being read: its chain of '+' segments and the open segment. */
struct typename_frame {
	const char *next;      /* the next segment of the chain not yet emitted */
	const char *chain_end; /* where the chain's last segment ends */
	unsigned arity;        /* of the segment whose "<" is open; 0: no limit */
	unsigned filled;       /* arguments given to that segment so far */
	bool emitted;          /* a segment was emitted: the next needs '+' */
	bool in_args;          /* an argument: ',' ends its names */
	bool qualified;        /* an argument "[Type, Assembly]" */
};

struct typename_parser {
	char *out;
	size_t len, cap;
	struct typename_frame *frames;
	size_t depth, frames_cap;
	unsigned placeholders;
	bool no_memory;
	bool garbled;
};

/* One segment of a chain: "Name" or "Name`N". */
struct typename_segment {
	const char *name;
	size_t name_len;
	unsigned arity;
	const char *end; /* after the name and its arity */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void put(struct typename_parser *ps, const char *s, size_t n)
{
	if (ps->no_memory)
		return;
	if (n > SIZE_MAX - ps->len - 1 || clrsos_array_reserve(&ps->out, &ps->cap, ps->len + n + 1)) {
		ps->no_memory = true;
		return;
	}
	memcpy(ps->out + ps->len, s, n);
	ps->len += n;
	ps->out[ps->len] = '\0';
}

/* ", T2, T3": the placeholders of arguments first..arity-1 (0-based). */
static void put_placeholders(struct typename_parser *ps, unsigned first,
			     unsigned arity)
{
	if (arity - first > TYPENAME_MAX_PLACEHOLDERS - ps->placeholders) {
		ps->garbled = true;
		return;
	}
	ps->placeholders += arity - first;
	for (unsigned i = first; i < arity; i++) {
		char text[16];
		int n = snprintf(text, sizeof(text), "%sT%u", i ? ", " : "",
				 i + 1);
		put(ps, text, (size_t)n);
	}
}

/* Whether c ends a chain segment's name (after its arity, if any). */
static bool ends_segment(char c, bool in_args)
{
	return c == '\0' || c == '[' || c == ']' || c == '+' ||
	       (in_args && c == ',');
}

/*
 * Read one segment at p. A '\' keeps the next character in the name; a '`'
 * not followed by a digit is part of the name. False if the name is empty
 * or the arity is zero, too large, or followed by anything but the end of
 * the segment.
 */
static bool scan_segment(const char *p, bool in_args,
			 struct typename_segment *seg)
{
	seg->name = p;
	while (!ends_segment(*p, in_args) && !(*p == '`' && is_digit(p[1])))
		p += (*p == '\\' && p[1]) ? 2 : 1;
	seg->name_len = (size_t)(p - seg->name);
	seg->arity = 0;
	if (*p == '`') {
		unsigned arity = 0;
		for (p++; is_digit(*p); p++) {
			arity = arity * 10 + (unsigned)(*p - '0');
			if (arity > TYPENAME_MAX_ARITY)
				return false;
		}
		if (!arity || !ends_segment(*p, in_args))
			return false;
		seg->arity = arity;
	}
	seg->end = p;
	return seg->name_len != 0;
}

/* The frame's next segment, if the chain has one left; moves past it. */
static bool next_segment(struct typename_frame *f, struct typename_segment *seg)
{
	if (f->next >= f->chain_end || !scan_segment(f->next, f->in_args, seg))
		return false;
	f->next = seg->end < f->chain_end ? seg->end + 1 : seg->end;
	return true;
}

static void put_segment_name(struct typename_parser *ps,
			     struct typename_frame *f,
			     const struct typename_segment *seg)
{
	if (f->emitted)
		put(ps, "+", 1);
	f->emitted = true;
	put(ps, seg->name, seg->name_len);
}

/*
 * Emit the chain up to its next generic segment and open that segment's
 * "<". False if no generic segment is left (more arguments than arities).
 */
static bool open_next_generic(struct typename_parser *ps,
			      struct typename_frame *f)
{
	struct typename_segment seg;
	while (next_segment(f, &seg)) {
		put_segment_name(ps, f, &seg);
		if (seg.arity) {
			put(ps, "<", 1);
			f->arity = seg.arity;
			f->filled = 0;
			return true;
		}
	}
	return false;
}

/* Emit what is left of the chain, generic segments with placeholders. */
static void put_rest_of_chain(struct typename_parser *ps,
			      struct typename_frame *f)
{
	struct typename_segment seg;
	while (next_segment(f, &seg)) {
		put_segment_name(ps, f, &seg);
		if (seg.arity) {
			put(ps, "<", 1);
			put_placeholders(ps, 0, seg.arity);
			put(ps, ">", 1);
		}
	}
}

/* Copy array ("[]", "[,,]", "[*]"), pointer and by-ref suffixes. */
static const char *put_suffixes(struct typename_parser *ps, const char *p)
{
	for (;;) {
		if (*p == '*' || *p == '&') {
			put(ps, p, 1);
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;
			if (*q == '*')
				q++;
			else
				while (*q == ',')
					q++;
			if (*q != ']')
				return p;
			put(ps, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else {
			return p;
		}
	}
}

static struct typename_frame *push_frame(struct typename_parser *ps,
					 bool in_args, bool qualified)
{
	if (clrsos_array_reserve(&ps->frames, &ps->frames_cap, ps->depth + 1)) {
		ps->no_memory = true;
		return NULL;
	}
	struct typename_frame *f = &ps->frames[ps->depth++];
	memset(f, 0, sizeof(*f));
	f->in_args = in_args;
	f->qualified = qualified;
	return f;
}

/* Whether the '[' before c starts an array suffix, not an argument list. */
static bool is_array_suffix(char c)
{
	return c == ']' || c == ',' || c == '*' || c == '\0';
}

enum typename_state {
	TYPENAME_TYPE,   /* at the start of a type (the name or an argument) */
	TYPENAME_ARG,    /* at the start of an argument in a list */
	TYPENAME_SUFFIX, /* after a type's chain and arguments */
};

/*
 * Read the type and its whole argument tree. On return, ps->no_memory or
 * ps->garbled tells whether ps->out is good.
 */
static void parse(struct typename_parser *ps, const char *p)
{
	enum typename_state state = TYPENAME_TYPE;
	struct typename_frame *f = push_frame(ps, false, false);

	while (f && !ps->no_memory && !ps->garbled) {
		switch (state) {
		case TYPENAME_TYPE: {
			/* The chain: segments joined by '+'. */
			struct typename_segment seg;
			const char *chain = p;
			size_t arities = 0;
			for (;;) {
				if (!scan_segment(p, f->in_args, &seg)) {
					ps->garbled = true;
					return;
				}
				arities += seg.arity;
				p = seg.end;
				if (*p != '+')
					break;
				p++;
			}
			f->next = chain;
			f->chain_end = p;
			if (*p == '[' && !is_array_suffix(p[1])) {
				p++;
				if (arities) {
					open_next_generic(ps, f);
				} else {
					/* No arity: the list is the last segment's. */
					put(ps, chain, (size_t)(f->chain_end - chain));
					put(ps, "<", 1);
					f->next = f->chain_end;
					f->arity = 0;
					f->filled = 0;
				}
				state = TYPENAME_ARG;
			} else if (f->in_args || (seg.arity && !*p)) {
				put_rest_of_chain(ps, f);
				state = TYPENAME_SUFFIX;
			} else {
				/* ClrMD leaves such a top-level chain alone. */
				put(ps, chain, (size_t)(f->chain_end - chain));
				state = TYPENAME_SUFFIX;
			}
			break;
		}
		case TYPENAME_ARG: {
			if (f->arity && f->filled == f->arity) {
				put(ps, ">", 1);
				if (!open_next_generic(ps, f)) {
					ps->garbled = true;
					return;
				}
			} else if (f->filled) {
				put(ps, ", ", 2);
			}
			bool qualified = *p == '[';
			if (qualified)
				p++;
			f = push_frame(ps, true, qualified);
			state = TYPENAME_TYPE;
			break;
		}
		case TYPENAME_SUFFIX: {
			p = put_suffixes(ps, p);
			if (!f->in_args) {
				if (*p)
					ps->garbled = true;
				return;
			}
			if (f->qualified) {
				if (*p == ',') {
					/* The assembly; ']' in it is escaped. */
					while (*p && *p != ']')
						p += (*p == '\\' && p[1]) ? 2 : 1;
				}
				if (*p != ']') {
					ps->garbled = true;
					return;
				}
				p++;
			}
			f = &ps->frames[--ps->depth - 1];
			f->filled++;
			if (*p == ',') {
				for (p++; *p == ' '; p++)
					;
				state = TYPENAME_ARG;
			} else if (*p == ']') {
				p++;
				if (f->arity)
					put_placeholders(ps, f->filled, f->arity);
				put(ps, ">", 1);
				put_rest_of_chain(ps, f);
				state = TYPENAME_SUFFIX;
			} else {
				ps->garbled = true;
				return;
			}
			break;
		}
		}
	}
}

char *clrsos_typename_from_dac(const char *dac_name)
{
	if (!dac_name)
		dac_name = "";
	/* Without an arity or a '[' there is nothing to change. */
	if (!strpbrk(dac_name, "`["))
		return strdup(dac_name);

	struct typename_parser ps = {0};
	parse(&ps, dac_name);
	free(ps.frames);
	if (ps.no_memory) {
		free(ps.out);
		return NULL;
	}
	if (ps.garbled || !ps.out) {
		free(ps.out);
		return strdup(dac_name);
	}
	return ps.out;
}
