import XCTest

@testable import CodeCorpus

/// The C sources' fallback: when the mirror no longer serves the version apt picks, the fetcher
/// tries the other versions the deb-src lists know, newest first.
final class DebianSourceVersionTests: XCTestCase {
    func testVersionsAreReadFromThePackagesOwnRecordsOnly() {
        let showsrc = """
            Package: libzstd
            Binary: libzstd-dev, libzstd1, zstd
            Version: 1.5.4+dfsg2-5
            Format: 3.0 (quilt)

            Package: zstd-other
            Version: 9.9-1

            Package: libzstd
            Version: 1.5.4+dfsg2-5+deb12u1

            Package: libzstd
            Version: 1.5.4+dfsg2-5
            """
        XCTAssertEqual(
            DebianSourceFetcher.versions(of: "libzstd", inShowsrc: showsrc), ["1.5.4+dfsg2-5", "1.5.4+dfsg2-5+deb12u1"])
        XCTAssertEqual(DebianSourceFetcher.versions(of: "curl", inShowsrc: showsrc), [])
    }

    func testNewestFirstFollowsDebiansVersionOrder() throws {
        guard (try? ProcessRunner.capture(["dpkg", "--version"]))?.status == 0 else {
            throw XCTSkip("dpkg is not installed")
        }
        let versions = ["1.5.4+dfsg2-5", "1.5.4+dfsg2-5+deb12u1", "1.5.10-1", "1:0.9-1", "1.5.4~rc1-1"]
        XCTAssertEqual(
            versions.sorted { DebianSourceFetcher.newer($0, than: $1) },
            ["1:0.9-1", "1.5.10-1", "1.5.4+dfsg2-5+deb12u1", "1.5.4+dfsg2-5", "1.5.4~rc1-1"])
    }
}
