/*
 * Type names: the DAC (ISOSDacInterface::GetMethodTableName) names types the
 * way reflection's Type.AssemblyQualifiedName does inside generic argument
 * lists:
 *
 *   System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Int32, System.Private.CoreLib]]
 *
 * Current SOS prints the names ClrMD makes of them (ClrMD's DacNameParser),
 * which read like C#:
 *
 *   System.Collections.Generic.Dictionary<System.String, System.Int32>
 *
 * The rules, as ClrMD applies them:
 *
 *  - A name is a chain of segments joined by '+' (nested types), then
 *    maybe a generic argument list, then maybe array and pointer suffixes.
 *    A segment "Name`N" is generic with N arguments; the backtick and the
 *    arity are dropped, the arguments go into "<...>" after the segment,
 *    separated by ", ".
 *  - The argument list "[...]" comes once, after the whole chain, and holds
 *    the arguments of every generic segment in order, outermost first:
 *    "Outer`2+Inner`1[[A, a],[B, b],[C, c]]" is "Outer<A, B>+Inner<C>", and
 *    "Dictionary`2+Entry[[K, k],[V, v]][]" is "Dictionary<K, V>+Entry[]".
 *  - An argument is "[Type, Assembly...]" (the assembly, with or without
 *    Version=, Culture=, PublicKeyToken=, is dropped) or a bare "Type"
 *    (generic parameters such as "T"). An argument is itself a full name:
 *    generic, nested, an array.
 *  - A generic segment that gets no argument (or too few) shows
 *    placeholders T1, T2, ... by position: "Foo`2" inside an argument list
 *    is "Foo<T1, T2>". At the top level ClrMD does this only when the name
 *    ends right after the arity ("Foo`2" is "Foo<T1, T2>", but "Foo`2+Bar"
 *    and "Foo`2[]" stay as they are).
 *  - A list after a chain with no arity at all ("loop@444[a]", F# and
 *    obfuscated names) is the argument list of the last segment:
 *    "loop@444<a>". A '[' followed by ']', ',' or '*' is an array suffix.
 *  - Array ("[]", "[,]", "[*]") and pointer/by-ref ("*", "&") suffixes are
 *    kept as the DAC wrote them. Characters escaped with '\' are kept with
 *    their backslash.
 *
 * Where ClrMD's parser slips, this follows the grammar instead: it keeps
 * the DAC's argument order in chains of several generic segments inside an
 * argument (ClrMD swaps them), keeps "[*]" and jagged "[,][]" as written
 * (ClrMD: "<*>", "[][]"), and converts names it gives up on, such as
 * "List`1[[List`1[[System.String[], a]][], a]]" and generic types followed
 * by '*' or '&'.
 *
 * A name that does not follow this grammar (missing or extra brackets, more
 * arguments than arities, ...) is returned as it came. So is one that would
 * need more than 4096 placeholders or has an arity over 1024 (garbage read
 * from a damaged target, not a real type).
 */
#ifndef CLRSOS_TYPENAME_H
#define CLRSOS_TYPENAME_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The C#-like form of a type name as the DAC gives it (see the file's doc
 * comment). malloc'd; NULL only when out of memory. Never fails on odd
 * input: what it cannot parse is returned unchanged. A NULL name is taken
 * as "".
 */
char *clrsos_typename_from_dac(const char *dac_name);

#ifdef __cplusplus
}
#endif

#endif
