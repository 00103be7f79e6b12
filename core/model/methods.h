/*
 * Methods: a MethodTable's methods by slot and the MethodDescs behind them
 * (dumpmt -md), and the method of a code address.
 */
#ifndef CLRSOS_METHODS_H
#define CLRSOS_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_method {
	uint64_t entry;       /* its slot's entry point */
	uint64_t method_desc; /* 0: unknown */
	uint32_t slot;
	uint32_t token;       /* its MethodDef, 0 if the runtime did not say */
	bool has_code;        /* compiled (JIT or ready to run) */
	char *name;           /* its full name, malloc'd; NULL if the runtime cannot name it */
};

struct clrsos_method_list {
	struct clrsos_method *items;
	size_t count;
};

/*
 * The methods of mt, by slot: as the runtime lists them where it can (.NET
 * 9+), else its slot_count slots one by one.
 */
struct clrsos_error *clrsos_method_list_init(struct clrsos_method_list *list, struct clrsos_dac *dac,
					     uint64_t mt, uint32_t slot_count);
void clrsos_method_list_deinit(struct clrsos_method_list *list);

/* A MethodDesc's full name (malloc'd) and whether it has native code. */
struct clrsos_error *clrsos_method_desc_name(struct clrsos_dac *dac, uint64_t method_desc, char **ret_name,
					     bool *ret_has_code);

/*
 * The MethodDesc of the code at ip (an entry point or inside a method):
 * *ret 0, and no error, where the runtime knows no method there.
 */
struct clrsos_error *clrsos_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret);
/* One entry of JIT-compiled code's IL to native map: native [start, end) comes from IL il_offset. */
struct clrsos_il_map_entry {
	uint32_t il_offset; /* or one of the values below */
	uint64_t start, end;
};
enum {
	CLRSOS_IL_MAP_NO_MAPPING = 0xffffffffu,
	CLRSOS_IL_MAP_PROLOG = 0xfffffffeu,
	CLRSOS_IL_MAP_EPILOG = 0xfffffffdu,
};
/*
 * The IL to native map of the JIT-compiled code that starts at code, in
 * the runtime's order, *ret malloc'd. Code the runtime has no map for (not
 * managed, an IL stub, or a version of the method other than its current
 * one, which is the only one the runtime maps): an empty map, no error.
 */
struct clrsos_error *clrsos_method_il_map(struct clrsos_dac *dac, uint64_t code, struct clrsos_il_map_entry **ret,
					  size_t *ret_count);
/*
 * The same for a method's entry as a delegate holds it: its code, or its
 * precode stub before it is compiled; *ret 0 where neither is known.
 */
struct clrsos_error *clrsos_method_desc_from_entry(struct clrsos_dac *dac, uint64_t entry, uint64_t *ret);

/* A MethodDesc's module and MethodDef token (0s, and no error, if the runtime does not say). */
struct clrsos_error *clrsos_method_desc_token(struct clrsos_dac *dac, uint64_t method_desc, uint64_t *ret_module,
					      uint32_t *ret);
/* The MethodDesc of a module's MethodDef token; *ret 0 (no error) if the runtime has made none. */
struct clrsos_error *clrsos_method_desc_from_token(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						   uint64_t *ret);

/*
 * Where ip lies in method_desc's code: the file name of its module
 * (malloc'd; "UNKNOWN" for a module with no file) and ip's offset from the
 * code's start. *ret_module NULL (and no error) if method_desc is not a
 * MethodDesc.
 */
struct clrsos_error *clrsos_method_code_place(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
					      char **ret_module, uint64_t *ret_offset);

/*
 * A frame's function as SOS's StackTrace shows it: "<module file>!<name>"
 * and "+0x<offset>" from the method's code start when not 0 (name NULL:
 * "UNKNOWN"; a module with no file: "UNKNOWN"). *ret malloc'd, NULL (and no
 * error) if method_desc is not a MethodDesc.
 */
struct clrsos_error *clrsos_method_frame_text(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
					      const char *name, char **ret);

/* One native code version of a method (its tier, as the runtime says). */
struct clrsos_code_version {
	uint64_t code;         /* where its code starts */
	uint64_t node;         /* its NativeCodeVersion node (0: the default version) */
	uint32_t tier;         /* OptimizationTier */
};

/* A tier's name as SOS prints it ("QuickJitted", "OptimizedTier1", ...; "Unknown Tier"). */
const char *clrsos_code_tier_name(uint32_t tier);

/*
 * A MethodDesc as SOS's DumpMD shows it: its method, type, module and
 * code, and its versions.
 */
struct clrsos_method_desc_info {
	uint64_t method_desc;
	uint64_t method_table;
	uint64_t eeclass;        /* 0 if the runtime did not say */
	uint64_t module;
	uint64_t code;           /* its current code (0: not compiled) */
	uint32_t token;          /* its MethodDef */
	uint32_t slot;
	bool has_code;
	bool is_dynamic;         /* a LCG / dynamic method */
	char *name;              /* its full name, malloc'd; NULL if the runtime cannot name it */
	/* Its current IL version (rejit 0 unless a profiler rewrote it). */
	int32_t rejit_id;
	uint64_t il_code_version;
	uint64_t il;
	bool have_versions;      /* the runtime lists code versions (.NET Core 3+) */
	struct clrsos_code_version *versions; /* as the runtime lists them, malloc'd */
	size_t nversions;
};

/*
 * The MethodDesc at method_desc; an invalid-argument error saying so if it
 * is not one. ip: a code address whose version to ask for (0: none).
 */
struct clrsos_error *clrsos_method_desc_info_init(struct clrsos_method_desc_info *info, struct clrsos_dac *dac,
						  uint64_t method_desc, uint64_t ip);
void clrsos_method_desc_info_deinit(struct clrsos_method_desc_info *info);

#ifdef __cplusplus
}
#endif

#endif
