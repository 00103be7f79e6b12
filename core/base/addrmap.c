#include "base/addrmap.h"

#include <stdlib.h>
#include <string.h>

static size_t slot(uint64_t key, size_t cap)
{
	return (size_t)((key >> 3) * 0x9e3779b97f4a7c15ull >> 17) & (cap - 1);
}

static bool grow(struct clrsos_addrmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = calloc(cap, sizeof(*keys)), *values = malloc(cap * sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t h = slot(m->keys[i], cap);
		while (keys[h])
			h = (h + 1) & (cap - 1);
		keys[h] = m->keys[i];
		values[h] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->cap = cap;
	return true;
}

bool clrsos_addrmap_put(struct clrsos_addrmap *m, uint64_t key, uint64_t value)
{
	if ((m->count + 1) * 2 > m->cap && !grow(m))
		return false;
	size_t h = slot(key, m->cap);
	while (m->keys[h] && m->keys[h] != key)
		h = (h + 1) & (m->cap - 1);
	if (!m->keys[h]) {
		m->keys[h] = key;
		m->count++;
	}
	m->values[h] = value;
	return true;
}

bool clrsos_addrmap_get(const struct clrsos_addrmap *m, uint64_t key, uint64_t *ret)
{
	if (!m->cap || !key)
		return false;
	size_t h = slot(key, m->cap);
	while (m->keys[h]) {
		if (m->keys[h] == key) {
			if (ret)
				*ret = m->values[h];
			return true;
		}
		h = (h + 1) & (m->cap - 1);
	}
	return false;
}

void clrsos_addrmap_clear(struct clrsos_addrmap *m)
{
	if (m->keys)
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->count = 0;
}

void clrsos_addrmap_deinit(struct clrsos_addrmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}
