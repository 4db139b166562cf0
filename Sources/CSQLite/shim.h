#ifndef ENCORE_CSQLITE_SHIM_H
#define ENCORE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
