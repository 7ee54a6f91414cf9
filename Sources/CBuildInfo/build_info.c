#include "build_info.h"

#ifndef AIRLOCK_COMMIT
#define AIRLOCK_COMMIT "unknown (development build)"
#endif
#ifndef AIRLOCK_SWIFT
#define AIRLOCK_SWIFT "unknown (development build)"
#endif

const char *airlock_build_commit(void) { return AIRLOCK_COMMIT; }
const char *airlock_build_swift(void) { return AIRLOCK_SWIFT; }
