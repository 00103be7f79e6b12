/*
 * GC handles the runtime's own walk leaves out. Under server GC the runtime
 * keeps one handle table per processor in each bucket, but its debugging
 * walk (up to .NET 10) visits only as many tables as there are heaps in
 * use; with dynamic adaptation (DATAS) that is fewer, and the handles in
 * the other tables go unlisted (dotnet/runtime#124872). This reads those
 * tables from the target's memory: the handle table map is found in the
 * runtime's data by its shape and confirmed through a table the runtime's
 * walk did list (every segment points back to its table).
 */
#ifndef CLRSOS_HANDLETABLE_H
#define CLRSOS_HANDLETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "dac/dac.h"
#include "base/error.h"
#include "dac/sosdac.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The runtime's handle list (clrsos_dac_handles), plus, under server GC,
 * the handles of the tables its walk skipped (*ret_extra of them, at the
 * end). A failure to read the skipped tables is not an error: the runtime's
 * list stands alone (*ret_extra is 0).
 */
struct clrsos_error *clrsos_handles_all(struct clrsos_dac *dac, struct clrsos_target *target, bool server,
					struct clrsos_sos_handle_data **ret, size_t *ret_count, size_t *ret_extra);

struct clrsos_range {
	uint64_t start, end;
};

/*
 * The live handles of the tables the runtime's list (listed) left out,
 * given the runtime's writable data ranges where the handle table map
 * lives (malloc'd; *ret_count 0 when the map is not found).
 */
struct clrsos_error *clrsos_handle_tables_unlisted(struct clrsos_target *target, const struct clrsos_range *data,
						   size_t ndata, const struct clrsos_sos_handle_data *listed,
						   size_t nlisted, struct clrsos_sos_handle_data **ret, size_t *ret_count);

#ifdef __cplusplus
}
#endif

#endif
