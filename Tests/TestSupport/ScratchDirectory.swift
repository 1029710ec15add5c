import Foundation

/// Fresh directories under the system's temporary directory for test helpers that are shared by
/// many test cases (a model or corpus made once, reused): such a helper has no test case whose
/// teardown could remove it, so each directory is removed when the test process exits, and repeated
/// runs leave nothing behind.
public enum ScratchDirectory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [URL] = []
    private static let removalAtExit: Void = { atexit { ScratchDirectory.removeAll() } }()

    /// A new empty directory named `prefix-UUID`.
    public static func make(_ prefix: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        lock.lock()
        defer { lock.unlock() }
        _ = removalAtExit
        made.append(url)
        return url
    }

    static func removeAll() {
        lock.lock()
        let urls = made
        made = []
        lock.unlock()
        for url in urls { try? FileManager.default.removeItem(at: url) }
    }
}
