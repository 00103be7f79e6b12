#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "model/runtime.h"
#include "commands.h"
#include "base/vector.h"

const struct clrsos_command clrsos_commands[] = {
	{
		.name = "eeversion",
		.aliases = (const char *const[]){"EEVersion", NULL},
		.help = "Show the .NET runtime's version, its GC mode and the DAC clrsos loaded.",
		.syntax = "eeversion [--json]\n"
			  "\n"
			  "Prints the runtime version (product, file version and commit), the GC\n"
			  "mode (Workstation or Server, regions or segments, DATAS), the number of\n"
			  "GC heaps, where libcoreclr.so is loaded with its build-id, and the path\n"
			  "of the DAC (libmscordaccore.so) in use.\n"
			  "\n"
			  "  --json   one JSON object instead of text\n"
			  "\n"
			  "Example: eeversion",
		.run = clrsos_cmd_eeversion,
	},
	{
		.name = "eeheap",
		.aliases = (const char *const[]){"EEHeap", NULL},
		.help = "Show the runtime's native memory: loader and code heaps, and the GC heaps.",
		.syntax = "eeheap [-gc] [-loader] [-heap <n>] [-segment <address>] [<start> [<end>]] [--json]\n"
			  "\n"
			  "Without -gc or -loader, both, then the bytes the runtime holds in all.\n"
			  "Loader heaps: per AppDomain's LoaderAllocator its heaps (LowFrequencyHeap,\n"
			  "HighFrequencyHeap, StubHeap, ...), each block as start(reserved:committed)\n"
			  "in hex, then per JIT manager its code heaps; a heap's size is what the\n"
			  "target holds of its blocks, wasted the rest of its full blocks.\n"
			  "GC heap: per GC heap, the segments (or regions) of each generation, the\n"
			  "large, pinned and NonGC (frozen) object heaps, with each segment's\n"
			  "object range, committed end, allocated and committed size; then the\n"
			  "sizes per generation and the totals.\n"
			  "\n"
			  "  -gc                 the GC heap\n"
			  "  -loader             the loader and code heaps\n"
			  "  -heap <n>           only server GC heap n\n"
			  "  -segment <address>  only the segment or region with this address\n"
			  "                      (its record, or any address inside it)\n"
			  "  <start> [<end>]     only segments and loader heap blocks in this range\n"
			  "  --json              one JSON object instead of text\n"
			  "\n"
			  "Example: eeheap -gc",
		.run = clrsos_cmd_eeheap,
	},
	{
		.name = "nativeheap",
		.aliases = NULL,
		.help = "Show glibc's native heap: each malloc arena's in-use and free bytes, or chunk sizes (maddress -native).",
		.syntax = "nativeheap [-stat] [--json]\n"
			  "\n"
			  "Walks glibc's malloc arenas in the target's libc.so.6 (no debug symbols\n"
			  "needed): per arena its address, kind (main or thread), heaps, the bytes\n"
			  "it has from the system, in use, free (bins, fastbins, tcaches and the top\n"
			  "chunk), the top chunk, the largest free chunk other than top and the\n"
			  "fragmentation (free chunks other than top against free plus in use);\n"
			  "then the totals and mmapped chunks (from malloc's own counters). Every\n"
			  "chunk header and free list is checked: a damaged heap fails the command\n"
			  "naming the first bad address. glibc 2.35 to 2.41 (verified on 2.36);\n"
			  "not musl. Also `maddress -native`.\n"
			  "\n"
			  "  -stat    the in-use chunks by chunk size: count and bytes, most bytes first\n"
			  "  --json   one JSON object instead of text\n"
			  "\n"
			  "Example: nativeheap -stat",
		.run = clrsos_cmd_nativeheap,
	},
	{
		.name = "maddress",
		.aliases = (const char *const[]){NULL},
		.help = "Show where all of the process's memory goes: each mapping and its owner.",
		.syntax = "maddress [-summary] [-images] [-reserve [-reserveHeuristic]] [-orderBySize]\n"
			  "         [-list <kinds>] [-forceHandleTable] [--save <file>] [--json]\n"
			  "maddress -native [-stat] [--json]\n"
			  "\n"
			  "Every mapping of the process (live: /proc/<pid>/smaps; a core: its\n"
			  "program headers and NT_FILE note) with its owner: the GC heap\n"
			  "(GCHeap, [GCHeapReserve]), GCBookkeeping, HandleTable, GCHeapToBeFreed,\n"
			  "the loader and code heaps (by name), thread stacks (Stack), images\n"
			  "(Image), mapped files (FileMapping), glibc's arenas (NativeHeap) and\n"
			  "the rest by protection (PAGE_READWRITE). A region table as SOS's, then\n"
			  "the summary by kind with [TOTAL], then per owner the reserved,\n"
			  "committed and (live) resident bytes.\n"
			  "\n"
			  "  -summary, -stat     only the summary tables\n"
			  "  -images             a table of the memory of each image (-imagesOnly)\n"
			  "  -reserve            list reserved (no access) regions too (-includeReserve)\n"
			  "  -reserveHeuristic   name a reserved region after the owned one before it,\n"
			  "                      [GCHeapReserve]-style (-useHeuristic; needs -reserve)\n"
			  "  -orderBySize        regions largest first, not by address\n"
			  "  -list <kinds>       only the regions of these kinds (',' or ' ' between)\n"
			  "  -forceHandleTable   accepted for SOS; the handle table is always tagged\n"
			  "                      where the runtime lists it (.NET 8 and later)\n"
			  "  --save <file>       also write the owners' sums to <file> (JSON), to\n"
			  "                      compare with a later dump: heapdiff <file> <file>\n"
			  "  --json              one JSON object instead of text\n"
			  "  -native             glibc's native heap by arena instead (nativeheap;\n"
			  "                      with -stat: its chunk sizes)\n"
			  "\n"
			  "Example: maddress -summary",
		.run = clrsos_cmd_maddress,
	},
	{
		.name = "dumpheap",
		.aliases = (const char *const[]){"DumpHeap", NULL},
		.help = "List the objects on the GC heap, or their statistics by type.",
		.syntax = "dumpheap [-stat] [-short] [-bycount] [-type <text>] [-mt <MethodTable>]\n"
			  "         [-min <bytes>] [-max <bytes>] [-live | -dead] [-gen <generation>]\n"
			  "         [-heap <n>] [-segment <address>] [-thinlock] [-noprogress] [--json]\n"
			  "         [-ignoreGCState] [-startAtLowerBound]\n"
			  "         [--save <file>] [<start> [<end>]]\n"
			  "\n"
			  "Walks every object of the GC heap exactly once (small, large, pinned and\n"
			  "NonGC heaps; free space as Free objects) and lists those that pass the\n"
			  "filters as 'Address MT Size' rows, then 'Statistics:' per MethodTable,\n"
			  "ascending by total size, and the fragmentation (free blocks of 0.5 MB or\n"
			  "more followed by an object).\n"
			  "\n"
			  "  -stat               only the statistics\n"
			  "  -strings            the string values instead: count, total size, bytes\n"
			  "                      wasted in duplicates and the text, largest waste first\n"
			  "  -short              only the addresses, one per line\n"
			  "  -bycount            sort the statistics by count\n"
			  "  -type <text>        types whose name contains the text (e.g. System.String)\n"
			  "  -mt <MethodTable>   objects of this MethodTable\n"
			  "  -min/-max <bytes>   objects at least / at most this size (decimal, or 0x hex)\n"
			  "  -live, -dead        objects reachable from a root / not reachable (free\n"
			  "                      space is neither)\n"
			  "  -gen <generation>   gen0, gen1, gen2, loh, poh or foh (frozen, NonGC)\n"
			  "  -heap <n>           one server GC heap\n"
			  "  -segment <address>  one segment or region (see eeheap -gc)\n"
			  "  <start> [<end>]     objects whose address is in the range\n"
			  "  -startAtLowerBound  walk from <start> itself, even where no object starts\n"
			  "                      (not from its segment's first object: a corrupt heap)\n"
			  "  -thinlock           objects holding a thin lock, with the thread id\n"
			  "  -noprogress         no progress lines on long walks\n"
			  "  -ignoreGCState      walk the heap even when the process is stopped in the\n"
			  "                      middle of a garbage collection (the answer may be wrong)\n"
			  "  --save <file>       also write the statistics by type to <file> (JSON),\n"
			  "                      to compare with a later heap: heapdiff <file>\n"
			  "  --json              one JSON object instead of text\n"
			  "\n"
			  "Example: dumpheap -stat -type HeapShapes.",
		.run = clrsos_cmd_dumpheap,
	},
	{
		.name = "dumpobj",
		.aliases = (const char *const[]){"do", "DumpObj", NULL},
		.help = "Show an object: its type, size, file and fields with their values.",
		.syntax = "dumpobj <address> [-nofields] [-refs] [--json]\n"
			  "\n"
			  "Name, MethodTable, EEClass, Size, File (or the array's rank, length and\n"
			  "element type), the text of a string, then the Fields table as SOS prints\n"
			  "it: MT Field Offset Type VT Attr Value Name. Inherited fields come first;\n"
			  "static fields show their value, thread-static ones a value per thread.\n"
			  "Values: integers in decimal, bool 0/1, char as its hex code, floats,\n"
			  "references as addresses, an embedded struct (VT Yes) as its own address\n"
			  "(open it with dumpvc). A thin lock in the header names its owner.\n"
			  "\n"
			  "  -nofields   no Fields table\n"
			  "  -refs       also the objects this one references: SOS's GC Refs table\n"
			  "              (Field, Offset from the object's data, Object, Type)\n"
			  "  --json      one JSON object\n"
			  "\n"
			  "Example: dumpobj 7f24eca02468",
		.run = clrsos_cmd_dumpobj,
	},
	{
		.name = "dumpvc",
		.aliases = (const char *const[]){"DumpVC", NULL},
		.help = "Show the fields of a value type stored at an address.",
		.syntax = "dumpvc <MethodTable> <address> [--json]\n"
			  "\n"
			  "For a struct embedded in an object or an array (dumpobj shows its field\n"
			  "with VT 1 and its address; dumparray lists elements' addresses).\n"
			  "\n"
			  "Example: dumpvc 7f24f0c9c140 7f1917db9d80",
		.run = clrsos_cmd_dumpvc,
	},
	{
		.name = "dumpmt",
		.aliases = (const char *const[]){"DumpMT", NULL},
		.help = "Show a MethodTable: parent, module, name, sizes, context and method counts.",
		.syntax = "dumpmt <MethodTable> [-md] [-all] [--json]\n"
			  "\n"
			  "SOS 10's DumpMT: Parent (its MethodTable), then Canonical (the\n"
			  "canonical MethodTable, .NET 9+, where it is another) or EEClass (older\n"
			  "runtimes), Module, Name, mdToken, File, LoaderAllocator (a collectible\n"
			  "type's), AssemblyLoadContext, BaseSize, ComponentSize (arrays, strings),\n"
			  "Has GC Pointers, Number of Methods, Number of IFaces in IFaceMap.\n"
			  "\n"
			  "  -md    also the MethodDesc table: each method slot's entry point,\n"
			  "         MethodDesc, whether it has code (JIT/NONE), its slot and its name\n"
			  "  -all   -md, then the class's details as dumpclass shows them (Class\n"
			  "         Attributes, slot and field counts, the field table)\n"
			  "  --json {methodTable, eeClass, module, name, token, file, baseSize,\n"
			  "         componentSize, parent, parentName, vtableSlots, methods,\n"
			  "         interfaces, instanceFields, staticFields, threadStaticFields,\n"
			  "         containsPointers, hasFinalizer, dynamicStatics,\n"
			  "         eeClassIsCanonicalMethodTable, canonicalMethodTable,\n"
			  "         loaderAllocator, assemblyLoadContext}; -md adds methodDescs,\n"
			  "         -all fields\n"
			  "\n"
			  "Example: dumpmt 7f24f0b2b6d8",
		.run = clrsos_cmd_dumpmt,
	},
	{
		.name = "dumparray",
		.aliases = (const char *const[]){"da", "DumpArray", NULL},
		.help = "Show an array: rank, element type, length and the elements.",
		.syntax = "dumparray <address> [-start <index>] [-length <count>] [-details] [--json]\n"
			  "\n"
			  "Lists the elements as [index] value: numbers for primitives, addresses\n"
			  "(or null) for references, each element's address for structs.\n"
			  "\n"
			  "  -start <index>    first element\n"
			  "  -length <count>   how many\n"
			  "  -details          open each struct element's fields (as dumpvc)\n"
			  "\n"
			  "Example: da -start 10 -length 5 7f24eca02468",
		.run = clrsos_cmd_dumparray,
	},
	{
		.name = "gcroot",
		.aliases = (const char *const[]){"GCRoot", NULL},
		.help = "Show what keeps an object alive: each root and the shortest chain from it.",
		.syntax = "gcroot <address> [-nostacks] [-limit <n>] [--json]\n"
			  "\n"
			  "For each root that keeps the object alive (a GC handle: strong, pinned,\n"
			  "async pinned, ref counted, sized ref; a managed thread's stack slot or\n"
			  "register; the finalizer queue), the root, then the shortest chain of\n"
			  "references from it to the object ('-> address type'), a dependent handle\n"
			  "edge marked as such. Last: 'Found N unique roots.'\n"
			  "\n"
			  "  -nostacks    leave out stack roots\n"
			  "  -limit <n>   stop after n roots\n"
			  "  --json       {target, roots: [{kind, ..., path: [{address, type, dependentHandle}]}], count}\n"
			  "\n"
			  "Example: gcroot 7f24eca02468",
		.run = clrsos_cmd_gcroot,
	},
	{
		.name = "objsize",
		.aliases = (const char *const[]){"ObjSize", NULL},
		.help = "Show the total size of everything an object keeps alive.",
		.syntax = "objsize [<address> | -mt <MethodTable>] [-stat | -short | -strings] [--json]\n"
			  "\n"
			  "Every object reachable from the object through its references, itself\n"
			  "included, each counted once: the total size and count, and the\n"
			  "statistics per type. With -mt, what all the type's instances keep alive\n"
			  "together. With neither, each root (handle, stack slot, static, finalizer\n"
			  "queue entry) and the size of what its object keeps alive, as SOS's\n"
			  "ObjSize without arguments: a subgraph two roots share counts in both.\n"
			  "\n"
			  "  -stat | -summary    only the statistics per type\n"
			  "  -short              only the addresses of the objects kept alive\n"
			  "  -strings            the strings kept alive by text (first 1024 chars) and\n"
			  "                      size: Count TotalSize String, ascending by total size\n"
			  "  -mt <MethodTable>   start from every instance of the type\n"
			  "  --json              {address or mt and instances, type, objects, size,\n"
			  "                      statistics, addresses or strings: [{count, totalSize,\n"
			  "                      text}]}; without arguments {roots:\n"
			  "                      [{kind, root, handleType, osThreadId, address, type,\n"
			  "                      objects, size}], rootsSkipped}\n"
			  "\n"
			  "Example: objsize -stat 7f24eca02468",
		.run = clrsos_cmd_objsize,
	},
	{
		.name = "gcheapstat",
		.aliases = (const char *const[]){"GCHeapStat", "GcHeapStat", "heapstat", "HeapStat", NULL},
		.help = "Show each GC heap's sizes per generation: allocated, free, committed.",
		.syntax = "gcheapstat [-unreachable | -inclUnrooted | -iu] [--json]\n"
			  "\n"
			  "SOS's GCHeapStat: a table per measure, a row per GC heap and a Total\n"
			  "row, a column per generation (Gen0, Gen1, Gen2, LOH, POH; EPH first for\n"
			  "the ephemeral segment of a GC with segments). Allocated: the bytes of\n"
			  "the generation's objects, free space included (as eeheap -gc). Free\n"
			  "space: the bytes of Free objects, with each heap's share of SOH, LOH\n"
			  "and POH. Committed space: the committed memory of its segments or\n"
			  "regions. NonGC (frozen) objects are left out.\n"
			  "\n"
			  "  -unreachable   also the bytes of objects no root keeps alive (exact:\n"
			  "                 the same marking as dumpheap -dead); aliases\n"
			  "                 -inclUnrooted, -iu\n"
			  "  --json         {unreachable, heaps: [{index, generations: {gen0: {allocated,\n"
			  "                 free, unrooted, committed}, ...}}], total, warnings}\n"
			  "\n"
			  "Example: gcheapstat -iu",
		.run = clrsos_cmd_gcheapstat,
	},
	{
		.name = "dominators",
		.help = "Show the objects that keep the live heap alive, by the bytes each retains, and by type.",
		.syntax = "dominators [-top <n>] [--json]\n"
			  "\n"
			  "The top level of the dominator tree: the objects no other object keeps\n"
			  "alive alone (each is held by a root, or reached from several), which\n"
			  "together retain the whole live heap. The -top (20) that retain the most,\n"
			  "with their objects and the kind of root that holds each (several: more\n"
			  "than one root or way reaches it); then the same objects summed by type.\n"
			  "retained <address> goes down from one of them.\n"
			  "\n"
			  "  -top <n>   rows of each table\n"
			  "  --json     {topLevel, liveObjects, liveHeap, objects: [{address, type,\n"
			  "             size, retained, objects, root: {kind, address, roots} | null}],\n"
			  "             types: [{type, count, retained, objects}]}\n"
			  "\n"
			  "Example: dominators -top 10",
		.run = clrsos_cmd_dominators,
	},
	{
		.name = "retained",
		.help = "Show what one object keeps alive alone: its retained size, its dominators, the largest it retains.",
		.syntax = "retained <address> [-top <n>] [-depth <n>] [--json]\n"
			  "retained -stat [-top <n>] [--save <file>] [--json]\n"
			  "\n"
			  "The object's retained size: its own and that of every object it\n"
			  "dominates (every path from the roots to them passes through it), what a\n"
			  "collection would free if nothing referred to it any more, and how many\n"
			  "objects that is. Then its dominators, nearest first (each keeps the one\n"
			  "before alive alone), up to the root that holds the last (or a note that\n"
			  "several roots reach it, none alone), and the largest objects it retains:\n"
			  "the -top (10) largest it dominates directly, each followed by its own\n"
			  "-top largest, -depth (1, at most 8) levels down. Built once per stop on\n"
			  "gcroot's index of referrers (the first retained of a stop takes longer).\n"
			  "objsize counts what an object references, shared or not; retained only\n"
			  "what it alone keeps alive.\n"
			  "\n"
			  "-stat: by type, dumpheap -stat -live with a Retained column (each object\n"
			  "counted once, under the topmost instance of the type above it), sorted\n"
			  "by it; -top: only the largest. --save also writes every type's live\n"
			  "count, bytes and retained bytes to a file, for heapdiff to compare.\n"
			  "\n"
			  "  -top <n>     objects shown under each (0: none); with -stat, types\n"
			  "  -stat        retained bytes by type\n"
			  "  --save <file>  (-stat) the histogram with retained bytes, for heapdiff\n"
			  "  -depth <n>   levels below the object\n"
			  "  --json       {address, type, size, retained, objects, liveHeap,\n"
			  "               dominators: [{address, type, size, retained}], chainTruncated,\n"
			  "               root: {kind, address, roots} | null, retains: [{address,\n"
			  "               type, size, retained, objects, level, dominator}]};\n"
			  "               -stat: {liveHeap, types: [{mt, type, count, totalSize,\n"
			  "               retained}], savedTo}\n"
			  "\n"
			  "Example: retained 7f24eca02468 -depth 2",
		.run = clrsos_cmd_retained,
	},
	{
		.name = "gcwhere",
		.aliases = (const char *const[]){"GCWhere", "GcWhere", NULL},
		.help = "Show the GC heap, segment or region and generation an address is in.",
		.syntax = "gcwhere <address> [--json]\n"
			  "\n"
			  "SOS's GCWhere: Address, Heap, Segment, Generation (0, 1, 2, large,\n"
			  "pinned, frozen; reserve in reserved memory past the committed part),\n"
			  "then the segment's object range (Allocated), committed and reserved\n"
			  "memory as begin-end. An address in no segment says so.\n"
			  "\n"
			  "  --json   {address, found, segments: [{heap, segment, kind, generation,\n"
			  "           begin, allocated, committedBegin, committed, reserved}]}\n"
			  "\n"
			  "Example: gcwhere 7f24eca02468",
		.run = clrsos_cmd_gcwhere,
	},
	{
		.name = "dumpgen",
		.aliases = (const char *const[]){"dg", "DumpGen", NULL},
		.help = "Show the objects of one generation by type, or one MethodTable's objects in it.",
		.syntax = "dumpgen <gen0|gen1|gen2|loh|poh|foh> [-type <text>] [-mt <MethodTable>] [--json]\n"
			  "\n"
			  "SOS's DumpGen: Statistics (MT Count TotalSize Class Name, ascending by\n"
			  "total size, then Total N objects) of the generation's objects, Free\n"
			  "space included as dumpheap -stat -gen counts it.\n"
			  "\n"
			  "  -type <text>        only types whose name contains text, in any case\n"
			  "  -mt <MethodTable>   list that type's objects instead: Address MT Size\n"
			  "  --json              {generation, statistics, totalObjects, totalSize}; with\n"
			  "                      -mt {generation, mt, objects: [{address, size}], totalObjects}\n"
			  "\n"
			  "Example: dumpgen gen2 -type HeapShapes",
		.run = clrsos_cmd_dumpgen,
	},
	{
		.name = "gchandles",
		.aliases = (const char *const[]){"GCHandles", NULL},
		.help = "List the GC handles: kind, target object and its type.",
		.syntax = "gchandles [-stat] [-type <kind>] [--json]\n"
			  "\n"
			  "  -stat          only the statistics per target type and the counts per kind\n"
			  "  -type <kind>   Strong, Pinned, WeakShort, WeakLong, RefCounted, Dependent,\n"
			  "                 AsyncPinned, SizedRef, Variable\n"
			  "\n"
			  "Example: gchandles -type Pinned",
		.run = clrsos_cmd_gchandles,
	},
	{
		.name = "finalizequeue",
		.aliases = (const char *const[]){"fq", "FinalizeQueue", NULL},
		.help = "Show the objects registered for finalization and those ready to be finalized.",
		.syntax = "finalizequeue [-stat | -short] [-allReady] [-mt <MT>] [-detail] [--json]\n"
			  "\n"
			  "The SyncBlocks waiting for cleanup; per GC heap, how many objects of each\n"
			  "generation are registered for finalization and how many are ready\n"
			  "(f-reachable: their finalizer has yet to run); then the objects (Address,\n"
			  "MT, Size) and their statistics per type.\n"
			  "\n"
			  "  -stat, -summary  the statistics only\n"
			  "  -short           the objects' addresses only\n"
			  "  -allReady        only the objects ready for finalization and those no\n"
			  "                   root holds (the next GC of their generation readies\n"
			  "                   them): marks the whole heap once\n"
			  "  -mt <MT>         only objects of this MethodTable\n"
			  "  -detail          also list the objects ready for finalization per heap\n"
			  "\n"
			  "Example: finalizequeue -allReady -stat",
		.run = clrsos_cmd_finalizequeue,
	},
	{
		.name = "inspect",
		.help = "List leak suspects: duplicate strings, sparse collections, null-filled arrays, and more.",
		.syntax = "inspect [-top <n>] [<check>...] [--json]\n"
			  "\n"
			  "Runs the checks named (all of them without a name), each a section of\n"
			  "findings sorted by bytes, after a one-line summary. A finding says what\n"
			  "(a type, an object or a text), its bytes (wasted, retained, or the\n"
			  "objects' own size), how it was found, and one command to follow it up.\n"
			  "\n"
			  "Checks:\n"
			  "  strings      texts held in several copies (the tally of dumpheap\n"
			  "               -strings): wasted = (copies - 1) * the size of one\n"
			  "  collections  List, Dictionary, HashSet, Queue and Stack objects with at\n"
			  "               least 16 slots using at most half: wasted = unused slots *\n"
			  "               slot size (a dictionary's entries and buckets); per type,\n"
			  "               then the worst instances\n"
			  "  arrays       arrays of at least 256 references, 90% or more of them\n"
			  "               null: wasted = null slots * 8\n"
			  "  finalizers   the finalization queue's objects by type (their own size),\n"
			  "               with those ready for finalization\n"
			  "  pinned       objects pinned by handles, by type; the free space just\n"
			  "               before each; the large object heap's free space\n"
			  "  events       invocation lists with 32 or more handlers on objects of one\n"
			  "               type, and the bytes those objects retain\n"
			  "  retainers    byte[], StringBuilder, closures and async state machines\n"
			  "               retaining 64 KiB or more (the dominator tree)\n"
			  "All but finalizers share one walk of the heap; events and retainers first\n"
			  "build the dominator tree (as retained does): slow on a big heap.\n"
			  "\n"
			  "  -top <n>  findings per list (default 10)\n"
			  "  --json    one JSON object instead of text\n"
			  "\n"
			  "Example: inspect strings collections -top 5",
		.run = clrsos_cmd_inspect,
	},
	{
		.name = "clrthreads",
		.aliases = (const char *const[]){"t", NULL},
		.help = "List the managed threads.",
		.syntax = "clrthreads [-live] [-managedexception] [--json]\n"
			  "\n"
			  "The thread store's counts and whether the runtime is hosted, then per\n"
			  "thread: lldb's thread number (DBG; XXXX: lldb has no such thread), managed\n"
			  "id, OS id, the runtime's Thread, state, GC mode, allocation context,\n"
			  "AppDomain, lock count, apartment (Ukn off Windows), the finalizer and GC\n"
			  "threads and thread pool threads marked, the exception the thread holds.\n"
			  "\n"
			  "  -live              only threads lldb has (not dead ones)\n"
			  "  -managedexception  select (thread select) the first thread holding a\n"
			  "                     managed exception, for pe\n",
		.run = clrsos_cmd_clrthreads,
	},
	{
		.name = "clrstack",
		.aliases = (const char *const[]){"ClrStack", "CLRStack", NULL},
		.help = "Show the managed frames of the selected thread (or of every thread).",
		.syntax = "clrstack [-all] [-a | -p | -l] [-f] [-r] [-n] [-gc] [-c <count>] [--json]\n"
			  "clrstack -i [-a | -p | -l] [<variable>...] [<frame>] [-c <count>] [--json]\n"
			  "\n"
			  "Each frame's stack pointer, instruction pointer and method, as the\n"
			  "runtime walks the stack; the runtime's own Frames in brackets. A\n"
			  "managed frame gets [<file> @ <line>] when its module has a portable PDB\n"
			  "(beside the module's file, or embedded in it).\n"
			  "\n"
			  "  -all   every managed thread\n"
			  "  -p     each managed frame's parameters (name, home, value)\n"
			  "  -l     each managed frame's locals (home, value; the runtime keeps no names)\n"
			  "  -a     both\n"
			  "  -f     native frames too, unwound by clrsos (libunwind over the modules'\n"
			  "         unwind tables), interleaved by stack pointer: module!symbol + offset\n"
			  "  -r     each frame's registers (rsp, rbp, rip, rax ... r15)\n"
			  "  -n     no source lines\n"
			  "  -gc    under each frame, the GC references the runtime reports for it:\n"
			  "         register/slot -> object - type\n"
			  "  -c <count>  only the first <count> frames\n"
			  "  -i     SOS's ICorDebug view, built from the runtime's walk: methods in\n"
			  "         signature form with their module's file; with -a/-p/-l each\n"
			  "         argument and local named (locals from the portable PDB, else\n"
			  "         local_<n>), typed and valued (\"  + int count  = 84\"). <variable>:\n"
			  "         its fields too (shows -a); <frame>: variables of that frame only\n"
			  "\n"
			  "Example: clrstack -i -a; clrstack -i myList 2\n",
		.run = clrsos_cmd_clrstack,
	},
	{
		.name = "clrbt",
		.help = "lldb's backtrace of a thread with JIT-compiled frames named by their managed method.",
		.syntax = "clrbt [<OS thread id>] [--json]\n"
			  "\n"
			  "The debugger's own native backtrace of the selected thread (or the thread\n"
			  "with this OS id, decimal or 0x hex); every frame lldb cannot name is looked\n"
			  "up in the runtime and, if it is JIT-compiled code, named by its method\n"
			  "and, from the module's portable PDB, its source (at <file>:<line>).\n"
			  "Where lldb's backtrace stops short, clrsos's own unwinding goes on (its\n"
			  "frames marked '(unwound by clrsos)').\n",
		.run = clrsos_cmd_clrbt,
	},
	{
		.name = "dumpstack",
		.aliases = (const char *const[]){"DumpStack", NULL},
		.help = "Scan the selected thread's raw stack for return addresses, as SOS's DumpStack.",
		.syntax = "dumpstack [-EE] [-n] [-unwind] [<top> [<bottom>]]\n"
			  "\n"
			  "Every stack word from the stack pointer (or <top>) up 0xFFFF bytes (or to\n"
			  "<bottom>) whose value follows a call instruction: its caller (managed:\n"
			  "(MethodDesc <md> + <offset> <method>); native: module!symbol + <offset>\n"
			  "[file:line] where the debugger has a line table)\n"
			  "and, for a direct call, what it calls. Stale words of frames already left\n"
			  "show too: clrstack -f is the unwound stack.\n"
			  "\n"
			  "  -EE    managed frames only\n"
			  "  -n     no source lines (native code's '[file:line]' from the debugger)\n"
			  "  -unwind  accepted, as SOS accepts it; changes nothing (as SOS's)\n",
		.run = clrsos_cmd_dumpstack,
	},
	{
		.name = "eestack",
		.aliases = (const char *const[]){"EEStack", NULL},
		.help = "dumpstack on every managed thread, as SOS's EEStack.",
		.syntax = "eestack [-short] [-EE]\n"
			  "\n"
			  "dumpstack on each managed thread the debugger has, headed 'Thread <n>'.\n"
			  "\n"
			  "  -short  only threads holding a lock, hijacked, or stopped in managed code\n"
			  "  -EE     managed frames only\n",
		.run = clrsos_cmd_eestack,
	},
	{
		.name = "dso",
		.aliases = (const char *const[]){"dumpstackobjects", "DumpStackObjects", NULL},
		.help = "List the objects the selected thread's stack and registers hold, as SOS finds them.",
		.syntax = "dso [-verify] [<top> <bottom>] [-precise] [--json]\n"
			  "\n"
			  "As SOS: each register, then each stack slot from the stack pointer to just\n"
			  "past the outermost managed frame, that holds the address where an object\n"
			  "starts (checked against the heap's own walk; words of frames already left\n"
			  "are listed too). <top> <bottom>: scan that range instead. -verify: only\n"
			  "objects whose header and references check out (verifyobj). -precise: only\n"
			  "what the runtime's GC reference walk reports for the stack, as gcroot uses.\n"
			  "A thread on an alternate signal stack has its managed frames' stack scanned\n"
			  "too, and says so.\n",
		.run = clrsos_cmd_dso,
	},
	{
		.name = "pe",
		.aliases = (const char *const[]){"printexception", "PrintException", "Printexception", NULL},
		.help = "Print an exception: type, message, inner exception, stack trace, HResult.",
		.syntax = "pe [<address>] [-nested] [-lines] [--inner] [--json]\n"
			  "\n"
			  "The exception at the address, or the selected thread's current (last\n"
			  "thrown) exception: its type, message, inner exception, the stack trace the\n"
			  "runtime recorded as it travelled (SP, IP, Module.dll!Method+0xNN) and its\n"
			  "HResult.\n"
			  "\n"
			  "  -nested      also print the selected thread's nested exceptions (the\n"
			  "               ones in flight when it threw again, from catch blocks)\n"
			  "  -lines, -l   each frame's [file @ line] from the module's portable PDB\n"
			  "               (beside the assembly or embedded in it)\n"
			  "  --inner      also print the chain of inner exceptions\n",
		.run = clrsos_cmd_pe,
	},
	{
		.name = "dumplog",
		.aliases = (const char *const[]){"DumpLog", NULL},
		.help = "Write the runtime's in-memory stress log to a file.",
		.syntax = "dumplog [-addr <address>] [<file>] [--json]\n"
			  "\n"
			  "The runtime keeps a circular in-memory log per thread when started with\n"
			  "DOTNET_StressLog=1 (DOTNET_LogFacility: which facilities, e.g. 0x1 for GC or\n"
			  "0xffffffff for all; DOTNET_LogLevel: how much, up to 10; DOTNET_StressLogSize:\n"
			  "bytes per thread). dumplog writes it to <file> (./StressLog.txt if none) as\n"
			  "SOS does: the log's settings, then every message, all threads merged, newest\n"
			  "first: thread id, seconds from the start, facility, text. Formats are\n"
			  "expanded by clrsos: %p as 0x..., %s/%S read from the target, %pT a\n"
			  "MethodTable's name, %pM a MethodDesc's, %pK a code address's symbol.\n"
			  "The file is written only if it is a regular file or a new path.\n"
			  "\n"
			  "  -addr <address>  the StressLog at this address instead of the runtime's own\n"
			  "  --json           one JSON object (file, address, threads, entries) instead of text\n"
			  "\n"
			  "Example: dumplog /tmp/stress.txt",
		.run = clrsos_cmd_dumplog,
	},
	{
		.name = "histinit",
		.aliases = (const char *const[]){"HistInit", NULL},
		.help = "Build the GC history (histroot, histobj, ...) from the stress log.",
		.syntax = "histinit [--json]\n"
			  "\n"
			  "Reads the stress log (see dumplog) and keeps, for each of the last 500 GCs it\n"
			  "holds, the GC's root promotions, root relocations and plug moves (the GC logs\n"
			  "them with DOTNET_LogFacility including GC and GCROOTS and DOTNET_LogLevel 6 or\n"
			  "more). The history stays until histclear or the next histinit.\n"
			  "\n"
			  "Example: histinit",
		.run = clrsos_cmd_histinit,
	},
	{
		.name = "histstats",
		.aliases = (const char *const[]){"HistStats", NULL},
		.help = "Per GC of the history, its promotions and relocations; duplicates.",
		.syntax = "histstats [--json]\n"
			  "\n"
			  "Run histinit first. Lists each GC of the history, newest first, with its\n"
			  "promote and relocate message counts, then any root promoted or relocated\n"
			  "more than once in one GC.\n"
			  "\n"
			  "Example: histstats",
		.run = clrsos_cmd_histstats,
	},
	{
		.name = "histroot",
		.aliases = (const char *const[]){"HistRoot", NULL},
		.help = "A root's promotions and relocations through the GC history.",
		.syntax = "histroot <root> [--json]\n"
			  "\n"
			  "Run histinit first. For each GC, newest first: the value the root was\n"
			  "relocated to, its MethodTable, whether it was promoted, and notes on\n"
			  "records that disagree; '...' for GCs that did not touch it.\n"
			  "\n"
			  "Example: histroot 0x55d0c0a1c7c0",
		.run = clrsos_cmd_histroot,
	},
	{
		.name = "histobj",
		.aliases = (const char *const[]){"HistObj", NULL},
		.help = "An object's address back through the GC history, with the roots that moved it.",
		.syntax = "histobj <object> [--json]\n"
			  "\n"
			  "Run histinit first. From the newest GC back: the object's address in that\n"
			  "GC and the roots relocated to it; the address before the GC is where those\n"
			  "roots held it, and the walk goes on from there.\n"
			  "\n"
			  "Example: histobj 7f24eca02468",
		.run = clrsos_cmd_histobj,
	},
	{
		.name = "histobjfind",
		.aliases = (const char *const[]){"HistObjFind", NULL},
		.help = "Every promote and relocate record of the GC history that names an object.",
		.syntax = "histobjfind <object> [--json]\n"
			  "\n"
			  "Run histinit first. Lists, per GC, the promotions and relocations whose\n"
			  "value is the object.\n"
			  "\n"
			  "Example: histobjfind 7f24eca02468",
		.run = clrsos_cmd_histobjfind,
	},
	{
		.name = "histclear",
		.aliases = (const char *const[]){"HistClear", NULL},
		.help = "Forget the GC history histinit built.",
		.syntax = "histclear [--json]\n"
			  "\n"
			  "Example: histclear",
		.run = clrsos_cmd_histclear,
	},
	{
		.name = "dumpstring",
		.help = "Show the whole text of a System.String.",
		.syntax = "dumpstring <address> [--count <chars>] [--outfile <file>] [--raw] [--json]\n"
			  "\n"
			  "Decodes the string's UTF-16 to UTF-8, however long it is. The address\n"
			  "may point anywhere inside the string (e.g. at its characters): clrsos\n"
			  "finds the string that holds it and says so. Control characters and\n"
			  "unpaired surrogates are escaped (\\n, \\t, \\uD800) unless --raw.\n"
			  "\n"
			  "  --count <chars>   only the first chars\n"
			  "  --outfile <file>  write the exact text (UTF-8, nothing escaped) to a file\n"
			  "  --raw             print the text as it is\n"
			  "  --json            {address, length, text}\n"
			  "\n"
			  "Example: dumpstring 7f24eca02468 --outfile /tmp/payload.xml",
		.run = clrsos_cmd_dumpstring,
	},
	{
		.name = "findstring",
		.help = "Find the strings on the GC heap that contain a text or match a regular expression.",
		.syntax = "findstring <text> [-regex] [-min <chars>] [-gen <generation>] [--json]\n"
			  "\n"
			  "Lists every System.String whose text contains <text> (compared as UTF-16,\n"
			  "case-sensitive), or with -regex matches it as a regular expression (POSIX\n"
			  "extended syntax, matched by RE2 in linear time: no back-references):\n"
			  "address, length and the first 80 characters.\n"
			  "\n"
			  "  -regex            <text> is a regular expression\n"
			  "  -min <chars>      only strings at least this long\n"
			  "  -gen <generation> gen0, gen1, gen2, loh, poh or foh\n"
			  "  --json            {matches: [{address, length, text}], count}\n"
			  "\n"
			  "Example: findstring \"<Event \" -min 10000",
		.run = clrsos_cmd_findstring,
	},
	{
		.name = "heapdiff",
		.help = "Compare two heaps: per type, how many objects and bytes were added or freed.",
		.syntax = "heapdiff <before.json> [<after.json>] [-min <bytes>] [-retained] [--json]\n"
			  "\n"
			  "Compares a type histogram saved with 'dumpheap -stat --save <file>' with\n"
			  "the current target (counted the same way: all, -live or -dead objects),\n"
			  "or with a second saved file. Types are matched by name (MethodTables\n"
			  "differ between processes); a type loaded twice is summed. Rows are sorted\n"
			  "by bytes grown, largest first; types that appeared or vanished are\n"
			  "marked; unchanged types are not shown.\n"
			  "\n"
			  "A file saved with 'retained -stat --save <file>' also has each type's\n"
			  "retained bytes: when both sides have them (the current target computes\n"
			  "them for such a file), the rows show them and their change, sorted by\n"
			  "retained bytes grown.\n"
			  "\n"
			  "A file saved with 'maddress --save <file>' holds the memory per owner\n"
			  "(GC heap, thread stacks, images, ...): it is compared by owner with\n"
			  "another such file or the current target's maddress (Count: regions,\n"
			  "Bytes: committed bytes); a heap histogram and a maddress file do not mix.\n"
			  "\n"
			  "  -min <bytes>  hide types whose size (and retained bytes) changed by less\n"
			  "  -retained     fail unless both sides have retained bytes\n"
			  "  --json        the comparison as JSON\n"
			  "\n"
			  "Example: (on the first dump)  retained -stat --save /tmp/before.json\n"
			  "         (on the second one)  heapdiff /tmp/before.json",
		.run = clrsos_cmd_heapdiff,
		.needs_no_process = true,
	},
	{
		.name = "setclrpath",
		.aliases = (const char *const[]){"SetClrPath", NULL},
		.help = "Set (or show) the directory holding the runtime and DAC that match the target.",
		.syntax = "setclrpath [<directory>] | setclrpath -clear\n"
			  "\n"
			  "clrsos loads the DAC (libmscordaccore.so) from the directory of the\n"
			  "target's libcoreclr.so, or from the runtime-dir setting. Name another\n"
			  "directory here, e.g. the runtime a core was taken with, copied to this\n"
			  "machine. The libcoreclr.so there must have the target's build-id; a\n"
			  "directory named here is trusted even if others can write to it.\n"
			  "\n"
			  "Example: setclrpath /opt/dotnet/shared/Microsoft.NETCore.App/10.0.12",
		.run = clrsos_cmd_setclrpath,
		.needs_no_process = true,
	},
	{
		.name = "settings",
		.help = "List, show or set clrsos's settings (where the DAC comes from, progress, memory reads).",
		.syntax = "settings [<name> [<value> | -clear]] [--json]   (typed as: clrsos settings ...)\n"
			  "\n"
			  "Without a name, lists every setting with its value and what it does;\n"
			  "with a name, shows that one; with a value, sets it; -clear puts back\n"
			  "its default. The settings hold for the whole debugger, with or without\n"
			  "a process, until lldb ends (lldb's own 'settings' command is another).\n"
			  "\n"
			  "  clr-path            the directory setclrpath names (\"\": none)\n"
			  "  runtime-dir         load the DAC from this directory instead of the\n"
			  "                      runtime's own, checked as strictly (\"\": none)\n"
			  "  progress-after-ms   how long a command works before its progress\n"
			  "                      shows (default 1000; 0: at once)\n"
			  "  memory-reader       direct (default): a live process's memory from\n"
			  "                      /proc/<pid>/mem, a core's from its file; debugger:\n"
			  "                      everything through lldb\n"
			  "  --json              {settings: [{name, value, takes, help}]}, or for\n"
			  "                      one setting {name, value, changed}\n"
			  "\n"
			  "CLRSOS_RUNTIME_DIR, CLRSOS_PROGRESS_AFTER_MS and CLRSOS_LLDB_MEMORY=1\n"
			  "(memory-reader debugger), if set when the plugin loads, give the first\n"
			  "values; nothing reads them later.\n"
			  "\n"
			  "Example: clrsos settings progress-after-ms 0",
		.run = clrsos_cmd_settings,
		.needs_no_process = true,
	},
	{
		.name = "dumpconcurrentdictionary",
		.aliases = (const char *const[]){"dcd", "DumpConcurrentDictionary", NULL},
		.help = "List the keys and values of a ConcurrentDictionary.",
		.syntax = "dumpconcurrentdictionary <address> [--json]     (or: dcd <address>)\n"
			  "\n"
			  "SOS's dumpconcurrentdictionary: the dictionary's type, then each item\n"
			  "as 'Key:' and 'Value:' lines, then 'N items'. Numbers, booleans and\n"
			  "characters show their value, strings their text in quotes (cut at 100\n"
			  "characters with ...), null as null; other objects, arrays and structs\n"
			  "stored inline show the command that opens them (dumpobj <address>,\n"
			  "dumparray <address>, dumpvc <MethodTable> <address>). Items are listed\n"
			  "in bucket order, as the dictionary enumerates them.\n"
			  "\n"
			  "  --json   {address, type, items: [{key: {kind, ...}, value: {kind, ...}}],\n"
			  "           count}; kind: value, string, null, object, array, struct, unknown\n"
			  "\n"
			  "Example: dcd 7f24eca02468",
		.run = clrsos_cmd_dcd,
	},
	{
		.name = "dumpconcurrentqueue",
		.aliases = (const char *const[]){"dcq", "DumpConcurrentQueue", NULL},
		.help = "List the items of a ConcurrentQueue, first to be dequeued first.",
		.syntax = "dumpconcurrentqueue <address> [--json]     (or: dcq <address>)\n"
			  "\n"
			  "SOS's dumpconcurrentqueue: the queue's type, then '   n - item' per\n"
			  "item the queue holds (from each segment's head to its tail: items\n"
			  "already dequeued are not listed), then 'N items'. Items are shown as\n"
			  "dcd shows values; a struct item as dumpvc <MethodTable> <address> of\n"
			  "that item (SOS shows the segment's array instead).\n"
			  "\n"
			  "  --json   {address, type, items: [{kind, ...}], count}\n"
			  "\n"
			  "Example: dcq 7f24eca02468",
		.run = clrsos_cmd_dcq,
	},
	{
		.name = "sosstatus",
		.aliases = (const char *const[]){"SOSStatus", NULL},
		.help = "Show what clrsos has loaded: the target, its runtime, the DAC and the settings.",
		.syntax = "sosstatus [--json]\n"
			  "\n"
			  "Says whether the target is a live process or a core, then the .NET\n"
			  "runtime as 'runtimes' shows it (version, libcoreclr.so's base, path and\n"
			  "build-id, the DAC in use or why none could be loaded), then clrsos's\n"
			  "settings (see 'clrsos settings') and clrsos's version.\n"
			  "\n"
			  "  --json   one JSON object instead of text\n"
			  "\n"
			  "Example: sosstatus",
		.run = clrsos_cmd_sosstatus,
	},
	{
		.name = "modules",
		.aliases = (const char *const[]){"lm", NULL},
		.help = "List the target's native modules: base address, image size, path (SOS's host command).",
		.syntax = "modules [-v] [-n <regex>] [-a <address>] [--json]   (typed as: sos modules ...)\n"
			  "\n"
			  "The modules lldb lists for the target (ELF images), as SOS's 'modules'\n"
			  "prints them: base address, image size (the file's mapped bytes: the\n"
			  "first page to the end of the last loaded segment's file bytes,\n"
			  "page-rounded) and path, then 'Total image size'.\n"
			  "\n"
			  "  -v, --verbose        per module its index and path, Address,\n"
			  "                       ImageSize, IsPEImage, IsManaged and BuildId\n"
			  "  -n, --name <regex>   only modules whose file name matches (any case)\n"
			  "  -a, --address <a>    only the module holding this address\n"
			  "  --json               {modules: [{index, path, address, imageSize,\n"
			  "                       buildId}], totalImageSize}\n"
			  "\n"
			  "Example: sos modules -n coreclr",
		.run = clrsos_cmd_modules,
		.prefixed_only = true,
	},
	{
		.name = "threads",
		.aliases = (const char *const[]){"setthread", NULL},
		.help = "List the target's threads or select one (SOS's host command; clrthreads: the managed ones).",
		.syntax = "threads [-v] [--json] | threads [-t] <n>   (typed as: sos threads ...)\n"
			  "\n"
			  "Every thread lldb has, as SOS's 'threads' prints them: '*' on the\n"
			  "selected one, its index in this list, its OS id in hex and decimal.\n"
			  "With a number, selects that thread (lldb's 'thread select').\n"
			  "\n"
			  "  -v, --verbose   also each thread's IP, SP and FP (rip, rsp, rbp)\n"
			  "  -t, --tid       <n> is an OS thread id, not an index\n"
			  "  --json          {threads: [{index, osId, current, ip, sp, fp}]}\n"
			  "\n"
			  "Example: sos threads -v",
		.run = clrsos_cmd_threads,
		.prefixed_only = true,
	},
	{
		.name = "registers",
		.aliases = (const char *const[]){"r", NULL},
		.help = "Show the selected thread's registers in SOS's layout (SOS's host command).",
		.syntax = "registers [--json]   (typed as: sos registers)\n"
			  "\n"
			  "The selected thread's registers as SOS prints them: cs, ds, es, fs,\n"
			  "gs, ss, eflags, then rax ... r15 and rip, each 'name = 0x<hex>'.\n"
			  "\n"
			  "  --json   {osThreadId, registers: {name: value}}\n"
			  "\n"
			  "Example: sos registers",
		.run = clrsos_cmd_registers,
		.prefixed_only = true,
	},
	{
		.name = "logopen",
		.aliases = (const char *const[]){NULL},
		.help = "Copy every clrsos command's output to a file, as SOS's logopen (logclose stops).",
		.syntax = "logopen [<path>] [--disable]   (typed as: sos logopen ...)\n"
			  "\n"
			  "From now on each clrsos command's output also goes to <path> (created,\n"
			  "or emptied if it exists; a directory, a symbolic link or anything not a\n"
			  "regular file is refused). Without a path, says where it logs. Errors\n"
			  "and lldb's own commands are not logged.\n"
			  "\n"
			  "  --disable   stop logging (logclose)\n"
			  "\n"
			  "Example: sos logopen /tmp/session.log",
		.run = clrsos_cmd_logopen,
		.needs_no_process = true,
		.prefixed_only = true,
	},
	{
		.name = "logclose",
		.aliases = (const char *const[]){NULL},
		.help = "Stop copying the output to logopen's file.",
		.syntax = "logclose   (typed as: sos logclose)\n"
			  "\n"
			  "Closes the file logopen opened; an error if any write to it failed.\n"
			  "\n"
			  "Example: sos logclose",
		.run = clrsos_cmd_logclose,
		.needs_no_process = true,
		.prefixed_only = true,
	},
	{
		.name = "logging",
		.aliases = (const char *const[]){NULL},
		.help = "SOS's internal diagnostic log: clrsos keeps none (accepted, says so).",
		.syntax = "logging [<path>] [--enable | --disable]\n"
			  "\n"
			  "SOS writes its own diagnostic log with this; clrsos has no such log:\n"
			  "it takes SOS's forms and says so in one line. logopen copies the\n"
			  "commands' output to a file.\n"
			  "\n"
			  "Example: logging --disable",
		.run = clrsos_cmd_logging,
		.needs_no_process = true,
	},
	{
		.name = "sethostruntime",
		.aliases = (const char *const[]){"SetHostRuntime", NULL},
		.help = "SOS's choice of the .NET runtime that hosts it: clrsos hosts none (accepted, says so).",
		.syntax = "sethostruntime [-netcore | -netfx | -none | -clear] [-major <n>] [<path>]\n"
			  "\n"
			  "SOS runs its managed part on a .NET runtime this command picks; clrsos\n"
			  "is native code and needs none: it takes SOS's forms and says so in one line.\n"
			  "\n"
			  "Example: sethostruntime",
		.run = clrsos_cmd_sethostruntime,
		.needs_no_process = true,
	},
	{
		.name = "setsymbolserver",
		.aliases = (const char *const[]){"SetSymbolServer", NULL},
		.help = "SOS's symbol download: clrsos downloads nothing (accepted, says where it looks).",
		.syntax = "setsymbolserver [-ms | -mi] [-timeout <min>] [-loadsymbols] [-cache <dir>]\n"
			  "                [-directory <dir>] [-disable] [<url>] ...\n"
			  "\n"
			  "SOS downloads symbol files and the DAC from a symbol server; clrsos\n"
			  "downloads nothing. It takes SOS's options and says in one line where\n"
			  "clrsos looks instead: the DAC in the runtime's directory (setclrpath),\n"
			  "portable PDBs beside the assemblies or embedded in them, and lldb's own\n"
			  "symbols for native code (lldb's 'target symbols add').\n"
			  "\n"
			  "Example: setsymbolserver -ms",
		.run = clrsos_cmd_setsymbolserver,
		.needs_no_process = true,
	},
	{
		.name = "runtimes",
		.aliases = (const char *const[]){"setruntime", NULL},
		.help = "List the .NET runtimes in the target: version, libcoreclr.so's base and path, the DAC.",
		.syntax = "runtimes [<id>] [-netcore] [-netfx] [-all] [--json]\n"
			  "\n"
			  "Lists each .NET runtime of the target as SOS does ('#0 .NET Core runtime\n"
			  "<version> at <base> index <build-id>', its module path and its DAC).\n"
			  "A process has one .NET runtime on Linux, so it is always #0 and the\n"
			  "current one; SOS's switches are accepted and say so.\n"
			  "\n"
			  "  <id>       switch to runtime <id> (only #0 exists)\n"
			  "  -netcore   switch to the .NET Core runtime (-c, --netcore)\n"
			  "  -netfx     switch to the desktop .NET Framework (none on Linux: an error)\n"
			  "  -all       enumerate every runtime (-a, --all; the same one here)\n"
			  "  --json     {current, runtimes: [{id, kind, version, base, path, buildId, dacPath}]}\n"
			  "\n"
			  "Example: runtimes",
		.run = clrsos_cmd_runtimes,
	},
	{
		.name = "clrmodules",
		.aliases = (const char *const[]){"assemblies", NULL},
		.help = "List the managed modules (assemblies) of the process: image base, size, file, dynamic.",
		.syntax = "clrmodules [-v] [-n <regex>] [--json]\n"
			  "\n"
			  "One line per managed module as SOS prints it: image base, image size\n"
			  "(from its PE header in memory; 0 where unreadable), then the file, with\n"
			  "'(Dynamic)' after modules emitted at run time (Reflection.Emit), which\n"
			  "have no image and show their assembly's name.\n"
			  "\n"
			  "  -v, --verbose     each module's assembly name, image base and size,\n"
			  "                    Module and Assembly addresses, PE file, dynamic and\n"
			  "                    metadata address and size\n"
			  "  -n, --name <re>   only modules whose file name (no directory) matches\n"
			  "                    the extended regular expression, in any case\n"
			  "  --json            {modules: [{module, assembly, assemblyName, path,\n"
			  "                    imageBase, size, dynamic, isPEFile, metadataAddress,\n"
			  "                    metadataSize}]}\n"
			  "\n"
			  "Example: clrmodules -n '^System\\.Private'",
		.run = clrsos_cmd_clrmodules,
	},
	{
		.name = "syncblk",
		.aliases = (const char *const[]){"SyncBlk", NULL},
		.help = "Show the sync block table: held monitors, their owners and objects.",
		.syntax = "syncblk [<index>] [-all] [--json]\n"
			  "\n"
			  "Lists the sync blocks whose monitor is held (a lock that outgrew the\n"
			  "object header's thin lock, or was taken on an object whose header holds\n"
			  "its hash code) as SOS does: Index, SyncBlock, MonitorHeld (1 per owner,\n"
			  "2 per waiter), Recursion, the owning Thread with its OS thread id (hex)\n"
			  "and debugger thread index, then the object and its type; then the\n"
			  "totals of the table. Thin locks are not in this table: dumpobj shows\n"
			  "an object's thin lock.\n"
			  "\n"
			  "  <index>   only this entry of the table (1-based, as in the object header)\n"
			  "  -all      every entry, held or not, free ones too\n"
			  "  --json    {syncBlocks: [{index, valid, free, syncBlock, monitorHeld,\n"
			  "            recursion, owner, ownerOsId, ownerManagedId, waiters, object,\n"
			  "            type}], total, ccw, rcw, comClassFactory, free}\n"
			  "\n"
			  "Example: syncblk -all",
		.run = clrsos_cmd_syncblk,
	},
	{
		.name = "analyzeoom",
		.aliases = (const char *const[]){"ao", "AnalyzeOOM", NULL},
		.help = "Show the GC's last out-of-memory failure on each GC heap, if it had one.",
		.syntax = "analyzeoom [--json]\n"
			  "\n"
			  "Reads the record the GC keeps of its last failed allocation, per GC\n"
			  "heap, and says as SOS does why it failed (the reason, and what memory\n"
			  "it could not get: LOH or SOH, how many bytes, the commit space left),\n"
			  "or 'There was no managed OOM due to allocations on the GC heap'.\n"
			  "An OutOfMemoryException thrown by other code is not in this record:\n"
			  "see clrthreads and pe.\n"
			  "\n"
			  "  --json   {found, heaps: [{heap, reason, reasonText, getMemoryFailure,\n"
			  "           getMemoryFailureText, largeObjectHeap, size, allocSize,\n"
			  "           availablePageFileMB, gcIndex}]}\n"
			  "\n"
			  "Example: analyzeoom",
		.run = clrsos_cmd_analyzeoom,
	},
	{
		.name = "dumpruntimetypes",
		.aliases = (const char *const[]){"DumpRuntimeTypes", "Dumpruntimetypes", NULL},
		.help = "List the System.RuntimeType objects on the GC heap with the type each stands for.",
		.syntax = "dumpruntimetypes [--json]\n"
			  "\n"
			  "Walks the heap (the NonGC heap too, where most RuntimeType objects\n"
			  "live) for System.RuntimeType objects and lists each as SOS does:\n"
			  "its address, the AppDomain, the MethodTable its m_handle holds and\n"
			  "that type's name (a TypeHandle that is no MethodTable is named as\n"
			  "such). 'No System.RuntimeType objects found.' when there are none.\n"
			  "\n"
			  "  --json   {domain, runtimeTypes: [{address, mt, isMethodTable, type}]}\n"
			  "\n"
			  "Example: dumpruntimetypes",
		.run = clrsos_cmd_dumpruntimetypes,
	},
	{
		.name = "timerinfo",
		.aliases = (const char *const[]){"ti", NULL},
		.help = "List the running timers (System.Threading.TimerQueue): due time, period, state, callback.",
		.syntax = "timerinfo [--json]\n"
			  "\n"
			  "Finds every System.Threading.TimerQueue on the heap and lists the\n"
			  "timers of its short and long lists as SOS does, by period: (S) or (L),\n"
			  "the TimerQueueTimer, its due time and period in milliseconds ('------':\n"
			  "none), its state object and type, and the callback (Type.Method);\n"
			  "then the count and a summary of identical timers by count.\n"
			  "\n"
			  "  --json   {count, queues, timers: [{address, short, dueTimeMs, periodMs,\n"
			  "           state, stateType, callback}]}\n"
			  "\n"
			  "Example: ti",
		.run = clrsos_cmd_timerinfo,
	},
	{
		.name = "threadpool",
		.aliases = (const char *const[]){"tp", "ThreadPool", NULL},
		.help = "Show the thread pool: CPU utilization, worker threads running and idle, their limits.",
		.syntax = "threadpool [--json]\n"
			  "\n"
			  "Reads the managed System.Threading.PortableThreadPool (.NET 6 and\n"
			  "later) as SOS does: its CPU utilization, the worker threads in all,\n"
			  "running work and idle, and the minimum and maximum worker counts.\n"
			  "(.NET 8 and later have no separate I/O completion pool.) SOS's -wi,\n"
			  "-stat and -ti (queued work items, the hill climbing log) are not\n"
			  "supported yet.\n"
			  "\n"
			  "  --json   {kind, threadPool, cpuUtilization, workersTotal, workersRunning,\n"
			  "           workersIdle, workerMinLimit, workerMaxLimit}\n"
			  "\n"
			  "Example: threadpool",
		.run = clrsos_cmd_threadpool,
	},
	{
		.name = "threadpoolqueue",
		.aliases = (const char *const[]){"tpq", NULL},
		.help = "List the thread pool's queued work items: the global queues, then each thread's local queue.",
		.syntax = "threadpoolqueue [--json]\n"
			  "\n"
			  "Reads System.Threading.ThreadPoolWorkQueue's global queues (high\n"
			  "priority, normal and the per-processor-group ones) and every\n"
			  "thread's WorkStealingQueue and lists each queued item as SOS does:\n"
			  "'0x<address> Task | Type.Method' for a Task, 'Work | Type.Method'\n"
			  "for a QueueUserWorkItem callback, else the item's type; then the\n"
			  "Tasks and Work items counted by method, fewest first.\n"
			  "\n"
			  "  --json   {truncated, global: [{address, kind, type, method}], local: [...]}\n"
			  "\n"
			  "Example: tpq",
		.run = clrsos_cmd_threadpoolqueue,
	},
	{
		.name = "dumpalc",
		.aliases = (const char *const[]){"DumpALC", NULL},
		.help = "Show the AssemblyLoadContext an object's type was loaded in (as dumpobj shows objects).",
		.syntax = "dumpalc <address> [--json]\n"
			  "\n"
			  "Finds the managed AssemblyLoadContext of the assembly that defines the\n"
			  "object's type and shows it as dumpobj does (a collectible context's\n"
			  "name, its state ...). For a type of the default context whose managed\n"
			  "object was never created, says so as SOS does.\n"
			  "\n"
			  "  <address>  an object (hex, or an lldb expression)\n"
			  "  --json     {object, type, assemblyLoadContext, assemblyLoadContextType}\n"
			  "             (dumpobj --json on the context gives its fields)\n"
			  "\n"
			  "Example: dumpalc 7f3c9e809660",
		.run = clrsos_cmd_dumpalc,
	},
	{
		.name = "dumpdelegate",
		.aliases = (const char *const[]){"DumpDelegate", NULL},
		.help = "Show a delegate's target and method, and those of each delegate a multicast one calls.",
		.syntax = "dumpdelegate <address> [--json]\n"
			  "\n"
			  "As SOS: a row per delegate called (a multicast delegate's invocation\n"
			  "list, in the order it calls them): Target (the object the method is\n"
			  "called on, 0 for a static method), Method (its MethodDesc) and Name;\n"
			  "(unknown) when the runtime knows no method at the delegate's code.\n"
			  "\n"
			  "  --json   {address, type, delegates: [{address, target, methodDesc, method}]}\n"
			  "\n"
			  "Example: dumpdelegate 7f24eca02468",
		.run = clrsos_cmd_dumpdelegate,
	},
	{
		.name = "dumpexceptions",
		.help = "List every exception object on the GC heap with its message and top stack frame.",
		.syntax = "dumpexceptions [-type <text>] [-live | -dead] [-gen <generation>] [--json]\n"
			  "\n"
			  "As SOS: per exception object (of System.Exception or a type derived\n"
			  "from it) its address, MethodTable and type, then its message (<null>:\n"
			  "none) and the first frame of its stack trace when it was thrown; then\n"
			  "the count.\n"
			  "\n"
			  "  -type <text>      only types whose name contains text (any case)\n"
			  "  -live, -dead      only exceptions some root holds (or none does); both:\n"
			  "                    all, as SOS\n"
			  "  -gen <generation> gen0, gen1, gen2, loh, poh or foh\n"
			  "  --json            {exceptions: [{address, methodTable, type, message,\n"
			  "                    stackFrame}], total, warnings}\n"
			  "\n"
			  "Example: dumpexceptions -type InvalidOperation",
		.run = clrsos_cmd_dumpexceptions,
	},
	{
		.name = "verifyheap",
		.aliases = (const char *const[]){"vh", "VerifyHeap", "Verifyheap", NULL},
		.help = "Check the GC heap for corruption: each object's MethodTable, size and references.",
		.syntax = "verifyheap [-heap <n>] [-segment <address>] [-ignoreGCState] [-noprogress]\n"
			  "           [--max <n>] [--json] [<start> [<end>]]\n"
			  "\n"
			  "SOS's VerifyHeap: walks the GC heap and checks each object: a valid\n"
			  "MethodTable (each distinct one checked once), a size inside its segment,\n"
			  "8-byte alignment, and each reference it holds: aligned, and pointing at\n"
			  "the start of an object of the heap that is not Free. Errors are listed\n"
			  "one per line (Segment Object Failure Reason; Heap first under server\n"
			  "GC), then \"N objects verified, M errors.\"; a clean heap says \"No heap\n"
			  "corruption detected.\" A corrupt heap fails the command after its list.\n"
			  "The card and brick tables, free lists and sync blocks are not checked\n"
			  "(the output says so).\n"
			  "\n"
			  "  -heap <n>           only the objects of server GC heap n\n"
			  "  -segment <address>  only the objects of this segment or region\n"
			  "  <start> [<end>]     only the objects in [start, end)\n"
			  "                      (references are checked against the whole heap)\n"
			  "  -ignoreGCState      walk even in the middle of a GC (expect false errors)\n"
			  "  -noprogress         no progress lines\n"
			  "  --max <n>           list at most n errors (default 100; all are counted)\n"
			  "  --json              {objects, references, errorCount, corrupt, errors:\n"
			  "                      [{heap, segment, object, offset, failure, value,\n"
			  "                      reason}], notChecked}\n"
			  "\n"
			  "Example: verifyheap",
		.run = clrsos_cmd_verifyheap,
	},
	{
		.name = "verifyobj",
		.aliases = (const char *const[]){"vo", "VerifyObj", NULL},
		.help = "Check one object for corruption: its MethodTable, size and references.",
		.syntax = "verifyobj <address> [--json]\n"
			  "\n"
			  "SOS's VerifyObj: \"object 0x... is a valid object\", or a table of its\n"
			  "errors (Offset Issue Description) and \"N errors  detected.\", then the\n"
			  "command fails. An object whose header the heap walk could not take (no\n"
			  "valid MethodTable, a size past its segment) is reported as corrupt; an\n"
			  "address outside the GC heap or inside another object is an error.\n"
			  "\n"
			  "  --json   {address, valid, references, errorCount, errors: [{heap,\n"
			  "           segment, object, offset, failure, value, reason}], notChecked}\n"
			  "\n"
			  "Example: verifyobj 7f24eca02468",
		.run = clrsos_cmd_verifyobj,
	},
	{
		.name = "dumpgcdata",
		.aliases = (const char *const[]){"dgc", "DumpGCData", NULL},
		.help = "Show the GC's counters of its own decisions: pins, compacting reasons, mechanisms.",
		.syntax = "dumpgcdata [--json]\n"
			  "\n"
			  "SOS's DumpGCData: under workstation GC the global mechanisms (how many\n"
			  "GCs were concurrent, compacting, promoting, demoting...), then per GC heap\n"
			  "(\"--------info for heap N--------\" under server GC) the interesting data\n"
			  "points of plan phase (pinned plugs, short plugs), the compacting reasons\n"
			  "([M] the GC had to, [W] it chose to), the expansion mechanisms and the\n"
			  "other mechanisms used, each a count since the process started.\n"
			  "\n"
			  "  --json   {server, globalMechanisms: {name: count}, heaps: [{heap,\n"
			  "           interestingDataPoints, compactingReasons, expansionMechanisms,\n"
			  "           otherMechanisms}]}\n"
			  "\n"
			  "Example: dumpgcdata",
		.run = clrsos_cmd_dumpgcdata,
	},
	{
		.name = "listnearobj",
		.aliases = (const char *const[]){"lno", "ListNearObj", NULL},
		.help = "Show the objects before, at and after an address, and whether the heap is consistent there.",
		.syntax = "listnearobj <address> [--json]\n"
			  "\n"
			  "SOS's ListNearObj: on the segment holding the address (rounded down to\n"
			  "8), the last object starting before it (Before:), the one starting at\n"
			  "it (Current:), the first one after it (Next:), an allocation context\n"
			  "between them (Gap:), then whether the heap is locally consistent: each\n"
			  "object valid and ending where the next begins. Found from the\n"
			  "segment's index of objects per 4 KB, not by walking the segment.\n"
			  "\n"
			  "  --json   {address, segment, before, current, next: {address, size, mt,\n"
			  "           type} or null, gap, lastOnSegment, consistent, badAt}\n"
			  "\n"
			  "Example: lno 7f24eca02468",
		.run = clrsos_cmd_listnearobj,
	},
	{
		.name = "pathto",
		.aliases = (const char *const[]){"PathTo", NULL},
		.help = "Show a shortest chain of references from one object to another.",
		.syntax = "pathto <source> <target> [--json]\n"
			  "\n"
			  "SOS's PathTo: the objects from source to target, each referring to the\n"
			  "next, as gcroot prints a chain; a shortest one (breadth first over\n"
			  "what source keeps alive). No chain: 'Could not find a path'.\n"
			  "\n"
			  "  --json   {source, target, found, path: [{address, type}]}\n"
			  "\n"
			  "Example: pathto 7f24eca02468 7f24eca03000",
		.run = clrsos_cmd_pathto,
	},
	{
		.name = "sizestats",
		.aliases = (const char *const[]){"SizeStats", NULL},
		.help = "Show how many objects of each size each generation holds, and its free space.",
		.syntax = "sizestats [--json]\n"
			  "\n"
			  "SOS's SizeStats: per generation (0, 1, 2, large, then pinned and frozen\n"
			  "when the heap has them) a table of Size (rounded up to 8), Count, and the\n"
			  "Cumulative Size and Count of the smaller sizes before the row; then the\n"
			  "same of the free space of generations 0, 1, 2, large (and pinned).\n"
			  "\n"
			  "  --json   {tables: [{generation, free, sizes: [{size, count}], objects,\n"
			  "           bytes}]}\n"
			  "\n"
			  "Example: sizestats",
		.run = clrsos_cmd_sizestats,
	},
	{
		.name = "findroots",
		.aliases = (const char *const[]){"FindRoots", NULL},
		.help = "Show the references to an object from older generations and handles.",
		.syntax = "findroots <address> [--json]\n"
			  "\n"
			  "SOS's FindRoots after a GC notification, on this stop: the objects of\n"
			  "the generations older than the object's (for a gen0 object: gen1, gen2,\n"
			  "large, pinned and frozen; for gen1: the same less gen1) that refer to\n"
			  "it, and the handles that hold it: what keeps it alive when the GC\n"
			  "collects its generation alone. An object of gen2, large or pinned has no\n"
			  "older generation (use gcroot). SOS's 'findroots -gen <N>' (stop at the\n"
			  "next GC of generation N) needs the debugger to run the process to a GC\n"
			  "notification: clrsos refuses it and says what to use instead.\n"
			  "\n"
			  "  --json   {address, type, generation, olderReferences: [{address, type,\n"
			  "           generation}], handles: [{handle, handleType}]}\n"
			  "\n"
			  "Example: findroots 7f24eca02468",
		.run = clrsos_cmd_findroots,
	},
	{
		.name = "traverseheap",
		.aliases = (const char *const[]){"TraverseHeap", NULL},
		.help = "Write the heap's graph (objects, their references, roots) to a file.",
		.syntax = "traverseheap [-xml] [-verify] <filename> [--json]\n"
			  "\n"
			  "SOS's TraverseHeap: every object (Free space included) with its type,\n"
			  "size and the objects it refers to (a dependent handle's secondary as a\n"
			  "member of its primary), and the roots, in the CLR Profiler's text format,\n"
			  "or with -xml in SOS's XML: <gcheap><types><type id name/>...</types>\n"
			  "<roots><root kind address/>...</roots><objects><object address typeid\n"
			  "size><member address/>...</object>...</objects></gcheap>. The file is\n"
			  "written as the heap is walked, never held in memory; it must be a\n"
			  "regular file or a new path. -verify is accepted: the walk checks every\n"
			  "object anyway.\n"
			  "\n"
			  "  --json   {file, format, types, roots, objects, references}\n"
			  "\n"
			  "Example: traverseheap -xml /tmp/heap.xml",
		.run = clrsos_cmd_traverseheap,
	},
	{
		.name = "dumpasync",
		.aliases = (const char *const[]){"DumpAsync", NULL},
		.help = "Show the async stacks on the GC heap: state machine boxes and Tasks chained by continuation.",
		.syntax = "dumpasync [-mt <MethodTable>] [-type <text>] [-addr <address>] [-tasks]\n"
			  "          [-completed] [-fields] [-stats] [-coalesce] [--json]\n"
			  "\n"
			  "One heap walk finds every async state machine box (AsyncStateMachineBox<T>)\n"
			  "and Task, reads each box's state (<>1__state: -1 running or not started,\n"
			  "-2 finished, n awaiting at await n) and follows each m_continuationObject\n"
			  "(a box, a Task, a delegate's target, a List of them). A stack starts at\n"
			  "an object no other continues to (the innermost awaited work) and goes out\n"
			  "through its awaiting callers, two spaces deeper per level:\n"
			  "'STACK n', then '<address> <MT> (<state>) <state machine type>' per frame\n"
			  "(a Task shows its state flags instead of a state). A top state machine\n"
			  "paused at an await first shows its awaiter: '<< Awaiting: ... >>'.\n"
			  "\n"
			  "  -mt, --methodtable <MT>  stacks with an object of this MethodTable\n"
			  "  -type, --type <text>     stacks with an object whose type contains text\n"
			  "  -addr, --address <addr>  stacks with the object at this address\n"
			  "  -tasks, -t               also stacks of Tasks only (no state machine)\n"
			  "  -completed, -c           include completed boxes and Tasks\n"
			  "  -fields, -f              each state machine's fields (as dumpvc shows them)\n"
			  "  -stats                   only MT, count and type per state machine type\n"
			  "  -coalesce                identical stacks grouped: '[count] MT frame' per level\n"
			  "  --json                   {stacks: [{frames: [{depth, address, mt, state,\n"
			  "                           description, continuations, ...}]}], stack_count}\n"
			  "\n"
			  "Example: dumpasync -coalesce",
		.run = clrsos_cmd_dumpasync,
	},
	{
		.name = "ephrefs",
		.help = "Find older-generation objects that refer to objects of the ephemeral generations.",
		.syntax = "ephrefs [--json]\n"
			  "\n"
			  "SOS's ephrefs: every object of generation 1, 2, large or pinned that\n"
			  "refers to generation 0 (or, from 2, large or pinned, to generation 1),\n"
			  "grouped as 'References from gen2 to gen0:' with the object, its\n"
			  "MethodTable, size, generations, how many references it holds to that\n"
			  "generation and their objects' bytes; then 'N older generation objects\n"
			  "referenced M younger objects (B bytes)'. Such references keep young\n"
			  "objects alive through ephemeral GCs. One walk of the heap.\n"
			  "\n"
			  "  --json   {objects: [{address, mt, type, size, generation,\n"
			  "           referenceGeneration, referenceCount, referenceSize}], count,\n"
			  "           referenced, referencedBytes, problemCount}\n"
			  "\n"
			  "Example: ephrefs",
		.run = clrsos_cmd_ephrefs,
	},
	{
		.name = "ephtoloh",
		.help = "Find ephemeral objects that refer to large objects, and large objects that refer to ephemeral ones.",
		.syntax = "ephtoloh [--json]\n"
			  "\n"
			  "SOS's ephtoloh: objects of generations 0 and 1 that refer to objects\n"
			  "of the large object heap, large objects that refer to generations 0\n"
			  "and 1, and the chains ephemeral -> large -> ephemeral. (SOS looks at\n"
			  "generation 0 objects only for the first list.) One walk of the heap.\n"
			  "\n"
			  "  --json   {ephemeralToLarge: [{from, fromType, to, toType}],\n"
			  "           largeToEphemeral: [...], chains: [{ephemeral, large, then}],\n"
			  "           problemCount}\n"
			  "\n"
			  "Example: ephtoloh",
		.run = clrsos_cmd_ephtoloh,
	},
	{
		.name = "dumpsig",
		.aliases = (const char *const[]){"DumpSig", NULL},
		.help = "Show the method, field or local signature blob at an address as text.",
		.syntax = "dumpsig <sigaddr> [<moduleaddr>] [--json]\n"
			  "\n"
			  "SOS's DumpSig: the signature's calling convention, its flags\n"
			  "([hasThis], [explicit], [generic:N]), return type and parameters, as\n"
			  "'[DEFAULT] [hasThis] Void (String,I4)'; a field's reads '[FIELD] I4 ',\n"
			  "a local signature's '[LOCALSIG] I4,String)' (SOS's layouts). Element\n"
			  "types by SOS's names: I4, String, Class <name>, ValueType <name>,\n"
			  "SZArray <type>, MDArray {<type>, rank sizes lower-bounds}, Ptr, ByRef,\n"
			  "!N and !!N (type and method generic parameters), Name<args> for a\n"
			  "generic instance, PINNED, CMOD_REQD/CMOD_OPT <name> <type>, FnPtr.\n"
			  "Given a Module (clrmodules, dumpmt or dumpobj print them), class and\n"
			  "value type tokens are named through its metadata; without one, or\n"
			  "when a token names no row, they print as 0x<token>. The blob is read\n"
			  "256 bytes at a time until it decodes, up to 64 KiB; a blob that\n"
			  "cannot decode is an error.\n"
			  "\n"
			  "  --json   {address, module, signature, length, callingConvention,\n"
			  "           callingConventionByte, hasThis, explicitThis,\n"
			  "           genericParameterCount, returnType, parameters: [type]}\n"
			  "\n"
			  "Example: dumpsig 7f2a1c3b4d5e 7f2a1b0c1000",
		.run = clrsos_cmd_dumpsig,
	},
	{
		.name = "dumpsigelem",
		.aliases = (const char *const[]){"DumpSigElem", NULL},
		.help = "Show the one element type of a signature at an address as text.",
		.syntax = "dumpsigelem <sigaddr> [<moduleaddr>] [--json]\n"
			  "\n"
			  "SOS's DumpSigElem: one element type of a signature (a parameter's, a\n"
			  "field's, a TypeSpec's), in dumpsig's words: 'Class System.String',\n"
			  "'SZArray I4', 'ByRef ValueType System.DateTime'. The Module names\n"
			  "tokens as for dumpsig.\n"
			  "\n"
			  "  --json   {address, module, signature, length}\n"
			  "\n"
			  "Example: dumpsigelem 7f2a1c3b4d61 7f2a1b0c1000",
		.run = clrsos_cmd_dumpsigelem,
	},
	{
		.name = "gcinfo",
		.aliases = (const char *const[]){"GCInfo", NULL},
		.help = "Show a method's GC info: which registers and stack slots hold references where.",
		.syntax = "gcinfo <MethodDesc or code address> [--json]\n"
			  "\n"
			  "SOS's GCInfo: the code header (entry point, GC info address), then the\n"
			  "decoded x64 GC info: prolog size, GS cookie, PSP sym, generics context,\n"
			  "varargs, frame pointer, parameter area, code size; untracked slots;\n"
			  "then offset by offset where the code becomes (not) interruptible,\n"
			  "its safepoints and the registers and stack slots (sp, caller.sp or\n"
			  "frame register relative) that become live (+) or dead (-).\n"
			  "\n"
			  "  --json   {methodDesc, entryPoint, methodSize, jitType, gcInfo,\n"
			  "           gcInfoVersion, gcInfoBits, slimHeader, codeLength, prologSize,\n"
			  "           gsCookie, pspSym, genericsContext, genericsContextKind,\n"
			  "           reversePInvokeFrame, varargs, framePointer, wantsReportOnlyLeaf,\n"
			  "           parameterArea, returnKind, safepoints, interruptibleRanges:\n"
			  "           [{start, stop}], slots: [{register | base, offset, interior,\n"
			  "           pinned, untracked}], transitions: [{offset, slot, live}]}\n"
			  "\n"
			  "Example: gcinfo 7f24f0b2c010",
		.run = clrsos_cmd_gcinfo,
	},
	{
		.name = "threadstate",
		.aliases = (const char *const[]){"ThreadState", NULL},
		.help = "Name the bits of a thread's state (clrthreads' State column).",
		.syntax = "threadstate <state> [--json]\n"
			  "\n"
			  "SOS's ThreadState: one line per Thread::ThreadState bit set in the\n"
			  "value (hex, as clrthreads prints it, or an expression).\n"
			  "\n"
			  "  --json   {state, names: [..]}\n"
			  "\n"
			  "Example: threadstate 1020",
		.run = clrsos_cmd_threadstate,
	},
	{
		.name = "dumpil",
		.aliases = (const char *const[]){"DumpIL", NULL},
		.help = "Show a method's IL, disassembled, with its tokens named through the module's metadata.",
		.syntax = "dumpil <MethodDesc> | <DynamicMethod object> | -i <IL address> [--json]\n"
			  "\n"
			  "SOS's DumpIL: 'ilAddr = <address>', then each instruction as\n"
			  "'IL_0005: call class [System.Runtime]System.Type System.Type::\n"
			  "GetTypeFromHandle(valuetype [System.Runtime]System.RuntimeTypeHandle)'\n"
			  "(ILDasm's names for types; local and argument numbers as 'VAR OR ARG n';\n"
			  "branch targets as IL_xxxx), inside '.try { }' and '.catch'/'.finally'\n"
			  "blocks from the body's exception clauses. The IL is the runtime's\n"
			  "current IL of the method (a profiler's rewrite included), else the\n"
			  "module image's body at the method's RVA. A dynamic method (its\n"
			  "MethodDesc, or the DynamicMethod object) shows the IL of its\n"
			  "resolver, its tokens named from its token table: strings, methods and\n"
			  "types by name, other objects by address. A body that does not\n"
			  "decode is an error naming the offset.\n"
			  "\n"
			  "  -i       the address is the IL body itself (tokens shown in hex)\n"
			  "  --json   {methodDesc, name, ilAddress, dynamicMethod, tokenArray,\n"
			  "           fatHeader, maxStack, localSignature, codeSize,\n"
			  "           clauses: [{kind, tryOffset, tryLength, handlerOffset,\n"
			  "           handlerLength, classToken | filterOffset}],\n"
			  "           instructions: [{offset, opcode, operand}]}\n"
			  "\n"
			  "Example: dumpil 7f24f0b2c010",
		.run = clrsos_cmd_dumpil,
	},
	{
		.name = "ehinfo",
		.aliases = (const char *const[]){"EHInfo", "Ehinfo", NULL},
		.help = "Show the exception handling clauses of a method's JIT-compiled code.",
		.syntax = "ehinfo <MethodDesc | code address> [--json]\n"
			  "\n"
			  "SOS's EHInfo: the MethodDesc and dumpmd's block, then each clause of\n"
			  "the method's current code as 'EHHandler N: TYPED catch(System.Exception) '\n"
			  "(FAULT, FINALLY, FILTER, TYPED; '(duplicate)', '(cloned finally)'), its\n"
			  "try and handler ranges as 'Clause:  [start, end] [offset, offset]' and\n"
			  "'Handler: ...' (addresses, then offsets in the code), a filter's start.\n"
			  "\n"
			  "  --json   {dumpmd's fields (methodDesc, name, codeAddr ...), clauses:\n"
			  "           [{kind, catchType, duplicate, clonedFinally, tryStart, tryEnd,\n"
			  "           handlerStart, handlerEnd, filter}]}\n"
			  "\n"
			  "Example: ehinfo 7f24f0b2c010",
		.run = clrsos_cmd_ehinfo,
	},
	{
		.name = "clru",
		.aliases = (const char *const[]){NULL},
		.help = "Show the annotated disassembly of a method's JIT-compiled code (SOS's U).",
		.syntax = "clru [-o] [-n] [-ehinfo] [-gcinfo] [-il [-map]] <MethodDesc | code address> [--json]\n"
			  "\n"
			  "SOS's U (named clru in lldb, as SOS names it there): 'Normal JIT\n"
			  "generated code' (or 'preJIT generated code'), the method's name,\n"
			  "'Begin <address>, size <hex>' (and the cold region's when the code is\n"
			  "split), then each instruction as lldb's disassembler reads it:\n"
			  "address, bytes, mnemonic and operands. A call or jump out of the\n"
			  "method is named after its target: '(Ns.Type.Method(Int32), mdToken:\n"
			  "...)' for managed code or its precode stub (direct, or through a\n"
			  "RIP-relative cell), '(JitHelp: CORINFO_HELP_...)' for a runtime helper.\n"
			  "Given a code address: that code version, its instruction marked '>>> '.\n"
			  "Where the source line changes, SOS's '<file> @ <line>:' line (from the\n"
			  "module's portable PDB).\n"
			  "\n"
			  "  -o       each instruction's offset in the code first\n"
			  "  -n       no source lines\n"
			  "  -ehinfo  the exception clauses' begin and end marked in the listing\n"
			  "  -gcinfo  gcinfo's table, each line before the code at its offset\n"
			  "  -il      the method's IL first, then each run of IL before the code it\n"
			  "           became (the runtime's IL to native map)\n"
			  "  -map     with -il: the map itself (IL offset, code begin, code end)\n"
			  "  --json   {dumpmd's fields (methodDesc, name ...), jitType, begin, size,\n"
			  "           coldBegin, coldSize, instructions: [{address, offset, size,\n"
			  "           text, annotation, file, line}], with -il: ilMap, ilRuns}\n"
			  "\n"
			  "Example: clru 7f24f0b2c010",
		.run = clrsos_cmd_clru,
	},
	{
		.name = "bpmd",
		.aliases = (const char *const[]){"BPMD", NULL},
		.help = "Set a breakpoint on a managed method, pending until it is JIT-compiled (live processes).",
		.syntax = "bpmd [-nofuturemodule] <module> <Namespace.Type.Method> [<il offset>]\n"
			  "bpmd <file>:<line>\n"
			  "bpmd -md <MethodDesc>\n"
			  "bpmd -list | -clear <n> | -clearall   [--json]\n"
			  "\n"
			  "SOS's bpmd. A method with code gets an lldb breakpoint at once (each\n"
			  "compiled instance); one not compiled yet stays pending: the runtime is\n"
			  "asked to say when it compiles it (and, unless -nofuturemodule, when a\n"
			  "module loads whose name matches), and at that notification an lldb\n"
			  "breakpoint is set at the new code (a tier-up's too). <module> is the\n"
			  "module's file name (App.dll, or App); <file>:<line> finds the method\n"
			  "and IL offset of that line in the portable PDB beside each module\n"
			  "(App.pdb), then the native code of that offset. The notifications\n"
			  "come as C++ exceptions the runtime throws under a debugger: clrsos\n"
			  "catches them with an lldb exception breakpoint that never stops.\n"
			  "Given before the runtime is loaded (process launch -s), a bpmd by name\n"
			  "or line waits: an lldb breakpoint on coreclr_execute_assembly in\n"
			  "libcoreclr.so arms it when the runtime starts.\n"
			  "\n"
			  "  -md <MethodDesc>  that method (dumpmt -md and clrstack show MethodDescs)\n"
			  "  -nofuturemodule   only modules loaded now\n"
			  "  -list             the pending breakpoints, newest first\n"
			  "  -clear <n>        forget pending breakpoint n of the list\n"
			  "  -clearall         forget them all\n"
			  "  --json   {events: [{event, methodDesc|address, name, id}]},\n"
			  "           {pending: [{index, module, method, ilOffset | file, line, moduleId, token}]}\n"
			  "\n"
			  "Example: bpmd App.dll App.Program.Work",
		.run = clrsos_cmd_bpmd,
	},
	{
		.name = "ip2md",
		.aliases = (const char *const[]){"IP2MD", NULL},
		.help = "Show the method of JIT-compiled code at an address: its MethodDesc, name, type and code.",
		.syntax = "ip2md <code address> [--json]\n"
			  "\n"
			  "SOS's IP2MD: the MethodDesc of the method whose code holds the address\n"
			  "(a return address clrstack lists, or any address inside the code), then\n"
			  "dumpmd's block for it: Method Name, Class (EEClass), MethodTable,\n"
			  "mdToken, Module, IsJitted, Current CodeAddr and the Version History\n"
			  "(the IL version, then each native code version with its tier), and\n"
			  "Source file: <file> @ <line> from the module's portable PDB.\n"
			  "\n"
			  "  --json   {ip, file?, line?, methodDesc, name, class, methodTable, token, module, slot,\n"
			  "           isJitted, isDynamic, codeAddr, rejitId, ilCodeVersion, il,\n"
			  "           versions: [{codeAddr, tier, nativeCodeVersion}]}\n"
			  "\n"
			  "Example: ip2md 7f24f0c1a2b3",
		.run = clrsos_cmd_ip2md,
	},
	{
		.name = "dumpmd",
		.aliases = (const char *const[]){"DumpMD", NULL},
		.help = "Show a MethodDesc: its method's name, type, token, module, code and code versions.",
		.syntax = "dumpmd <MethodDesc> [--json]\n"
			  "\n"
			  "SOS's DumpMD: Method Name, Class (EEClass), MethodTable, mdToken,\n"
			  "Module, IsJitted, Current CodeAddr and the Version History (the IL\n"
			  "version, then each native code version with its tier). MethodDescs\n"
			  "come from ip2md, dumpmt -md and clrstack --json.\n"
			  "\n"
			  "  --json   as ip2md's, without ip\n"
			  "\n"
			  "Example: dumpmd 7f24f0b2c010",
		.run = clrsos_cmd_dumpmd,
	},
	{
		.name = "dumpmodule",
		.aliases = (const char *const[]){"DumpModule", NULL},
		.help = "Show a Module: its file, assembly, image, lookup maps and metadata.",
		.syntax = "dumpmodule <Module> [-mt] [-prof] [--json]\n"
			  "\n"
			  "SOS's DumpModule: Name (its file), Attributes (PEFile, Reflection,\n"
			  "EditAndContinue, IsDynamic, IsInMemory, IsFileLayout), Assembly, BaseAddress (its mapped image), LoaderHeap\n"
			  "(its LoaderAllocator), its TypeDef, TypeRef, MethodDef, FieldDef,\n"
			  "MemberRef, file and assembly reference maps, and where its metadata\n"
			  "starts with its size. Modules come from clrmodules, dumpmt and dumpmd.\n"
			  "\n"
			  "  -mt      also the types it defines (MT, TypeDef, Name) and those it\n"
			  "           refers to (MT, TypeRef, Name) that the runtime has loaded\n"
			  "  -prof    also the methods whose IL a profiler changed (IL Modified,\n"
			  "           ReJIT Modified), at most 100 as SOS\n"
			  "  --json   {module, name, isPEFile, isReflection, transientFlags,\n"
			  "           isDynamic, isInMemory, isFileLayout, assembly,\n"
			  "           peAssembly, baseAddress, loaderHeap, thunkHeap,\n"
			  "           typeDefToMethodTableMap, ..., metadataStart, metadataSize,\n"
			  "           moduleId, moduleIndex}; with -mt also typesDefined and\n"
			  "           typesReferenced: [{methodTable, token, name}]; with -prof\n"
			  "           profilerModified: [{methodDesc, name, kind: il|rejit}] (null\n"
			  "           where the runtime cannot list them), profilerModifiedTruncated\n"
			  "\n"
			  "Example: dumpmodule 7f24f0b21a30",
		.run = clrsos_cmd_dumpmodule,
	},
	{
		.name = "dumpclass",
		.aliases = (const char *const[]){"DumpClass", NULL},
		.help = "Show a class: its name, token, file, parent, attributes and fields.",
		.syntax = "dumpclass <EEClass> [--json]\n"
			  "\n"
			  "SOS's DumpClass: Class Name, mdToken, File, Parent (.NET 9+, which shows\n"
			  "no EEClass and hands out the canonical MethodTable in its place; older\n"
			  "runtimes: Parent Class), Module, Method Table, Class Attributes, Vtable\n"
			  "Slots, Total Method Slots, NumInstanceFields, NumStaticFields, then the\n"
			  "field table (statics with their values). EEClasses come from dumpmd\n"
			  "(Class) and dumpmt (EEClass).\n"
			  "\n"
			  "  --json   {eeClass, isCanonicalMethodTable, name, token, file, parent,\n"
			  "           parentEEClass, module, methodTable, attributes, vtableSlots,\n"
			  "           totalMethodSlots, instanceFields, staticFields,\n"
			  "           threadStaticFields, fields: [...]}\n"
			  "\n"
			  "Example: dumpclass 7f24f0b2b6d8",
		.run = clrsos_cmd_dumpclass,
	},
	{
		.name = "dumpdomain",
		.aliases = (const char *const[]){"DumpDomain", NULL},
		.help = "List the AppDomains with their assemblies and modules.",
		.syntax = "dumpdomain [<Domain>] [--json]\n"
			  "\n"
			  "SOS's DumpDomain: the System Domain, then each AppDomain, with its\n"
			  "LowFrequencyHeap, HighFrequencyHeap, StubHeap, Stage and Name, then each\n"
			  "assembly it has loaded (Assembly: <address> [<file>]) and its modules\n"
			  "(<Module> <file>). Given a domain, only that one.\n"
			  "\n"
			  "  --json   {domains: [{domain, kind, id, name, lowFrequencyHeap,\n"
			  "           highFrequencyHeap, stubHeap, stage, assemblies: [{assembly,\n"
			  "           parentDomain, name, isDynamic, modules: [{module, file,\n"
			  "           isReflection}]}]}]}\n"
			  "\n"
			  "Example: dumpdomain",
		.run = clrsos_cmd_dumpdomain,
	},
	{
		.name = "dumpassembly",
		.aliases = (const char *const[]){"DumpAssembly", NULL},
		.help = "Show an assembly: its domain, name and modules.",
		.syntax = "dumpassembly <Assembly> [--json]\n"
			  "\n"
			  "SOS's DumpAssembly: Parent Domain, Name, then its modules with their\n"
			  "files. Assemblies come from dumpdomain and dumpmodule.\n"
			  "\n"
			  "  --json   {assembly, parentDomain, name, isDynamic, modules: [{module, file,\n"
			  "           isReflection}]}\n"
			  "\n"
			  "Example: dumpassembly 55d0c6f37800",
		.run = clrsos_cmd_dumpassembly,
	},
	{
		.name = "name2ee",
		.aliases = (const char *const[]){"Name2EE", NULL},
		.help = "Find a type, method or field by name in a module (or all: *).",
		.syntax = "name2ee <module|*> <name> [--json]\n"
			  "name2ee <module>!<name> [--json]\n"
			  "\n"
			  "SOS's Name2EE. A module is named by its file (HeapShapes.dll), its file\n"
			  "without the extension, or its path; * searches every module. A type\n"
			  "matches if its name contains <name> (ignoring case); else <name> is read\n"
			  "as Type.Member: a method (each overload's Token, MethodDesc, Name and\n"
			  "JITTED Code Address) or a field of the types whose names contain Type.\n"
			  "Only types the runtime has loaded are found. Each module with matches:\n"
			  "Module and Assembly, then each match; with *, a count of the modules\n"
			  "without one.\n"
			  "\n"
			  "  --json   {modules: [{module, file, matches: [{kind, typeToken,\n"
			  "           methodTable, typeName, token, name, methodDesc, codeAddr}]}],\n"
			  "           modulesWithoutMatches}\n"
			  "\n"
			  "Example: name2ee HeapShapes.dll HeapShapes.Program.Main",
		.run = clrsos_cmd_name2ee,
	},
	{
		.name = "token2ee",
		.aliases = (const char *const[]){"Token2EE", NULL},
		.help = "Find what a metadata token names in a module (or all: *).",
		.syntax = "token2ee <module|*> <token> [--json]\n"
			  "\n"
			  "SOS's Token2EE: a TypeDef (02...) or TypeRef (01...) token's loaded\n"
			  "MethodTable and name, a MethodDef's (06...) MethodDesc, name and code, a\n"
			  "FieldDef's (04...) name. Modules are named as for name2ee; the token is\n"
			  "hex, with or without 0x.\n"
			  "\n"
			  "  --json   as name2ee's\n"
			  "\n"
			  "Example: token2ee HeapShapes.dll 06000001",
		.run = clrsos_cmd_token2ee,
	},
};

const size_t clrsos_command_count =
	sizeof(clrsos_commands) / sizeof(clrsos_commands[0]);

const struct clrsos_command *clrsos_command_find(const char *name)
{
	for (size_t i = 0; name && i < clrsos_command_count; i++) {
		const struct clrsos_command *c = &clrsos_commands[i];
		if (strcasecmp(name, c->name) == 0)
			return c;
		for (const char *const *a = c->aliases; a && *a; a++)
			if (strcasecmp(name, *a) == 0)
				return c;
	}
	return NULL;
}

void clrsos_command_write_aliases(struct clrsos_writer *out, const struct clrsos_command *c)
{
	for (const char *const *a = c->aliases; a && *a; a++)
		clrsos_outf(out, "%s%s", a == c->aliases ? "" : ", ", *a);
}

void clrsos_command_write_list(struct clrsos_writer *out)
{
	clrsos_out(out, "clrsos <command> [<arguments>]   (or sos <command>; the command in any case: "
			"clrsos DumpHeap -stat)\n"
			"\n"
			"Commands ('clrsos help <command>' or 'help <command>' for one), each with SOS's other "
			"names:\n");
	for (size_t i = 0; i < clrsos_command_count; i++) {
		const struct clrsos_command *c = &clrsos_commands[i];
		clrsos_outf(out, "  %-20s %s\n", c->name, c->help);
		if (c->aliases && c->aliases[0]) {
			clrsos_outf(out, "  %-20s also: ", "");
			clrsos_command_write_aliases(out, c);
			clrsos_out(out, "\n");
		}
	}
}

struct clrsos_error *clrsos_command_select(int argc, const char *const *argv,
					   struct clrsos_writer *out,
					   const struct clrsos_command **ret)
{
	*ret = NULL;
	if (argc < 1 || !argv[0] || strcasecmp(argv[0], "help") == 0) {
		if (argc < 2 || !argv[1]) {
			clrsos_command_write_list(out);
			return NULL;
		}
		const struct clrsos_command *c = clrsos_command_find(argv[1]);
		if (!c)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "clrsos has no command '%s': 'clrsos help' lists them", argv[1]);
		clrsos_outf(out, "%s\n\n%s\n", c->help, c->syntax);
		if (c->aliases && c->aliases[0]) {
			clrsos_out(out, "\nAlso: ");
			clrsos_command_write_aliases(out, c);
			clrsos_out(out, " (SOS's names)\n");
		}
		return NULL;
	}
	*ret = clrsos_command_find(argv[0]);
	if (!*ret)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "clrsos has no command '%s': 'clrsos help' lists them", argv[0]);
	return NULL;
}

bool clrsos_command_wants_json(int argc, const char *const *argv)
{
	for (int i = 0; i < argc; i++)
		if (argv[i] && strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

/*
 * A --json command's output, held until it ends: in memory up to
 * HELD_IN_MEMORY bytes, past that in an unlinked temporary file (a listing
 * of millions of objects must not grow the debugger by gigabytes).
 */
enum { HELD_IN_MEMORY = 4 << 20 };

struct held {
	char *data;
	size_t size, cap;
	FILE *spill;
	bool no_memory;
	int io_errno; /* the temporary file failed: why */
};

static void hold(void *ctx, const char *text, size_t size)
{
	struct held *h = ctx;
	if (h->no_memory || h->io_errno || !size)
		return;
	if (!h->spill && size <= HELD_IN_MEMORY - h->size) {
		if (clrsos_array_reserve(&h->data, &h->cap, h->size + size)) {
			h->no_memory = true;
			return;
		}
		memcpy(h->data + h->size, text, size);
		h->size += size;
		return;
	}
	if (!h->spill && !(h->spill = tmpfile())) {
		h->io_errno = errno ? errno : EIO;
		return;
	}
	if (fwrite(text, 1, size, h->spill) != size)
		h->io_errno = errno ? errno : EIO;
}

/* Everything held, in order, to out. */
static struct clrsos_error *release(struct held *h, struct clrsos_writer *out)
{
	if (h->size)
		out->write(out->ctx, h->data, h->size);
	if (!h->spill)
		return NULL;
	if (fflush(h->spill) != 0 || fseek(h->spill, 0, SEEK_SET) != 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "--json: cannot read back the temporary file holding the output: %s",
					   strerror(errno));
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), h->spill)) > 0)
		out->write(out->ctx, chunk, n);
	if (ferror(h->spill))
		return clrsos_error_create(CLRSOS_ERROR_IO, "--json: cannot read back the temporary file holding the output");
	return NULL;
}

/*
 * A failed --json command's error object on out. If what it held is one
 * whole document (clrsos_json_end ended it: one line, "{...}\n"), the
 * command answered and then failed (eeversion without a DAC): the error's
 * fields join that answer's object. Anything else held is dropped.
 */
static void report_held(const char *name, int argc, const char *const *argv, const struct clrsos_error *err,
			const struct held *h, struct clrsos_writer *out)
{
	bool whole = !h->spill && !h->no_memory && !h->io_errno && h->size >= 3 && h->data[0] == '{' &&
		     h->data[h->size - 2] == '}' && h->data[h->size - 1] == '\n' &&
		     !memchr(h->data, '\n', h->size - 1);
	struct held e = {0};
	struct clrsos_writer ew = {hold, &e};
	clrsos_command_report(name, argc, argv, err, &ew);
	if (!whole || e.no_memory || e.size < 2) {
		free(e.data);
		clrsos_command_report(name, argc, argv, err, out);
		return;
	}
	out->write(out->ctx, h->data, h->size - 2); /* without its "}\n" */
	if (h->size > 3)
		out->write(out->ctx, ",", 1);
	out->write(out->ctx, e.data + 1, e.size - 1); /* without its "{" */
	free(e.data);
}

struct clrsos_error *clrsos_command_run(const struct clrsos_command *command,
					struct clrsos_session *session,
					const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = clrsos_command_wants_json(argc, argv);
	/* Everything the command writes also goes to the logopen file, if one is open. */
	struct clrsos_writer tee = clrsos_console_log_tee(out);
	out = &tee;
	struct held h = {0};
	struct clrsos_writer held_writer = {hold, &h};
	if (session)
		clrsos_session_begin_command(session);
	struct clrsos_error *err = clrsos_command_run_watched(command, session, host, argc, argv,
								json ? &held_writer : out);
	if (session) {
		struct clrsos_error *crash = clrsos_session_end_command(session, err);
		if (crash && clrsos_error_is_no_memory(err)) {
			clrsos_error_destroy(crash);
		} else if (crash) {
			clrsos_error_destroy(err);
			err = crash;
		}
	}
	if (json && !err) {
		if (h.no_memory)
			err = &clrsos_error_no_memory;
		else if (h.io_errno)
			err = clrsos_error_create(CLRSOS_ERROR_IO,
						  "--json: cannot hold the output in a temporary file (%s): free space in "
						  "the temporary directory, or leave out --json",
						  strerror(h.io_errno));
		else
			err = release(&h, out);
	} else if (json && err) {
		report_held(command->name, argc, argv, err, &h, out);
	}
	free(h.data);
	if (h.spill)
		fclose(h.spill);
	clrsos_console_log_flush();
	return err;
}

void clrsos_command_report(const char *command, int argc,
			   const char *const *argv, const struct clrsos_error *err,
			   struct clrsos_writer *out)
{
	if (!err || !clrsos_command_wants_json(argc, argv))
		return;
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "error");
	clrsos_json_string(&j, err->message);
	clrsos_json_key(&j, "code");
	clrsos_json_string(&j, clrsos_error_code_name(err->code));
	clrsos_json_key(&j, "command");
	clrsos_json_string(&j, command);
	if (err->code == CLRSOS_ERROR_FAULT) {
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, err->address);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_parse_address(const struct clrsos_host *host,
					  const char *text, uint64_t *ret)
{
	const char *digits = text;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		digits += 2;
	size_t n = strspn(digits, "0123456789abcdefABCDEF");
	if (n > 0 && n <= 16 && digits[n] == '\0') {
		*ret = strtoull(digits, NULL, 16);
		return NULL;
	}
	if (!host || !host->evaluate)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%s' is not an address", text);
	return host->evaluate(host->ctx, text, ret);
}

struct clrsos_error *clrsos_parse_uint(const char *option, const char *text,
				       uint64_t *ret)
{
	return clrsos_parse_uint_range(option, text, 0, UINT64_MAX, ret);
}

struct clrsos_error *clrsos_parse_uint_range(const char *option, const char *text, uint64_t min,
					     uint64_t max, uint64_t *ret)
{
	char *end;
	errno = 0;
	int base = 10;
	const char *digits = text;
	if (digits && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	}
	/* strtoull alone would take spaces, a sign, and a leading 0 as octal. */
	if (!digits || !isxdigit((unsigned char)digits[0]) ||
	    (base == 10 && !isdigit((unsigned char)digits[0])))
		goto bad;
	unsigned long long v = strtoull(digits, &end, base);
	if (*end)
		goto bad;
	if (errno == ERANGE || v < min || v > max)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s '%s' is out of range: it takes %" PRIu64 " to %" PRIu64,
					   option, text, min, max);
	if (errno)
		goto bad;
	*ret = v;
	return NULL;
bad:
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "%s needs a number (decimal, or hex with 0x), not '%s'",
				   option, text ? text : "");
}

struct clrsos_error *clrsos_address_operand(const char *command, const struct clrsos_host *host,
					    const char *text, bool *have, uint64_t *address)
{
	if (*have)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "a second address '%s': it takes one (see 'help %s')", text, command);
	*have = true;
	return clrsos_parse_address(host, text, address);
}

struct clrsos_error *clrsos_parse_generation(const char *command, const char *text,
					     uint32_t *mask)
{
	static const struct {
		const char *name;
		enum clrsos_generation gen;
	} names[] = {
		{"gen0", CLRSOS_GEN0},   {"0", CLRSOS_GEN0},       {"gen1", CLRSOS_GEN1},
		{"1", CLRSOS_GEN1},      {"gen2", CLRSOS_GEN2},    {"2", CLRSOS_GEN2},
		{"loh", CLRSOS_GEN_LOH}, {"3", CLRSOS_GEN_LOH},    {"poh", CLRSOS_GEN_POH},
		{"4", CLRSOS_GEN_POH},   {"foh", CLRSOS_GEN_FROZEN}, {"frozen", CLRSOS_GEN_FROZEN},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*mask |= 1u << names[i].gen;
			return NULL;
		}
	}
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "%s -gen %s: expected gen0, gen1, gen2, loh, poh or foh", command, text);
}

struct clrsos_error *clrsos_address_missing(const char *command, const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s needs the address of %s: see 'help %s'",
				   command, what, command);
}
