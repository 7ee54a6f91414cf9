#ifndef AIRLOCK_BUILD_INFO_H
#define AIRLOCK_BUILD_INFO_H

/// The commit and Swift toolchain a binary was built from, as scripts/package.sh passes them
/// (-Xcc -DAIRLOCK_COMMIT=... -Xcc -DAIRLOCK_SWIFT=...); a development build says so.
const char *airlock_build_commit(void);
const char *airlock_build_swift(void);

#endif
