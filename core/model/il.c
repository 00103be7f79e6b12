/*
 * IL method bodies and instructions (il.h). The opcode table is written
 * from ECMA-335 Partition III (one-byte opcodes 0x00-0xe0, two-byte ones
 * 0xfe 0x00-0x1e); a byte the standard leaves unused has no name.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/il.h"
#include "model/metadata.h"

struct opcode {
	const char *name;
	enum clrsos_il_operand operand;
};

#define N CLRSOS_IL_NONE
#define T CLRSOS_IL_TOKEN
static const struct opcode one_byte[0xe1] = {
	[0x00] = {"nop", N}, [0x01] = {"break", N},
	[0x02] = {"ldarg.0", N}, [0x03] = {"ldarg.1", N}, [0x04] = {"ldarg.2", N}, [0x05] = {"ldarg.3", N},
	[0x06] = {"ldloc.0", N}, [0x07] = {"ldloc.1", N}, [0x08] = {"ldloc.2", N}, [0x09] = {"ldloc.3", N},
	[0x0a] = {"stloc.0", N}, [0x0b] = {"stloc.1", N}, [0x0c] = {"stloc.2", N}, [0x0d] = {"stloc.3", N},
	[0x0e] = {"ldarg.s", CLRSOS_IL_VAR8}, [0x0f] = {"ldarga.s", CLRSOS_IL_VAR8},
	[0x10] = {"starg.s", CLRSOS_IL_VAR8}, [0x11] = {"ldloc.s", CLRSOS_IL_VAR8},
	[0x12] = {"ldloca.s", CLRSOS_IL_VAR8}, [0x13] = {"stloc.s", CLRSOS_IL_VAR8},
	[0x14] = {"ldnull", N}, [0x15] = {"ldc.i4.m1", N},
	[0x16] = {"ldc.i4.0", N}, [0x17] = {"ldc.i4.1", N}, [0x18] = {"ldc.i4.2", N}, [0x19] = {"ldc.i4.3", N},
	[0x1a] = {"ldc.i4.4", N}, [0x1b] = {"ldc.i4.5", N}, [0x1c] = {"ldc.i4.6", N}, [0x1d] = {"ldc.i4.7", N},
	[0x1e] = {"ldc.i4.8", N}, [0x1f] = {"ldc.i4.s", CLRSOS_IL_I8}, [0x20] = {"ldc.i4", CLRSOS_IL_I32},
	[0x21] = {"ldc.i8", CLRSOS_IL_I64}, [0x22] = {"ldc.r4", CLRSOS_IL_R4}, [0x23] = {"ldc.r8", CLRSOS_IL_R8},
	[0x25] = {"dup", N}, [0x26] = {"pop", N}, [0x27] = {"jmp", T}, [0x28] = {"call", T},
	[0x29] = {"calli", T}, [0x2a] = {"ret", N},
	[0x2b] = {"br.s", CLRSOS_IL_BR8}, [0x2c] = {"brfalse.s", CLRSOS_IL_BR8}, [0x2d] = {"brtrue.s", CLRSOS_IL_BR8},
	[0x2e] = {"beq.s", CLRSOS_IL_BR8}, [0x2f] = {"bge.s", CLRSOS_IL_BR8}, [0x30] = {"bgt.s", CLRSOS_IL_BR8},
	[0x31] = {"ble.s", CLRSOS_IL_BR8}, [0x32] = {"blt.s", CLRSOS_IL_BR8}, [0x33] = {"bne.un.s", CLRSOS_IL_BR8},
	[0x34] = {"bge.un.s", CLRSOS_IL_BR8}, [0x35] = {"bgt.un.s", CLRSOS_IL_BR8},
	[0x36] = {"ble.un.s", CLRSOS_IL_BR8}, [0x37] = {"blt.un.s", CLRSOS_IL_BR8},
	[0x38] = {"br", CLRSOS_IL_BR32}, [0x39] = {"brfalse", CLRSOS_IL_BR32}, [0x3a] = {"brtrue", CLRSOS_IL_BR32},
	[0x3b] = {"beq", CLRSOS_IL_BR32}, [0x3c] = {"bge", CLRSOS_IL_BR32}, [0x3d] = {"bgt", CLRSOS_IL_BR32},
	[0x3e] = {"ble", CLRSOS_IL_BR32}, [0x3f] = {"blt", CLRSOS_IL_BR32}, [0x40] = {"bne.un", CLRSOS_IL_BR32},
	[0x41] = {"bge.un", CLRSOS_IL_BR32}, [0x42] = {"bgt.un", CLRSOS_IL_BR32}, [0x43] = {"ble.un", CLRSOS_IL_BR32},
	[0x44] = {"blt.un", CLRSOS_IL_BR32}, [0x45] = {"switch", CLRSOS_IL_SWITCH},
	[0x46] = {"ldind.i1", N}, [0x47] = {"ldind.u1", N}, [0x48] = {"ldind.i2", N}, [0x49] = {"ldind.u2", N},
	[0x4a] = {"ldind.i4", N}, [0x4b] = {"ldind.u4", N}, [0x4c] = {"ldind.i8", N}, [0x4d] = {"ldind.i", N},
	[0x4e] = {"ldind.r4", N}, [0x4f] = {"ldind.r8", N}, [0x50] = {"ldind.ref", N}, [0x51] = {"stind.ref", N},
	[0x52] = {"stind.i1", N}, [0x53] = {"stind.i2", N}, [0x54] = {"stind.i4", N}, [0x55] = {"stind.i8", N},
	[0x56] = {"stind.r4", N}, [0x57] = {"stind.r8", N},
	[0x58] = {"add", N}, [0x59] = {"sub", N}, [0x5a] = {"mul", N}, [0x5b] = {"div", N}, [0x5c] = {"div.un", N},
	[0x5d] = {"rem", N}, [0x5e] = {"rem.un", N}, [0x5f] = {"and", N}, [0x60] = {"or", N}, [0x61] = {"xor", N},
	[0x62] = {"shl", N}, [0x63] = {"shr", N}, [0x64] = {"shr.un", N}, [0x65] = {"neg", N}, [0x66] = {"not", N},
	[0x67] = {"conv.i1", N}, [0x68] = {"conv.i2", N}, [0x69] = {"conv.i4", N}, [0x6a] = {"conv.i8", N},
	[0x6b] = {"conv.r4", N}, [0x6c] = {"conv.r8", N}, [0x6d] = {"conv.u4", N}, [0x6e] = {"conv.u8", N},
	[0x6f] = {"callvirt", T}, [0x70] = {"cpobj", T}, [0x71] = {"ldobj", T}, [0x72] = {"ldstr", T},
	[0x73] = {"newobj", T}, [0x74] = {"castclass", T}, [0x75] = {"isinst", T}, [0x76] = {"conv.r.un", N},
	[0x79] = {"unbox", T}, [0x7a] = {"throw", N}, [0x7b] = {"ldfld", T}, [0x7c] = {"ldflda", T},
	[0x7d] = {"stfld", T}, [0x7e] = {"ldsfld", T}, [0x7f] = {"ldsflda", T}, [0x80] = {"stsfld", T},
	[0x81] = {"stobj", T},
	[0x82] = {"conv.ovf.i1.un", N}, [0x83] = {"conv.ovf.i2.un", N}, [0x84] = {"conv.ovf.i4.un", N},
	[0x85] = {"conv.ovf.i8.un", N}, [0x86] = {"conv.ovf.u1.un", N}, [0x87] = {"conv.ovf.u2.un", N},
	[0x88] = {"conv.ovf.u4.un", N}, [0x89] = {"conv.ovf.u8.un", N}, [0x8a] = {"conv.ovf.i.un", N},
	[0x8b] = {"conv.ovf.u.un", N}, [0x8c] = {"box", T}, [0x8d] = {"newarr", T}, [0x8e] = {"ldlen", N},
	[0x8f] = {"ldelema", T},
	[0x90] = {"ldelem.i1", N}, [0x91] = {"ldelem.u1", N}, [0x92] = {"ldelem.i2", N}, [0x93] = {"ldelem.u2", N},
	[0x94] = {"ldelem.i4", N}, [0x95] = {"ldelem.u4", N}, [0x96] = {"ldelem.i8", N}, [0x97] = {"ldelem.i", N},
	[0x98] = {"ldelem.r4", N}, [0x99] = {"ldelem.r8", N}, [0x9a] = {"ldelem.ref", N}, [0x9b] = {"stelem.i", N},
	[0x9c] = {"stelem.i1", N}, [0x9d] = {"stelem.i2", N}, [0x9e] = {"stelem.i4", N}, [0x9f] = {"stelem.i8", N},
	[0xa0] = {"stelem.r4", N}, [0xa1] = {"stelem.r8", N}, [0xa2] = {"stelem.ref", N},
	[0xa3] = {"ldelem", T}, [0xa4] = {"stelem", T}, [0xa5] = {"unbox.any", T},
	[0xb3] = {"conv.ovf.i1", N}, [0xb4] = {"conv.ovf.u1", N}, [0xb5] = {"conv.ovf.i2", N},
	[0xb6] = {"conv.ovf.u2", N}, [0xb7] = {"conv.ovf.i4", N}, [0xb8] = {"conv.ovf.u4", N},
	[0xb9] = {"conv.ovf.i8", N}, [0xba] = {"conv.ovf.u8", N},
	[0xc2] = {"refanyval", T}, [0xc3] = {"ckfinite", N}, [0xc6] = {"mkrefany", T},
	[0xd0] = {"ldtoken", T}, [0xd1] = {"conv.u2", N}, [0xd2] = {"conv.u1", N}, [0xd3] = {"conv.i", N},
	[0xd4] = {"conv.ovf.i", N}, [0xd5] = {"conv.ovf.u", N}, [0xd6] = {"add.ovf", N}, [0xd7] = {"add.ovf.un", N},
	[0xd8] = {"mul.ovf", N}, [0xd9] = {"mul.ovf.un", N}, [0xda] = {"sub.ovf", N}, [0xdb] = {"sub.ovf.un", N},
	[0xdc] = {"endfinally", N}, [0xdd] = {"leave", CLRSOS_IL_BR32}, [0xde] = {"leave.s", CLRSOS_IL_BR8},
	[0xdf] = {"stind.i", N}, [0xe0] = {"conv.u", N},
};

static const struct opcode two_byte[0x1f] = {
	[0x00] = {"arglist", N}, [0x01] = {"ceq", N}, [0x02] = {"cgt", N}, [0x03] = {"cgt.un", N},
	[0x04] = {"clt", N}, [0x05] = {"clt.un", N}, [0x06] = {"ldftn", T}, [0x07] = {"ldvirtftn", T},
	[0x09] = {"ldarg", CLRSOS_IL_VAR16}, [0x0a] = {"ldarga", CLRSOS_IL_VAR16}, [0x0b] = {"starg", CLRSOS_IL_VAR16},
	[0x0c] = {"ldloc", CLRSOS_IL_VAR16}, [0x0d] = {"ldloca", CLRSOS_IL_VAR16}, [0x0e] = {"stloc", CLRSOS_IL_VAR16},
	[0x0f] = {"localloc", N}, [0x11] = {"endfilter", N}, [0x12] = {"unaligned.", CLRSOS_IL_I8},
	[0x13] = {"volatile.", N}, [0x14] = {"tail.", N}, [0x15] = {"initobj", T}, [0x16] = {"constrained.", T},
	[0x17] = {"cpblk", N}, [0x18] = {"initblk", N}, [0x19] = {"no.", CLRSOS_IL_I8}, [0x1a] = {"rethrow", N},
	[0x1c] = {"sizeof", T}, [0x1d] = {"refanytype", N}, [0x1e] = {"readonly.", N},
};
#undef N
#undef T

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum {
	TINY = 0x2,
	FAT = 0x3,
	FAT_MORE_SECTS = 0x8,
	FAT_INIT_LOCALS = 0x10,
	SECT_EH = 0x01,
	SECT_FAT = 0x40,
	SECT_MORE = 0x80,
	MAX_CODE = 64 << 20,
};

static struct clrsos_error *bad(const char *what, size_t offset)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad IL method body: %s at byte 0x%zx of the body", what,
				   offset);
}

/* Walk the header and the sections; clauses collected when body is not NULL. */
static struct clrsos_error *walk(const uint8_t *b, size_t size, size_t *ret_need, struct clrsos_il_body *body)
{
	*ret_need = 0;
	if (size < 1)
		return NULL;
	if ((b[0] & 3) == TINY) {
		size_t need = 1 + (b[0] >> 2);
		if (body) {
			body->code = b + 1;
			body->code_size = b[0] >> 2;
			body->header_size = 1;
			body->max_stack = 8;
			body->total_size = need;
		}
		*ret_need = size >= need ? need : 0;
		return NULL;
	}
	if ((b[0] & 3) != FAT)
		return bad("the header is neither tiny nor fat", 0);
	if (size < 12)
		return NULL;
	uint16_t flags = u16(b) & 0xfff;
	size_t hsize = (size_t)(b[1] >> 4) * 4;
	if (hsize < 12)
		return bad("the fat header is shorter than 12 bytes", 1);
	uint32_t code_size = u32(b + 4);
	if (code_size > MAX_CODE)
		return bad("the code size is too large", 4);
	size_t pos = hsize + code_size;
	if (body) {
		body->fat = true;
		body->max_stack = u16(b + 2);
		body->local_sig = u32(b + 8);
		body->init_locals = flags & FAT_INIT_LOCALS;
		body->code = b + hsize;
		body->code_size = code_size;
		body->header_size = hsize;
	}
	bool more = flags & FAT_MORE_SECTS;
	while (more) {
		pos = (pos + 3) & ~(size_t)3;
		if (size < pos + 4)
			return NULL;
		uint8_t kind = b[pos];
		bool fat = kind & SECT_FAT;
		size_t data = fat ? (size_t)(b[pos + 1] | b[pos + 2] << 8 | b[pos + 3] << 16) : b[pos + 1];
		if (data < 4)
			return bad("a data section is shorter than its header", pos);
		if (pos + data > (size_t)MAX_CODE * 2)
			return bad("a data section is too large", pos);
		if (size < pos + data)
			return NULL;
		if (body && (kind & SECT_EH)) {
			size_t csize = fat ? 24 : 12, n = (data - 4) / csize;
			struct clrsos_il_clause *c = realloc(body->clauses, (body->nclauses + n + 1) * sizeof(*c));
			if (!c)
				return &clrsos_error_no_memory;
			body->clauses = c;
			for (size_t i = 0; i < n; i++) {
				const uint8_t *p = b + pos + 4 + i * csize;
				struct clrsos_il_clause *k = &c[body->nclauses++];
				if (fat) {
					*k = (struct clrsos_il_clause){u32(p), u32(p + 4), u32(p + 8),
								       u32(p + 12), u32(p + 16), u32(p + 20)};
				} else {
					*k = (struct clrsos_il_clause){u16(p), u16(p + 2), p[4],
								       u16(p + 5), p[7], u32(p + 8)};
				}
			}
		}
		more = kind & SECT_MORE;
		pos += data;
	}
	if (size < pos)
		return NULL;
	if (body)
		body->total_size = pos;
	*ret_need = pos;
	return NULL;
}

struct clrsos_error *clrsos_il_body_size(const uint8_t *bytes, size_t size, size_t *ret)
{
	return walk(bytes, size, ret, NULL);
}

struct clrsos_error *clrsos_il_body_parse(const uint8_t *bytes, size_t size, struct clrsos_il_body *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t need;
	struct clrsos_error *err = walk(bytes, size, &need, ret);
	if (!err && !need)
		err = bad("the body runs past the bytes read", size);
	if (err)
		clrsos_il_body_deinit(ret);
	return err;
}

void clrsos_il_body_deinit(struct clrsos_il_body *body)
{
	free(body->clauses);
	body->clauses = NULL;
	body->nclauses = 0;
}

static struct clrsos_error *short_operand(uint32_t offset, const char *name)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad IL at IL_%04" PRIx32 ": the operand of %s runs past the end of the code",
				   offset, name);
}

struct clrsos_error *clrsos_il_decode(const uint8_t *code, uint32_t code_size, uint32_t offset,
				      struct clrsos_il_insn *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->offset = offset;
	if (offset >= code_size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad IL at IL_%04" PRIx32 ": past the end of the code",
					   offset);
	uint32_t pos = offset;
	const struct opcode *op;
	uint8_t b = code[pos++];
	if (b == 0xfe) {
		if (pos >= code_size)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "bad IL at IL_%04" PRIx32 ": a two-byte opcode is cut by the end of the code",
						   offset);
		uint8_t b2 = code[pos++];
		ret->opcode = (uint16_t)(0xfe00 | b2);
		op = b2 < sizeof(two_byte) / sizeof(two_byte[0]) ? &two_byte[b2] : NULL;
	} else {
		ret->opcode = b;
		op = b < sizeof(one_byte) / sizeof(one_byte[0]) ? &one_byte[b] : NULL;
	}
	if (!op || !op->name)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad IL at IL_%04" PRIx32 ": opcode 0x%" PRIx16 " is not defined",
					   offset, ret->opcode);
	ret->name = op->name;
	ret->operand = op->operand;
	static const uint8_t sizes[] = {
		[CLRSOS_IL_NONE] = 0, [CLRSOS_IL_VAR8] = 1, [CLRSOS_IL_VAR16] = 2, [CLRSOS_IL_I8] = 1,
		[CLRSOS_IL_I32] = 4, [CLRSOS_IL_I64] = 8, [CLRSOS_IL_R4] = 4, [CLRSOS_IL_R8] = 8,
		[CLRSOS_IL_BR8] = 1, [CLRSOS_IL_BR32] = 4, [CLRSOS_IL_TOKEN] = 4, [CLRSOS_IL_SWITCH] = 4,
	};
	uint32_t n = sizes[op->operand];
	if (code_size - pos < n)
		return short_operand(offset, op->name);
	const uint8_t *p = code + pos;
	pos += n;
	switch (op->operand) {
	case CLRSOS_IL_NONE:
		break;
	case CLRSOS_IL_VAR8:
		ret->value = p[0];
		break;
	case CLRSOS_IL_VAR16:
		ret->value = u16(p);
		break;
	case CLRSOS_IL_I8:
		ret->value = (int8_t)p[0];
		break;
	case CLRSOS_IL_I32:
		ret->value = (int32_t)u32(p);
		break;
	case CLRSOS_IL_TOKEN:
		ret->value = u32(p);
		break;
	case CLRSOS_IL_I64:
		ret->value = (int64_t)((uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32);
		break;
	case CLRSOS_IL_R4: {
		uint32_t bits = u32(p);
		float f;
		memcpy(&f, &bits, sizeof(f));
		ret->real = f;
		break;
	}
	case CLRSOS_IL_R8: {
		uint64_t bits = (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
		memcpy(&ret->real, &bits, sizeof(ret->real));
		break;
	}
	case CLRSOS_IL_BR8:
		ret->value = (int64_t)pos + (int8_t)p[0];
		break;
	case CLRSOS_IL_BR32:
		ret->value = (int64_t)pos + (int32_t)u32(p);
		break;
	case CLRSOS_IL_SWITCH: {
		uint32_t count = u32(p);
		if (count > (code_size - pos) / 4)
			return short_operand(offset, op->name);
		ret->count = count;
		ret->targets = code + pos;
		pos += count * 4;
		break;
	}
	}
	ret->size = pos - offset;
	return NULL;
}

int64_t clrsos_il_switch_target(const struct clrsos_il_insn *insn, uint32_t i)
{
	return (int64_t)insn->offset + insn->size + (int32_t)u32(insn->targets + (size_t)i * 4);
}

/*
 * Token names as SOS's DumpIL prints them (ILDasm's forms): a type in a
 * signature "class [System.Runtime]System.Type", "valuetype [*]Ns.Outer/Inner",
 * "int32", "string[]", "!0", "!!0", "Name`1<int32>"; a method
 * "<return> <class>::<name>(<parameter>,...)"; a field of this module
 * "<class>::<name>"; a type token "Ns.Name"; a string in quotes.
 */

enum { NAME_MAX_DEPTH = 32, NAME_MAX_TEXT = 64 << 10 };

struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put_n(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 128;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = cap <= NAME_MAX_TEXT * 2 ? realloc(t->p, cap) : NULL;
		if (!p) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void put(struct text *t, const char *s)
{
	put_n(t, s, strlen(s));
}

static void putf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct text *t, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_n(t, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

struct cursor {
	const struct clrsos_metadata *md;
	const uint8_t *p, *end;
	bool bad;
};

static uint32_t next_u(struct cursor *c)
{
	uint32_t v = 0;
	if (c->bad || clrsos_error_ignore(clrsos_metadata_uncompress(&c->p, c->end, &v)))
		c->bad = true;
	return c->bad ? 0 : v;
}

static int32_t next_signed(struct cursor *c)
{
	/* II.23.2: the value rotated left one bit, its sign in bit 0, then compressed. */
	const uint8_t *start = c->p;
	uint32_t v = next_u(c);
	if (c->bad)
		return 0;
	size_t width = (size_t)(c->p - start);
	unsigned bits = width == 1 ? 7 : width == 2 ? 14 : 29;
	int32_t r = (int32_t)(v >> 1);
	if (v & 1)
		r -= (int32_t)1 << (bits - 1);
	return r;
}

static uint32_t next_token(struct cursor *c)
{
	static const uint32_t tables[4] = {CLRSOS_MD_TYPEDEF, CLRSOS_MD_TYPEREF, CLRSOS_MD_TYPESPEC, 0x72};
	uint32_t v = next_u(c);
	return tables[v & 3] << 24 | v >> 2;
}

static void type_name_plain(const struct clrsos_metadata *md, uint32_t token, struct text *t);
static void pretty_class(const struct clrsos_metadata *md, uint32_t token, struct text *t, int depth);
static void pretty_type(struct cursor *c, struct text *t, int depth);

static bool row_ok(const struct clrsos_metadata *md, uint32_t token)
{
	uint32_t rid = token & 0xffffff;
	return rid && rid <= clrsos_metadata_rows(md, token >> 24);
}

/* The TypeDef enclosing a nested TypeDef row (0: none). */
static uint32_t encloser(const struct clrsos_metadata *md, uint32_t rid)
{
	uint32_t n = clrsos_metadata_rows(md, CLRSOS_MD_NESTEDCLASS);
	for (uint32_t r = 1; r <= n; r++) {
		uint32_t nested = 0, outer = 0;
		if (clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_NESTEDCLASS, r, 0, &nested)))
			return 0;
		if (nested == rid && !clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_NESTEDCLASS, r, 1, &outer)))
			return outer ? (uint32_t)CLRSOS_MD_TYPEDEF << 24 | outer : 0;
	}
	return 0;
}

static void pretty_class(const struct clrsos_metadata *md, uint32_t token, struct text *t, int depth)
{
	if (token == 0) {
		put(t, "[*]");
		return;
	}
	uint32_t table = token >> 24;
	if (depth > NAME_MAX_DEPTH || (table != CLRSOS_MD_MODULE && !row_ok(md, token))) {
		putf(t, " [ERROR: INVALID TOKEN 0x%08X] ", token);
		return;
	}
	uint32_t v = 0;
	const char *s = NULL;
	switch (table) {
	case CLRSOS_MD_TYPEREF:
		if (!clrsos_error_ignore(clrsos_metadata_column(md, table, token & 0xffffff, 0, &v))) {
			if (v >> 24 == CLRSOS_MD_TYPEREF && (v & 0xffffff)) {
				pretty_class(md, v, t, depth + 1);
				put(t, "/");
			} else if (v == 0 || (v & 0xffffff)) {
				pretty_class(md, v, t, depth + 1);
			}
		}
		type_name_plain(md, token, t);
		return;
	case CLRSOS_MD_TYPEDEF: {
		uint32_t outer = encloser(md, token & 0xffffff);
		pretty_class(md, outer, t, depth + 1);
		if (outer)
			put(t, "/");
		type_name_plain(md, token, t);
		return;
	}
	case CLRSOS_MD_ASSEMBLYREF:
		if (!clrsos_error_ignore(clrsos_metadata_column(md, table, token & 0xffffff, 6, &v)) &&
		    !clrsos_error_ignore(clrsos_metadata_string(md, v, &s))) {
			put(t, "[");
			put(t, s);
			put(t, "]");
		}
		return;
	case CLRSOS_MD_MODULEREF:
		if (!clrsos_error_ignore(clrsos_metadata_column(md, table, token & 0xffffff, 0, &v)) &&
		    !clrsos_error_ignore(clrsos_metadata_string(md, v, &s))) {
			put(t, "[.module ");
			put(t, s);
			put(t, "]");
		}
		return;
	case CLRSOS_MD_TYPESPEC: {
		const uint8_t *blob;
		size_t len;
		if (clrsos_error_ignore(clrsos_metadata_column(md, table, token & 0xffffff, 0, &v)) ||
		    clrsos_error_ignore(clrsos_metadata_blob(md, v, &blob, &len))) {
			putf(t, " [ERROR: Invalid token 0x%08X] ", token);
			return;
		}
		struct cursor c = {md, blob, blob + len, false};
		pretty_type(&c, t, depth + 1);
		return;
	}
	case CLRSOS_MD_MODULE:
		return;
	default:
		putf(t, " [ERROR: INVALID TOKEN TYPE 0x%08X] ", token);
	}
}

/* "Ns.Name" of a TypeDef or TypeRef (a nested type: its name alone). */
static void type_name_plain(const struct clrsos_metadata *md, uint32_t token, struct text *t)
{
	const char *ns = NULL, *name = NULL;
	struct clrsos_error *err = token >> 24 == CLRSOS_MD_TYPEDEF ? clrsos_metadata_typedef(md, token, &ns, &name)
								      : clrsos_metadata_typeref(md, token, &ns, &name);
	if (clrsos_error_ignore(err) || !name) {
		put(t, token >> 24 == CLRSOS_MD_TYPEDEF ? "<unknown type def>" : "<unknown type ref>");
		return;
	}
	if (ns && *ns) {
		put(t, ns);
		put(t, ".");
	}
	put(t, name);
}

static const char *const primitive[0x1d] = {
	[0x01] = "void", [0x02] = "bool", [0x03] = "char", [0x04] = "int8", [0x05] = "uint8",
	[0x06] = "int16", [0x07] = "uint16", [0x08] = "int32", [0x09] = "uint32", [0x0a] = "int64",
	[0x0b] = "uint64", [0x0c] = "float32", [0x0d] = "float64", [0x0e] = "string",
	[0x16] = "typedref", [0x18] = "native int", [0x19] = "native uint", [0x1c] = "object",
};

static void skip_method_sig(struct cursor *c, int depth)
{
	struct text scratch = {0};
	uint8_t conv = c->p < c->end ? *c->p++ : (c->bad = true, 0);
	if (conv & 0x10)
		next_u(c);
	uint32_t n = next_u(c);
	for (uint32_t i = 0; i <= n && !c->bad; i++)
		pretty_type(c, &scratch, depth + 1);
	free(scratch.p);
}

static void pretty_type(struct cursor *c, struct text *t, int depth)
{
	if (c->bad || depth > NAME_MAX_DEPTH || c->p >= c->end) {
		c->bad = true;
		return;
	}
	uint8_t e = *c->p++;
	if (e < sizeof(primitive) / sizeof(primitive[0]) && primitive[e]) {
		put(t, primitive[e]);
		return;
	}
	switch (e) {
	case 0x11: /* VALUETYPE */
	case 0x12: /* CLASS */
		put(t, e == 0x11 ? "valuetype " : "class ");
		{
			uint32_t tk = next_token(c);
			if (c->bad)
				return;
			if (!(tk & 0xffffff))
				put(t, "[ERROR! NIL TOKEN]");
			else
				pretty_class(c->md, tk, t, depth + 1);
		}
		return;
	case 0x0f: /* PTR */
	case 0x10: /* BYREF */
	case 0x1d: /* SZARRAY */
	case 0x45: /* PINNED */
		pretty_type(c, t, depth + 1);
		put(t, e == 0x0f ? "*" : e == 0x10 ? "&" : e == 0x1d ? "[]" : " pinned");
		return;
	case 0x13: /* VAR */
	case 0x1e: /* MVAR */
		putf(t, e == 0x13 ? "!%u" : "!!%u", next_u(c));
		return;
	case 0x14: { /* ARRAY */
		pretty_type(c, t, depth + 1);
		uint32_t rank = next_u(c);
		if (c->bad)
			return;
		if (rank == 0) {
			put(t, "[BAD: RANK == 0!]");
			return;
		}
		uint32_t nsizes = next_u(c);
		if (nsizes > rank || rank > 64) {
			c->bad = true;
			return;
		}
		int64_t sizes[64] = {0}, lows[64] = {0};
		for (uint32_t i = 0; i < nsizes; i++)
			sizes[i] = next_u(c);
		uint32_t nlows = next_u(c);
		if (nlows > rank) {
			c->bad = true;
			return;
		}
		for (uint32_t i = 0; i < nlows; i++)
			lows[i] = next_signed(c);
		put(t, "[");
		if (rank == 1 && nsizes == 0 && nlows == 0) {
			put(t, "...");
		} else {
			for (uint32_t i = 0; i < rank; i++) {
				if (i < nsizes && lows[i] == 0) {
					putf(t, "%" PRId64, sizes[i]);
				} else if (i < nlows) {
					putf(t, "%" PRId64 "...", lows[i]);
					if (i < nsizes)
						putf(t, "%" PRId64, lows[i] + sizes[i] - 1);
				}
				if (i + 1 < rank)
					put(t, ",");
			}
		}
		put(t, "]");
		return;
	}
	case 0x15: { /* GENERICINST */
		pretty_type(c, t, depth + 1);
		uint32_t n = next_u(c);
		put(t, "<");
		for (uint32_t i = 0; i < n && !c->bad; i++) {
			if (i)
				put(t, ",");
			pretty_type(c, t, depth + 1);
		}
		put(t, ">");
		return;
	}
	case 0x1b: /* FNPTR */
		put(t, "method METHOD");
		skip_method_sig(c, depth);
		return;
	case 0x1f: /* CMOD_REQD */
	case 0x20: /* CMOD_OPT */
		put(t, e == 0x1f ? " mod req " : " mod opt ");
		{
			uint32_t tk = next_token(c);
			if (!c->bad)
				pretty_class(c->md, tk, t, depth + 1);
		}
		pretty_type(c, t, depth + 1);
		return;
	default:
		putf(t, "/* UNKNOWN TYPE (0x%X)*/", e);
		c->bad = true;
	}
}

/* "<return> <owner>::<name>(<params>)" from a method or field signature; owner already in *owner. */
static void member_text(const struct clrsos_metadata *md, const uint8_t *sig, size_t len, const char *owner,
			const char *name, struct text *t)
{
	struct cursor c = {md, sig, sig + len, false};
	struct text ret = {0}, params = {0};
	bool field = false;
	if (len) {
		uint8_t conv = *c.p++;
		field = (conv & 0xf) == 0x06;
		if (!field) {
			if (conv & 0x10)
				next_u(&c);
			uint32_t n = next_u(&c);
			pretty_type(&c, &ret, 0);
			for (uint32_t i = 0; i < n && !c.bad; i++) {
				if (i)
					put(&params, ",");
				pretty_type(&c, &params, 0);
			}
		} else {
			pretty_type(&c, &ret, 0);
		}
	} else {
		c.bad = true;
	}
	if (!c.bad && ret.p) {
		put(t, ret.p);
		put(t, " ");
	}
	put(t, owner);
	put(t, "::");
	put(t, name);
	if (!c.bad && !field) {
		put(t, "(");
		put(t, params.p ? params.p : "");
		put(t, ")");
	}
	t->oom |= ret.oom || params.oom;
	free(ret.p);
	free(params.p);
}

/* The TypeDef whose list (column col: 4 fields, 5 methods) holds row rid. */
static uint32_t owner_typedef(const struct clrsos_metadata *md, unsigned col, uint32_t rid)
{
	uint32_t n = clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF), owner = 0;
	for (uint32_t r = 1; r <= n; r++) {
		uint32_t first = 0;
		if (clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, r, col, &first)))
			break;
		if (first && first <= rid)
			owner = r;
		else if (first > rid)
			break;
	}
	return owner ? (uint32_t)CLRSOS_MD_TYPEDEF << 24 | owner : 0;
}

static void method_text(const struct clrsos_metadata *md, uint32_t token, struct text *t, int depth)
{
	uint32_t table = token >> 24, rid = token & 0xffffff, v = 0, sigi = 0;
	const char *name = NULL;
	const uint8_t *sig = NULL;
	size_t len = 0;
	struct text owner = {0};
	if (depth > 2 || !row_ok(md, token)) {
		putf(t, "<unknown token type %08x>", table << 24);
		return;
	}
	if (table == CLRSOS_MD_METHODSPEC) {
		if (!clrsos_error_ignore(clrsos_metadata_column(md, table, rid, 0, &v)))
			method_text(md, v, t, depth + 1);
		return;
	}
	bool def = table == CLRSOS_MD_METHODDEF || table == CLRSOS_MD_FIELD;
	unsigned name_col = table == CLRSOS_MD_METHODDEF ? 3 : table == CLRSOS_MD_FIELD ? 1 : 1;
	unsigned sig_col = table == CLRSOS_MD_METHODDEF ? 4 : 2;
	if (clrsos_error_ignore(clrsos_metadata_column(md, table, rid, name_col, &v)) ||
	    clrsos_error_ignore(clrsos_metadata_string(md, v, &name)))
		name = table == CLRSOS_MD_METHODDEF ? "<unknown method def>"
		       : table == CLRSOS_MD_FIELD   ? "<unknown field def>"
						    : "<unknown member ref>";
	if (clrsos_error_ignore(clrsos_metadata_column(md, table, rid, sig_col, &sigi)) ||
	    clrsos_error_ignore(clrsos_metadata_blob(md, sigi, &sig, &len)))
		len = 0;
	if (def) {
		uint32_t o = owner_typedef(md, table == CLRSOS_MD_FIELD ? 4 : 5, rid);
		if (o)
			type_name_plain(md, o, &owner);
		else
			put(&owner, "<unknown type def>");
	} else if (!clrsos_error_ignore(clrsos_metadata_column(md, table, rid, 0, &v))) {
		uint32_t ct = v >> 24;
		if ((ct == CLRSOS_MD_TYPEREF || ct == CLRSOS_MD_TYPEDEF) && row_ok(md, v))
			type_name_plain(md, v, &owner);
		else if (ct == CLRSOS_MD_TYPESPEC)
			pretty_class(md, v, &owner, 0);
		else
			put(&owner, "<unknown type token>");
	}
	if (table == CLRSOS_MD_FIELD) {
		/* SOS names a field of this module without its type. */
		put(t, owner.p ? owner.p : "");
		put(t, "::");
		put(t, name);
	} else {
		member_text(md, sig, len, owner.p ? owner.p : "", name, t);
	}
	t->oom |= owner.oom;
	free(owner.p);
}

static void string_text(const struct clrsos_metadata *md, uint32_t token, struct text *t)
{
	const uint8_t *units;
	size_t len;
	if (clrsos_error_ignore(clrsos_metadata_user_string(md, token & 0xffffff, &units, &len))) {
		putf(t, "STRING %x", token);
		return;
	}
	/* SOS's form: at most 79 characters then "...", anything not printable ASCII as '.'. */
	size_t n = len / 2;
	put(t, "\"");
	for (size_t i = 0; i < n && i < 79; i++) {
		unsigned u = units[2 * i] | units[2 * i + 1] << 8;
		char ch = u >= 0x20 && u < 0x7f ? (char)u : '.';
		put_n(t, &ch, 1);
	}
	if (n >= 79)
		put(t, "...");
	put(t, "\"");
}

char *clrsos_il_token_text(const struct clrsos_metadata *md, uint32_t token)
{
	struct text t = {0};
	if (!md) {
		putf(&t, "TOKEN %x", token);
	} else {
		switch (token >> 24) {
		case CLRSOS_MD_TYPEDEF:
		case CLRSOS_MD_TYPEREF:
			if (row_ok(md, token))
				type_name_plain(md, token, &t);
			else
				put(&t, token >> 24 == CLRSOS_MD_TYPEDEF ? "<unknown type def>" : "<unknown type ref>");
			break;
		case CLRSOS_MD_TYPESPEC:
			pretty_class(md, token, &t, 0);
			break;
		case CLRSOS_MD_FIELD:
		case CLRSOS_MD_METHODDEF:
		case CLRSOS_MD_MEMBERREF:
		case CLRSOS_MD_METHODSPEC:
			method_text(md, token, &t, 0);
			break;
		case 0x70:
			string_text(md, token, &t);
			break;
		default:
			putf(&t, "<unknown token type %08x>", token & 0xff000000u);
		}
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	if (!t.p)
		return strdup("");
	return t.p;
}

char *clrsos_il_type_name(const struct clrsos_metadata *md, uint32_t token)
{
	/* C# form (SOS's FormatCSharp): Ns.Outer+Inner, no assembly. */
	struct text t = {0};
	uint32_t chain[NAME_MAX_DEPTH];
	size_t n = 0;
	for (uint32_t tk = token; tk && n < NAME_MAX_DEPTH && row_ok(md, tk);) {
		chain[n++] = tk;
		uint32_t v = 0;
		if (tk >> 24 == CLRSOS_MD_TYPEDEF)
			tk = encloser(md, tk & 0xffffff);
		else if (tk >> 24 == CLRSOS_MD_TYPEREF &&
			 !clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_TYPEREF, tk & 0xffffff, 0, &v)) &&
			 v >> 24 == CLRSOS_MD_TYPEREF)
			tk = v;
		else
			break;
	}
	if (!n)
		putf(&t, "token_0x%08X", token);
	while (n--) {
		type_name_plain(md, chain[n], &t);
		if (n)
			put(&t, "+");
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

/* Where a method's IL and EH clauses are, from the runtime. */
#include "dac/dac.h"

struct clrsos_error *clrsos_il_address(struct clrsos_dac *dac, const struct clrsos_metadata *md, uint64_t module,
				       uint32_t token, uint64_t *ret)
{
	*ret = 0;
	uint32_t rva = 0;
	if (!md)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the metadata of Module 0x%" PRIx64 " cannot be read",
					   module);
	if (token >> 24 != CLRSOS_MD_METHODDEF || !row_ok(md, token))
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "token 0x%08" PRIx32 " is no method of Module 0x%" PRIx64,
					   token, module);
	struct clrsos_error *err = clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, token & 0xffffff, 0, &rva);
	if (err)
		return err;
	if (!rva)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "method 0x%08" PRIx32 " has no IL body (RVA 0)", token);
	return clrsos_dac_il_for_module(dac, module, rva, ret);
}

struct clrsos_error *clrsos_method_dynamic_object(struct clrsos_dac *dac, uint64_t method_desc, uint64_t *ret)
{
	struct clrsos_dacp_method_desc_data d;
	*ret = 0;
	struct clrsos_error *err = clrsos_dac_method_desc_data(dac, method_desc, 0, &d);
	if (!err)
		*ret = d.managed_dynamic_method_object;
	return err;
}

struct clrsos_error *clrsos_code_eh_clauses(struct clrsos_dac *dac, uint64_t code, struct clrsos_eh_clause **ret,
					    size_t *ret_count)
{
	struct clrsos_dac_eh_clause *c;
	size_t n;
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_error *err = clrsos_dac_eh_clauses(dac, code, &c, &n);
	if (err)
		return err;
	struct clrsos_eh_clause *out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		free(c);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct clrsos_eh_clause){
			.kind = c[i].kind, .try_start = c[i].try_start, .try_end = c[i].try_end,
			.handler_start = c[i].handler_start, .handler_end = c[i].handler_end,
			.duplicate = c[i].duplicate, .filter = c[i].filter, .catch_all = c[i].catch_all,
			.module = c[i].module, .catch_mt = c[i].catch_mt, .catch_token = c[i].catch_token,
		};
	}
	free(c);
	*ret = out;
	*ret_count = n;
	return NULL;
}

struct clrsos_error *clrsos_code_header_read(struct clrsos_dac *dac, uint64_t ip, struct clrsos_code_header *ret)
{
	struct clrsos_dacp_code_header h;
	memset(ret, 0, sizeof(*ret));
	struct clrsos_error *err = clrsos_dac_code_header(dac, ip, &h);
	if (err)
		return err;
	*ret = (struct clrsos_code_header){
		.jit_type = h.jit_type, .method_desc = h.method_desc, .start = h.method_start,
		.size = h.method_size, .cold_start = h.cold_start, .cold_size = h.cold_size, .hot_size = h.hot_size,
	};
	return NULL;
}

bool clrsos_jit_helper_name(struct clrsos_dac *dac, uint64_t ip, char *buf, size_t size)
{
	return clrsos_dac_jit_helper_name(dac, ip, buf, size);
}
