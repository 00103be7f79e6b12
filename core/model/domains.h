/*
 * Domains: the runtime's AppDomains (the system domain, then the app
 * domains), the assemblies each has loaded and their modules, as SOS's
 * DumpDomain and DumpAssembly show them.
 */
#ifndef CLRSOS_DOMAINS_H
#define CLRSOS_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_domain_module {
	uint64_t address;
	bool have_data;     /* false: the runtime could not describe it */
	bool is_reflection; /* emitted at run time */
	char *file;         /* malloc'd; NULL if the runtime names none */
};

struct clrsos_assembly_info {
	uint64_t address;
	uint64_t parent_domain;
	bool have_data;     /* false: the runtime could not describe it (no modules then) */
	bool is_dynamic;
	char *name;         /* its file as the runtime records it, malloc'd; NULL if none */
	struct clrsos_domain_module *modules;
	size_t nmodules;
};

enum clrsos_domain_kind {
	CLRSOS_DOMAIN_SYSTEM,
	CLRSOS_DOMAIN_SHARED,
	CLRSOS_DOMAIN_APP,
};

struct clrsos_domain_info {
	uint64_t address;
	enum clrsos_domain_kind kind;
	uint32_t id;        /* an app domain's number, from 1 */
	uint64_t low_frequency_heap, high_frequency_heap, stub_heap;
	int32_t stage;
	char *name;         /* malloc'd; NULL: the runtime would not say */
	struct clrsos_assembly_info *assemblies;
	size_t nassemblies;
};

struct clrsos_domain_list {
	struct clrsos_domain_info *items;
	size_t count;
};

/*
 * Every domain (only 0), or the one domain at only (an invalid-argument
 * error if it is not a domain).
 */
struct clrsos_error *clrsos_domain_list_init(struct clrsos_domain_list *list, struct clrsos_dac *dac, uint64_t only);
void clrsos_domain_list_deinit(struct clrsos_domain_list *list);

/* The assembly at address; an invalid-argument error if no domain lists it. */
struct clrsos_error *clrsos_assembly_info_init(struct clrsos_assembly_info *info, struct clrsos_dac *dac,
					       uint64_t address);
void clrsos_assembly_info_deinit(struct clrsos_assembly_info *info);

/* A type a module defines (TypeDef) or refers to (TypeRef) that the runtime has loaded. */
struct clrsos_module_type {
	uint32_t token;     /* 0x02<row> or 0x01<row> */
	uint64_t mt;
	char *name;         /* the runtime's name, malloc'd; NULL if it gives none */
};

struct clrsos_module_type_list {
	struct clrsos_module_type *items;
	size_t count;
};

/* A module's loaded TypeDefs (type_refs false) or TypeRefs, in row order; named if names. */
struct clrsos_error *clrsos_module_type_list_init(struct clrsos_module_type_list *list, struct clrsos_dac *dac,
						  uint64_t module, bool type_refs, bool names);
void clrsos_module_type_list_deinit(struct clrsos_module_type_list *list);

/* A domain stage's name as SOS prints it ("OPEN", ...; "UNKNOWN"). */
const char *clrsos_domain_stage_name(int32_t stage);

#ifdef __cplusplus
}
#endif

#endif
