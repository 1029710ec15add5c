import Foundation

/// A file that passed every filter and survived dedup.
public struct CorpusFile: Sendable {
    public let key: String
    public let language: CodeLanguage
    public let split: CorpusSplit
    public let sha256: String
    /// Normalised UTF-8 (CRLF already turned into LF).
    public let text: [UInt8]
    /// The id of the source it came from.
    public let sourceID: String
}

/// What one source contributed after filtering and dedup.
public struct SourceStatistics: Sendable {
    public let source: CorpusSource
    public internal(set) var files = 0
    public internal(set) var bytes = 0
}

/// The in-memory corpus: kept files sorted by key, and why the others were left out.
public struct AssembledCorpus: Sendable {
    public let files: [CorpusFile]
    public let rejections: [RejectionReason: Int]
    public let sources: [SourceStatistics]
    /// Files of a taken language looked at (before any filter).
    public let candidates: Int

    public var manifest: Manifest {
        Manifest(
            rows: files.map {
                ManifestRow(
                    key: $0.key, sha256: $0.sha256, split: $0.split, bytes: $0.text.count, language: $0.language)
            })
    }
}

/// Walks sources, filters, hashes, splits and dedups (data.md 2.3). Pure with respect to its input
/// trees: the same trees give the same corpus on any machine.
public enum CorpusAssembler {
    private struct Candidate {
        let sourceIndex: Int
        let relativePath: String
        let language: CodeLanguage
    }

    private enum Outcome {
        case kept(text: [UInt8], sha256: String)
        case rejected(RejectionReason)
    }

    public static func assemble(_ unsorted: [CorpusSource], log: (String) -> Void = { _ in }) throws -> AssembledCorpus
    {
        let sources = unsorted.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        for (a, b) in zip(sources, sources.dropFirst()) where a.id == b.id {
            throw CorpusError.duplicateSourceID(id: a.id)
        }
        var rejections: [RejectionReason: Int] = [:]
        var candidates: [Candidate] = []
        for (index, source) in sources.enumerated() {
            for path in FileSystemWalker.regularFiles(
                under: source.root, skippingTopDirectories: source.skippedTopDirectories)
            {
                guard let language = CodeLanguage.of(fileName: String(path.split(separator: "/").last ?? "")),
                    source.languages.contains(language)
                else { continue }
                if let reason = FileFilter.rejection(forPath: path) {
                    rejections[reason, default: 0] += 1
                    continue
                }
                candidates.append(Candidate(sourceIndex: index, relativePath: path, language: language))
            }
        }
        let pathRejected = rejections.values.reduce(0, +)
        log("walked \(sources.count) source(s): \(candidates.count + pathRejected) files of taken languages")

        let outcomes = readAndFilter(candidates, sources: sources)
        var statistics = sources.map { SourceStatistics(source: $0) }
        var kept: [CorpusFile?] = []
        var winnerByHash: [String: Int] = [:]
        for (candidate, outcome) in zip(candidates, outcomes) {
            switch outcome {
            case .rejected(let reason):
                rejections[reason, default: 0] += 1
            case .kept(let text, let sha256):
                let source = sources[candidate.sourceIndex]
                let key = source.key(forRelativePath: candidate.relativePath)
                let split = source.isHeldOut ? CorpusSplit.heldout : SplitAssigner.split(forKey: key)
                let file = CorpusFile(
                    key: key, language: candidate.language, split: split, sha256: sha256, text: text,
                    sourceID: source.id)
                // The first copy in sorted order wins, except that an evaluation copy beats a train copy.
                if let previous = winnerByHash[sha256] {
                    rejections[.duplicate, default: 0] += 1
                    guard split.isEvaluation, kept[previous]!.split == .train else { continue }
                    kept[previous] = nil
                }
                winnerByHash[sha256] = kept.count
                kept.append(file)
            }
        }
        let files = kept.compactMap { $0 }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let indexByID = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1.id, $0) })
        for file in files {
            statistics[indexByID[file.sourceID]!].files += 1
            statistics[indexByID[file.sourceID]!].bytes += file.text.count
        }
        return AssembledCorpus(
            files: files, rejections: rejections, sources: statistics, candidates: candidates.count + pathRejected)
    }

    /// Reads, filters and hashes every candidate on all cores; results keep the candidates' order.
    private static func readAndFilter(_ candidates: [Candidate], sources: [CorpusSource]) -> [Outcome] {
        let results = UnsafeMutableBufferPointer<Outcome>.allocate(capacity: candidates.count)
        defer { results.deallocate() }
        let base = results.baseAddress
        DispatchQueue.concurrentPerform(iterations: candidates.count) { index in
            let candidate = candidates[index]
            let path = sources[candidate.sourceIndex].root.path + "/" + candidate.relativePath
            let outcome: Outcome
            if let data = FileManager.default.contents(atPath: path) {
                switch FileFilter.normalise([UInt8](data)) {
                case .kept(let text): outcome = .kept(text: text, sha256: sha256Hex(text))
                case .rejected(let reason): outcome = .rejected(reason)
                }
            } else {
                outcome = .rejected(.unreadable)
            }
            (base! + index).initialize(to: outcome)
        }
        let array = Array(results)
        _ = results.baseAddress.map { $0.deinitialize(count: candidates.count) }
        return array
    }
}
