#ifndef ENCORE_CZLIB_SHIM_H
#define ENCORE_CZLIB_SHIM_H
#include <zlib.h>
#endif
