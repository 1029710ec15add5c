import Foundation

/// The JSONL log of a run (`train-log.jsonl` in the out directory): one object per step, and one per
/// evaluation. Numbers are written with 17 significant digits so losses compare bit for bit;
/// non-finite values are written as null (JSON has no NaN).
public final class TrainingLog {
    public static let fileName = "train-log.jsonl"
    public let url: URL
    private let handle: FileHandle

    /// Opens the log for appending. With `keepThrough`, rows of later steps (from a run that was
    /// interrupted after its last checkpoint) are dropped first, so a resumed log reads like an
    /// uninterrupted one.
    public init(url: URL, keepThrough: Int?) throws(TrainingError) {
        self.url = url
        let fm = FileManager.default
        if let last = keepThrough, let data = fm.contents(atPath: url.path) {
            let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let step = object["step"] as? Int
                else { return false }
                return step <= last
            }
            let text = kept.map { $0 + "\n" }.joined()
            guard fm.createFile(atPath: url.path, contents: Data(text.utf8)) else {
                throw .io(path: url.path, reason: "cannot rewrite the training log")
            }
        } else if keepThrough == nil || !fm.fileExists(atPath: url.path) {
            guard fm.createFile(atPath: url.path, contents: nil) else {
                throw .io(path: url.path, reason: "cannot create the training log")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw .io(path: url.path, reason: "cannot open the training log: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    public func write(_ r: StepReport) {
        let tps = r.seconds > 0 ? Double(r.tokens) / r.seconds : 0
        append(
            "{\"step\":\(r.step),\"loss\":\(number(r.loss)),\"grad_norm\":\(number(r.gradientNorm)),"
                + "\"lr\":\(number(Double(r.learningRate))),\"skipped\":\(r.skipped),\"tokens\":\(r.tokens),"
                + "\"seconds\":\(number(r.seconds)),\"tokens_per_second\":\(number(tps))}")
    }

    public func writeEvaluation(step: Int, natsPerToken: Double, blocks: Int) {
        append("{\"step\":\(step),\"eval_nats_per_token\":\(number(natsPerToken)),\"eval_blocks\":\(blocks)}")
    }

    private func append(_ line: String) {
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }

    private func number(_ x: Double) -> String {
        x.isFinite ? String(format: "%.17g", x) : "null"
    }

    /// Reads the per-step losses back (for tests and tools).
    public static func losses(at url: URL) -> [Int: Double] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        var out: [Int: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let step = object["step"] as? Int, let loss = object["loss"] as? Double
            else { continue }
            out[step] = loss
        }
        return out
    }
}
