#include <stdio.h>

#include "tests.h"

int main(void)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} groups[] = {
		{"target", run_target_tests},
		{"elf", run_elf_tests},
		{"output", run_output_tests},
		{"commands", run_commands_tests},
		{"typename", run_typename_tests},
		{"metadata", run_metadata_tests},
		{"heap", run_heap_tests},
		{"handletable", run_handletable_tests},
		{"heapdiff", run_heapdiff_tests},
		{"options", run_options_tests},
		{"containers", run_containers_tests},
		{"loadpolicy", run_loadpolicy_tests},
		{"dac", run_dac_tests},
		{"statics", run_statics_tests},
		{"typestats", run_typestats_tests},
		{"signature", run_signature_tests},
		{"gcinfo", run_gcinfo_tests},
		{"il", run_il_tests},
		{"pdb", run_pdb_tests},
		{"unwind", run_unwind_tests},
		{"bpmd", run_bpmd_tests},
		{"dominators", run_dominators_tests},
		{"stresslog", run_stresslog_tests},
		{"dupstrings", run_dupstrings_tests},
		{"glibcheap", run_glibcheap_tests},
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int n = groups[i].run();
		if (n)
			fprintf(stderr, "unit: %d test(s) failed in group %s\n", n,
				groups[i].name);
		failed += n;
	}
	if (failed)
		fprintf(stderr, "unit: %d test(s) failed in all\n", failed);
	return failed ? 1 : 0;
}
