/*
 * The groups of unit tests: each test file runs its own cmocka group and
 * returns how many of its tests failed.
 */
#ifndef CLRSOS_TESTS_TESTS_H
#define CLRSOS_TESTS_TESTS_H

int run_target_tests(void);
int run_elf_tests(void);
int run_output_tests(void);
int run_commands_tests(void);
int run_typename_tests(void);
int run_metadata_tests(void);
int run_pdb_tests(void);
int run_heap_tests(void);
int run_handletable_tests(void);
int run_heapdiff_tests(void);
int run_options_tests(void);
int run_containers_tests(void);
int run_loadpolicy_tests(void);
int run_dac_tests(void);
int run_statics_tests(void);
int run_typestats_tests(void);
int run_signature_tests(void);
int run_unwind_tests(void);
int run_gcinfo_tests(void);
int run_il_tests(void);
int run_bpmd_tests(void);
int run_dominators_tests(void);
int run_stresslog_tests(void);
int run_dupstrings_tests(void);
int run_glibcheap_tests(void);

#endif
