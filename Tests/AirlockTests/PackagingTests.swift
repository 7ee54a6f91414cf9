import Foundation
import Testing
import TestSupport

/// Issue 14: the .deb and tarball run where no Swift toolchain is. scripts/package-test.sh builds
/// the static release binary once, hides the toolchain from it, installs the .deb into a bare
/// Debian 12 (debootstrap) and verifies and pushes from inside that root.
/// Set AIRLOCK_SKIP_PACKAGE_TEST=1 to leave it out (the sanitizer runs do: it builds without them).
@Suite struct PackagingTests {
    static var skipped: Bool { ProcessInfo.processInfo.environment["AIRLOCK_SKIP_PACKAGE_TEST"] == "1" }

    @Test(.disabled(if: skipped, "AIRLOCK_SKIP_PACKAGE_TEST=1"), .timeLimit(.minutes(60)))
    func packageRunsOnABareDebian() throws {
        let result = try run(TestPaths.script("package-test.sh"), [])
        #expect(result.status == 0, "\(result.stderr.suffix(4000))")
        #expect(result.stderr.contains("images pushed from the chroot with their digests"), "\(result.stderr.suffix(2000))")
    }
}
