/*
 * COM on the PAL ABI, from C: a COM object is a pointer to a table of
 * function pointers; every method takes the object first; slots 0-2 are
 * QueryInterface, AddRef and Release. On Linux x86-64 the calling
 * convention is the ordinary System V one. HRESULTs are 32-bit; WCHAR is
 * UTF-16 (2 bytes), not wchar_t.
 */
#ifndef CLRSOS_COM_H
#define CLRSOS_COM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef int32_t clrsos_hresult;

struct clrsos_guid {
	uint32_t data1;
	uint16_t data2;
	uint16_t data3;
	uint8_t data4[8];
};

enum {
	CLRSOS_S_OK = 0,
	CLRSOS_S_FALSE = 1,
};
#define CLRSOS_E_NOTIMPL ((clrsos_hresult)0x80004001)
#define CLRSOS_E_NOINTERFACE ((clrsos_hresult)0x80004002)
#define CLRSOS_E_POINTER ((clrsos_hresult)0x80004003)
#define CLRSOS_E_FAIL ((clrsos_hresult)0x80004005)
#define CLRSOS_E_INVALIDARG ((clrsos_hresult)0x80070057)

static inline bool clrsos_guid_eq(const struct clrsos_guid *a,
				  const struct clrsos_guid *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The function in slot `slot` of COM object obj, as function type fn_type. */
#define CLRSOS_COM_SLOT(obj, slot, fn_type) \
	((fn_type)((*(void *const *const *)(obj))[slot]))

typedef uint32_t (*clrsos_com_release_fn)(void *self);
typedef clrsos_hresult (*clrsos_com_qi_fn)(void *self,
					   const struct clrsos_guid *iid,
					   void **ret);

static inline void clrsos_com_release(void *obj)
{
	if (obj)
		CLRSOS_COM_SLOT(obj, 2, clrsos_com_release_fn)(obj);
}

static inline void *clrsos_com_query(void *obj, const struct clrsos_guid *iid)
{
	void *ret = NULL;
	if (CLRSOS_COM_SLOT(obj, 0, clrsos_com_qi_fn)(obj, iid, &ret) < 0)
		return NULL;
	return ret;
}

#endif
