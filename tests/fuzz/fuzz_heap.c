/*
 * The heap walk and the object commands over a mutated heap snapshot:
 * dumpheap -stat (and -strings, -type, a range), dumpobj, dumparray,
 * dumpstring, dumpmt of what the snapshot's queries name. Each must finish
 * with output or a one-line error (snapshot.c aborts otherwise).
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
		SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, "-stat");
		SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, "-strings");
		SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, "-type", "Sys", "-min", "24");
		for (size_t i = 0; i < s.nqueries; i++) {
			char a[32], b[32];
			snprintf(a, sizeof(a), "0x%" PRIx64, s.queries[i]);
			snprintf(b, sizeof(b), "0x%" PRIx64, s.queries[i] + 4096);
			SNAPSHOT_RUN(&s, clrsos_cmd_dumpobj, a);
			SNAPSHOT_RUN(&s, clrsos_cmd_dumparray, a, "-details");
			SNAPSHOT_RUN(&s, clrsos_cmd_dumpstring, a);
			SNAPSHOT_RUN(&s, clrsos_cmd_dumpheap, a, b);
		}
	}
	snapshot_free(&s);
	return 0;
}
