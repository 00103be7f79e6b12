/*
 * Reachability and roots over a mutated heap snapshot: dumpheap -live and
 * -dead (the marking), gcroot (the referrers index and its searches),
 * objsize, gchandles.
 */
#include <inttypes.h>
#include <stdio.h>

#include "commands/commands.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	if (snapshot_load(&s, data, size) == 0) {
		SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, "-live", "-stat");
		SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, "-dead", "-short");
		SNAPSHOT_RUN(&s, clrsos_cmd_gchandles, "--json");
		for (size_t i = 0; i < s.nqueries; i++) {
			char a[32];
			snprintf(a, sizeof(a), "0x%" PRIx64, s.queries[i]);
			SNAPSHOT_RUN(&s, clrsos_cmd_gcroot, a);
			SNAPSHOT_RUN(&s, clrsos_cmd_objsize, a);
		}
	}
	snapshot_free(&s);
	return 0;
}
