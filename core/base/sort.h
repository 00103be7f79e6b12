/*
 * In-place sorts, typed by macro like vector.h's containers: for arrays too
 * big to copy (glibc's qsort may allocate a copy of the array: at 100 M
 * objects that is a second array of hundreds of MB).
 *
 *   static inline bool rec_less(const struct rec *a, const struct rec *b);
 *   CLRSOS_SORT(sort_recs, struct rec, rec_less)
 *
 * defines
 *
 *   static struct clrsos_error *sort_recs(struct rec *a, size_t n, struct clrsos_watch *watch);
 *
 * an introsort (quicksort on a median of three, heapsort past a depth of
 * 2 log2 n, insertion sort for short runs): O(n log n) on any input, no
 * memory, not stable (make less total where the order of equals matters).
 * It ticks watch once per partition and per heapsort step, so a long sort
 * ends soon after the user asks to stop: it then returns the
 * CLRSOS_ERROR_INTERRUPTED error (the caller's), with a[] holding the same
 * items in no particular order. A NULL watch never stops.
 */
#ifndef CLRSOS_SORT_H
#define CLRSOS_SORT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/watch.h"

enum { CLRSOS_SORT_SHORT_RUN = 16 };

#define CLRSOS_SORT(name, type, less)                                                              \
	static inline void name##_swap(type *a, type *b)                                           \
	{                                                                                          \
		type t = *a;                                                                       \
		*a = *b;                                                                           \
		*b = t;                                                                            \
	}                                                                                          \
                                                                                                   \
	static void name##_sift(type *a, size_t root, size_t n)                                    \
	{                                                                                          \
		for (size_t child; (child = 2 * root + 1) < n; root = child) {                     \
			if (child + 1 < n && less(&a[child], &a[child + 1]))                       \
				child++;                                                           \
			if (!less(&a[root], &a[child]))                                            \
				return;                                                            \
			name##_swap(&a[root], &a[child]);                                          \
		}                                                                                  \
	}                                                                                          \
                                                                                                   \
	static struct clrsos_error *name##_heapsort(type *a, size_t n, struct clrsos_watch *watch) \
	{                                                                                          \
		struct clrsos_error *err;                                                          \
		for (size_t i = n / 2; i-- > 0;) {                                                 \
			if ((err = clrsos_watch_tick(watch)))                                      \
				return err;                                                        \
			name##_sift(a, i, n);                                                      \
		}                                                                                  \
		for (size_t end = n; end > 1; end--) {                                             \
			if ((err = clrsos_watch_tick(watch)))                                      \
				return err;                                                        \
			name##_swap(&a[0], &a[end - 1]);                                           \
			name##_sift(a, 0, end - 1);                                                \
		}                                                                                  \
		return NULL;                                                                       \
	}                                                                                          \
                                                                                                   \
	static struct clrsos_error *name##_intro(type *a, size_t n, unsigned depth,                \
						 struct clrsos_watch *watch)                       \
	{                                                                                          \
		while (n > CLRSOS_SORT_SHORT_RUN) {                                                \
			struct clrsos_error *err = clrsos_watch_tick(watch);                       \
			if (err)                                                                   \
				return err;                                                        \
			if (!depth--)                                                              \
				return name##_heapsort(a, n, watch);                               \
			size_t mid = n / 2;                                                        \
			if (less(&a[mid], &a[0]))                                                  \
				name##_swap(&a[mid], &a[0]);                                       \
			if (less(&a[n - 1], &a[0]))                                                \
				name##_swap(&a[n - 1], &a[0]);                                     \
			if (less(&a[n - 1], &a[mid]))                                              \
				name##_swap(&a[n - 1], &a[mid]);                                   \
			type pivot = a[mid];                                                       \
			size_t i = 0, j = n - 1;                                                   \
			for (;;) {                                                                 \
				while (less(&a[i], &pivot))                                        \
					i++;                                                       \
				while (less(&pivot, &a[j]))                                        \
					j--;                                                       \
				if (i >= j)                                                        \
					break;                                                     \
				name##_swap(&a[i], &a[j]);                                         \
				i++;                                                               \
				j--;                                                               \
			}                                                                          \
			/* [0, j] and (j, n): recurse into the smaller side, loop on the other. */ \
			size_t left = j + 1;                                                       \
			if (left < n - left) {                                                     \
				if ((err = name##_intro(a, left, depth, watch)))                   \
					return err;                                                \
				a += left;                                                         \
				n -= left;                                                         \
			} else {                                                                   \
				if ((err = name##_intro(a + left, n - left, depth, watch)))        \
					return err;                                                \
				n = left;                                                          \
			}                                                                          \
		}                                                                                  \
		for (size_t i = 1; i < n; i++) {                                                   \
			type t = a[i];                                                             \
			size_t k = i;                                                              \
			for (; k > 0 && less(&t, &a[k - 1]); k--)                                  \
				a[k] = a[k - 1];                                                   \
			a[k] = t;                                                                  \
		}                                                                                  \
		return NULL;                                                                       \
	}                                                                                          \
                                                                                                   \
	static struct clrsos_error *name(type *a, size_t n, struct clrsos_watch *watch)            \
	{                                                                                          \
		unsigned depth = 0;                                                                \
		for (size_t m = n; m > 1; m >>= 1)                                                 \
			depth += 2;                                                                \
		return name##_intro(a, n, depth, watch);                                           \
	}

#endif
