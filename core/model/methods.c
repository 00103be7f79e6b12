/* Methods: a MethodTable's slots and their MethodDescs (methods.h). */
#include "methods.h"

#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"

struct clrsos_error *clrsos_method_desc_name(struct clrsos_dac *dac, uint64_t method_desc, char **ret_name,
					     bool *ret_has_code)
{
	return clrsos_dac_method_desc(dac, method_desc, ret_name, ret_has_code);
}

struct clrsos_error *clrsos_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret)
{
	/* The runtime refusing the address means no method there; out of memory is said. */
	return clrsos_error_ignore(clrsos_dac_method_desc_from_ip(dac, ip, ret));
}

struct clrsos_error *clrsos_method_desc_from_entry(struct clrsos_dac *dac, uint64_t entry, uint64_t *ret)
{
	struct clrsos_error *err = clrsos_method_desc_from_ip(dac, entry, ret);
	if (err || *ret)
		return err;
	return clrsos_error_ignore(clrsos_dac_code_header_method_desc(dac, entry, ret));
}

struct clrsos_error *clrsos_method_list_init(struct clrsos_method_list *list, struct clrsos_dac *dac,
					     uint64_t mt, uint32_t slot_count)
{
	memset(list, 0, sizeof(*list));
	/* Newer DACs list the methods with their MethodDescs; older ones give
	 * slots, whose entry points lead to their MethodDescs. */
	struct clrsos_sos_method_data *listed = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_methods(dac, mt, &listed, &n);
	if (err)
		return err;
	size_t count = listed ? n : slot_count;
	list->items = calloc(count ? count : 1, sizeof(*list->items));
	if (!list->items) {
		free(listed);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < count; i++) {
		struct clrsos_method *m = &list->items[i];
		if (listed) {
			m->entry = listed[i].entry_point;
			m->method_desc = listed[i].method_desc;
			m->slot = listed[i].slot;
			m->token = listed[i].token;
		} else {
			m->slot = (uint32_t)i;
			if ((err = clrsos_dac_method_slot(dac, mt, (uint32_t)i, &m->entry, &m->method_desc)))
				break;
		}
		list->count = i + 1;
		if (!m->method_desc && m->entry &&
		    (err = clrsos_method_desc_from_ip(dac, m->entry, &m->method_desc)))
			break;
		if (m->method_desc && (err = clrsos_dac_method_desc(dac, m->method_desc, &m->name, &m->has_code))) {
			if (clrsos_error_is_no_memory(err))
				break;
			clrsos_error_destroy(err);
			err = NULL;
			m->name = NULL; /* has_code still says what the runtime answered */
		}
	}
	free(listed);
	if (err)
		clrsos_method_list_deinit(list);
	return err;
}

void clrsos_method_list_deinit(struct clrsos_method_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
	memset(list, 0, sizeof(*list));
}
