/*
 * pdblines: the portable PDB reader (core/model/pdb.c) from the command
 * line, for tests/pdb/test_pdb.py.
 *
 *   pdblines <file.pdb> <token> <il-offset> [<token> <il-offset>]...
 *
 * prints one line for each pair: "<token> <il-offset> <line> <document>"
 * (line 0 and document "-" when the PDB has no line there). An error
 * prints "error: <message>" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "model/pdb.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc % 2) {
		fprintf(stderr, "usage: pdblines <file.pdb> [<token> <il-offset>]...\n");
		return 2;
	}
	struct clrsos_pdb *pdb = NULL;
	struct clrsos_error *err = clrsos_pdb_open_file(argv[1], &pdb);
	if (err) {
		printf("error: %s\n", err->message);
		clrsos_error_destroy(err);
		return 1;
	}
	int status = 0;
	for (int i = 2; i + 1 < argc; i += 2) {
		uint32_t token = (uint32_t)strtoul(argv[i], NULL, 0);
		uint32_t il = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		char *doc = NULL;
		uint32_t line = 0;
		err = clrsos_pdb_source_line(pdb, token, il, &doc, &line);
		if (err) {
			printf("error: %s\n", err->message);
			clrsos_error_destroy(err);
			status = 1;
			continue;
		}
		printf("0x%08x %u %u %s\n", token, il, line, doc ? doc : "-");
		free(doc);
	}
	clrsos_pdb_destroy(pdb);
	return status;
}
