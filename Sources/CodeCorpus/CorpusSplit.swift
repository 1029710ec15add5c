import Crypto
import Foundation

/// The four splits. `heldout` holds whole Swift repositories kept out of training for a
/// cross-repository test; `test` and `valid` are about 1 % of every source each.
public enum CorpusSplit: String, CaseIterable, Comparable, Sendable {
    case train, valid, test, heldout

    public static func < (lhs: CorpusSplit, rhs: CorpusSplit) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Evaluation splits win over train when two files have the same content.
    public var isEvaluation: Bool { self != .train }
}

/// Assigns a key to a split from a salted SHA-256 (data.md 2.3), so the split depends on the
/// version-free key alone: a version bump of a source never moves a file between splits.
public enum SplitAssigner {
    /// Changing the salt reshuffles every split: do it only on purpose.
    public static let salt = "sedd-split-v1|"

    /// `uint64(first 8 bytes of SHA-256(salt + key), big-endian) % 100`.
    public static func bucket(forKey key: String) -> Int {
        let digest = SHA256.hash(data: Array((salt + key).utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return Int(value % 100)
    }

    /// Bucket 0 is test, bucket 1 valid, the rest train.
    public static func split(forKey key: String) -> CorpusSplit {
        switch bucket(forKey: key) {
        case 0: return .test
        case 1: return .valid
        default: return .train
        }
    }
}

/// Lower-case hexadecimal SHA-256, the content hash of manifests and dedup.
public func sha256Hex<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for byte in SHA256.hash(data: bytes) {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
