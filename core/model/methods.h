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
/*
 * The same for a method's entry as a delegate holds it: its code, or its
 * precode stub before it is compiled; *ret 0 where neither is known.
 */
struct clrsos_error *clrsos_method_desc_from_entry(struct clrsos_dac *dac, uint64_t entry, uint64_t *ret);

#ifdef __cplusplus
}
#endif

#endif
