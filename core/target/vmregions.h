/*
 * The process's mappings, from where the OS or a core keeps them: a live
 * process's /proc/<pid>/smaps (each mapping with its resident bytes), or a
 * core's PT_LOAD headers named by its NT_FILE note (each with how much of it
 * the core holds). The debugger's target ops (vm_regions) call these.
 */
#ifndef CLRSOS_VMREGIONS_H
#define CLRSOS_VMREGIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "target/elfimage.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse smaps text (or maps text: then resident stays unknown) from f. */
struct clrsos_error *clrsos_vm_regions_parse_smaps(FILE *f, struct clrsos_vm_region **ret, size_t *ret_count);

/* /proc/<pid>/smaps of a live process on this machine, opened once. */
struct clrsos_error *clrsos_vm_regions_proc(uint64_t pid, struct clrsos_vm_region **ret, size_t *ret_count);

/*
 * A core's memory regions: its PT_LOAD headers (in_core: the bytes the file
 * holds of each), named by its NT_FILE note; NT_FILE mappings no PT_LOAD
 * covers come as regions of unknown access (CLRSOS_VM_PROT_UNKNOWN) that the
 * core holds nothing of.
 */
struct clrsos_error *clrsos_vm_regions_core(const struct clrsos_elf_core *core, struct clrsos_vm_region **ret,
					    size_t *ret_count);

/* In prot: the access is not known (a mapping a core names but does not list). */
enum { CLRSOS_VM_PROT_UNKNOWN = 8 };

#ifdef __cplusplus
}
#endif

#endif
