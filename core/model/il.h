/*
 * IL: a method body of CIL (ECMA-335 II.25.4: a tiny or fat header, the
 * code, then the exception handling sections) and its instructions (the
 * opcodes of Partition III with their operands).
 *
 * The bytes come from the target: every read is bounds-checked, and a
 * body or instruction that does not fit is an error naming the offset.
 */
#ifndef CLRSOS_IL_H
#define CLRSOS_IL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The operand of an opcode (Partition III's inline argument kinds). */
enum clrsos_il_operand {
	CLRSOS_IL_NONE,
	CLRSOS_IL_VAR8,     /* ShortInlineVar: an unsigned int8 argument or local number */
	CLRSOS_IL_VAR16,    /* InlineVar: an unsigned int16 */
	CLRSOS_IL_I8,       /* ShortInlineI: an int8 */
	CLRSOS_IL_I32,      /* InlineI */
	CLRSOS_IL_I64,      /* InlineI8 */
	CLRSOS_IL_R4,       /* ShortInlineR */
	CLRSOS_IL_R8,       /* InlineR */
	CLRSOS_IL_BR8,      /* ShortInlineBrTarget: int8 from the next instruction */
	CLRSOS_IL_BR32,     /* InlineBrTarget */
	CLRSOS_IL_TOKEN,    /* InlineMethod, InlineField, InlineType, InlineTok, InlineSig, InlineString */
	CLRSOS_IL_SWITCH,   /* uint32 count, then count int32 targets */
};

/* Exception clause kinds (CorExceptionFlag). */
enum {
	CLRSOS_IL_CLAUSE_CATCH = 0,
	CLRSOS_IL_CLAUSE_FILTER = 1,
	CLRSOS_IL_CLAUSE_FINALLY = 2,
	CLRSOS_IL_CLAUSE_FAULT = 4,
};

struct clrsos_il_clause {
	uint32_t flags; /* CLRSOS_IL_CLAUSE_* */
	uint32_t try_offset, try_length;
	uint32_t handler_offset, handler_length;
	uint32_t class_token_or_filter; /* a catch's type token, a filter's offset */
};

/* A method body; code and clauses point into the caller's bytes / are malloc'd. */
struct clrsos_il_body {
	bool fat;
	uint16_t max_stack;
	uint32_t local_sig;     /* StandAloneSig token, 0 without locals */
	bool init_locals;
	const uint8_t *code;
	uint32_t code_size;
	size_t header_size;     /* bytes before the code */
	size_t total_size;      /* header, code and sections */
	struct clrsos_il_clause *clauses; /* malloc'd */
	size_t nclauses;
};

/*
 * How many bytes the body at bytes (size of them known) needs in all:
 * *ret 0 when more bytes are needed to tell (read more and ask again);
 * an error when the header is not one.
 */
struct clrsos_error *clrsos_il_body_size(const uint8_t *bytes, size_t size, size_t *ret);
/* Parse a whole body (size from clrsos_il_body_size, or more). */
struct clrsos_error *clrsos_il_body_parse(const uint8_t *bytes, size_t size, struct clrsos_il_body *ret);
void clrsos_il_body_deinit(struct clrsos_il_body *body);

/* One instruction. */
struct clrsos_il_insn {
	uint32_t offset;
	uint32_t size;
	uint16_t opcode;        /* 0x00-0xff, or 0xfe00 | second byte */
	const char *name;       /* Partition III's name: "ldarg.0", "call", ... */
	enum clrsos_il_operand operand;
	int64_t value;          /* the operand: number, token, or branch target (an IL offset) */
	double real;            /* R4, R8 */
	const uint8_t *targets; /* SWITCH: count little-endian int32 deltas */
	uint32_t count;
};

/*
 * Decode the instruction at offset of code (code_size bytes); an error
 * "IL_xxxx: ..." when the opcode is undefined or its operand runs past the end.
 */
struct clrsos_error *clrsos_il_decode(const uint8_t *code, uint32_t code_size, uint32_t offset,
				      struct clrsos_il_insn *ret);
/* A switch's i-th target (an IL offset). */
int64_t clrsos_il_switch_target(const struct clrsos_il_insn *insn, uint32_t i);

struct clrsos_metadata;
/*
 * An instruction's token as SOS's DumpIL names it (model/il.c says the
 * forms); md NULL: "TOKEN <hex>". Malloc'd; NULL: out of memory.
 */
char *clrsos_il_token_text(const struct clrsos_metadata *md, uint32_t token);
/* A TypeDef's or TypeRef's C# name ("Ns.Outer+Inner"), malloc'd; NULL: out of memory. */
char *clrsos_il_type_name(const struct clrsos_metadata *md, uint32_t token);

struct clrsos_dac;
/* The IL body of a MethodDef of module, through its RVA (GetILForModule). */
struct clrsos_error *clrsos_il_address(struct clrsos_dac *dac, const struct clrsos_metadata *md, uint64_t module,
				       uint32_t token, uint64_t *ret);
/* A dynamic method's DynamicMethod object (0: none). */
struct clrsos_error *clrsos_method_dynamic_object(struct clrsos_dac *dac, uint64_t method_desc, uint64_t *ret);

/* An exception clause of JIT-compiled code, as the runtime gives it. */
enum clrsos_eh_kind {
	CLRSOS_EH_FAULT,
	CLRSOS_EH_FINALLY,
	CLRSOS_EH_FILTER,
	CLRSOS_EH_TYPED,
	CLRSOS_EH_UNKNOWN,
};
struct clrsos_eh_clause {
	int32_t kind;                                             /* enum clrsos_eh_kind */
	uint64_t try_start, try_end, handler_start, handler_end; /* offsets from the code's start */
	bool duplicate;
	uint64_t filter;
	bool catch_all;
	uint64_t module; /* 0: catch_mt is the caught type, else catch_token in this module */
	uint64_t catch_mt;
	uint32_t catch_token;
};
/* The clauses of the method whose code starts at code (*ret malloc'd). */
struct clrsos_error *clrsos_code_eh_clauses(struct clrsos_dac *dac, uint64_t code, struct clrsos_eh_clause **ret,
					    size_t *ret_count);

/* The JIT-compiled code holding an address (the runtime's code header). */
struct clrsos_code_header {
	uint32_t jit_type; /* 0 unknown, 1 JIT, 2 pre-JIT (ready to run) */
	uint64_t method_desc, start;
	uint32_t size;
	uint64_t cold_start; /* 0: no cold region */
	uint32_t cold_size, hot_size;
};
struct clrsos_error *clrsos_code_header_read(struct clrsos_dac *dac, uint64_t ip, struct clrsos_code_header *ret);
/* The name of the runtime's JIT helper at ip ("CORINFO_HELP_NEWSFAST") into buf; false if none is there. */
bool clrsos_jit_helper_name(struct clrsos_dac *dac, uint64_t ip, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
