import Foundation
import SEDDModel
import SEDDTraining
import Tokenizers
import XCTest

/// Reading and packing data, and every malformed input class: a clear error or a logged skip.
final class DataTests: XCTestCase {
    func testBinaryInvalidUTF8AndBadJSONLAreSkippedWithAReason() throws {
        let dir = TinyModel.temporaryDirectory("mixed")
        try "good text".write(to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try Data([0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2]).write(to: dir.appendingPathComponent("b.txt"))
        try Data([0x68, 0x69, 0xC3, 0x28, 0xFF]).write(to: dir.appendingPathComponent("c.md"))
        try "{\"text\": \"row one\"}\nnot json\n{\"other\": 1}\n\n{\"text\": \"row two\"}\n"
            .write(to: dir.appendingPathComponent("d.jsonl"), atomically: true, encoding: .utf8)
        try "ignored".write(to: dir.appendingPathComponent("e.bin"), atomically: true, encoding: .utf8)
        let result = try CorpusReader().read([dir.path])
        XCTAssertEqual(result.documents.map(\.text), ["good text", "row one", "row two"])
        XCTAssertEqual(result.skipped.count, 4, result.skipped.joined(separator: "\n"))
        XCTAssertTrue(result.skipped.contains { $0.hasSuffix("b.txt: binary (contains NUL bytes)") })
        XCTAssertTrue(result.skipped.contains { $0.hasSuffix("c.md: not valid UTF-8") })
        XCTAssertTrue(result.skipped.contains { $0.hasSuffix("d.jsonl:2: not a JSON object") })
        XCTAssertTrue(result.skipped.contains { $0.hasSuffix("d.jsonl:3: no string field \"text\"") })
    }

    func testEmptyDirectoryAndMissingPathAreErrors() {
        let empty = TinyModel.temporaryDirectory("empty")
        XCTAssertThrowsError(try CorpusReader().read([empty.path])) { error in
            guard case TrainingError.noDocuments(let paths, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(paths, [empty.path])
        }
        XCTAssertThrowsError(try CorpusReader().read([empty.appendingPathComponent("nope").path])) { error in
            XCTAssertEqual(error as? TrainingError, .missingPath(path: empty.appendingPathComponent("nope").path))
        }
        let onlyBinary = TinyModel.temporaryDirectory("binary")
        try? Data([0, 1, 2]).write(to: onlyBinary.appendingPathComponent("x.txt"))
        XCTAssertThrowsError(try CorpusReader().read([onlyBinary.path])) { error in
            XCTAssertTrue("\(error)".contains("binary"), "\(error)")
        }
    }

    func testLengthLongerThanTheContextAndTinyCorpusAreErrors() throws {
        let model = try TinyModel.directory(TinyModel.config(hidden: 16, blocks: 1, length: 32))
        let data = try TinyModel.corpus(files: 1)
        var o = TrainingOptions()
        o.length = 64
        XCTAssertThrowsError(
            try TrainingSession(model: model, data: [data.path], out: TinyModel.temporaryDirectory("o"), options: o, resume: false)
        ) { error in
            XCTAssertTrue("\(error)".contains("--length"), "\(error)")
            XCTAssertTrue("\(error)".contains("model.length = 32"), "\(error)")
        }
        let small = TinyModel.temporaryDirectory("small")
        try "hi".write(to: small.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        o.length = 32
        o.validationFraction = 0
        XCTAssertThrowsError(
            try TrainingSession(model: model, data: [small.path], out: TinyModel.temporaryDirectory("o"), options: o, resume: false)
        ) { error in
            XCTAssertEqual(error as? TrainingError, .corpusTooSmall(tokens: 3, length: 32))
        }
        XCTAssertThrowsError(
            try TrainingSession(model: model, data: [data.path], out: TinyModel.temporaryDirectory("o"), options: o, resume: true)
        ) { error in
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
    }

    func testPackingJoinsDocumentsWithEndOfTextAndSplitsByHash() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
        let docs = (0..<200).map { CorpusReader.Document(source: "d\($0)", text: "document number \($0)") }
        let corpus = TokenizedCorpus(documents: docs, tokenizer: tokenizer, endOfText: 256, validationFraction: 0.1)
        XCTAssertEqual(corpus.trainDocuments + corpus.validationDocuments, 200)
        XCTAssertGreaterThan(corpus.validationDocuments, 5)
        XCTAssertLessThan(corpus.validationDocuments, 40)
        XCTAssertEqual(corpus.trainTokens.filter { $0 == 256 }.count, corpus.trainDocuments)
        XCTAssertEqual(corpus.trainTokens.last, 256)
        // The split depends on the text alone.
        for d in docs.prefix(20) {
            XCTAssertEqual(TokenizedCorpus.isValidation(d.text, fraction: 0.1), TokenizedCorpus.isValidation(d.text, fraction: 0.1))
        }
        let again = TokenizedCorpus(documents: docs.reversed(), tokenizer: tokenizer, endOfText: 256, validationFraction: 0.1)
        XCTAssertEqual(again.validationDocuments, corpus.validationDocuments)
        let blocks = TokenizedCorpus.blocks(corpus.trainTokens, length: 50)
        XCTAssertEqual(blocks.count, corpus.trainTokens.count / 50)
        XCTAssertTrue(blocks.allSatisfy { $0.count == 50 })
    }

    func testDataOrderVisitsEveryBlockOncePerEpochAndResumes() {
        var order = DataOrder(blockCount: 10, seed: 3)
        let epoch0 = order.next(10)
        XCTAssertEqual(Set(epoch0), Set(0..<10))
        let next = order.next(4)
        XCTAssertEqual(order.epoch, 1)
        XCTAssertNotEqual(epoch0.prefix(4).map { $0 }, next)
        var resumed = DataOrder(blockCount: 10, seed: 3, epoch: order.epoch, cursor: order.cursor)
        XCTAssertEqual(resumed.next(9), order.next(9))
    }
}

/// `sedd eval elbo` as a library call.
final class ELBOEvaluationTests: XCTestCase {
    func testShortTextIsEvaluatedAsOnePartialBlockAndBytesCountTheText() throws {
        let model = try TinyModel.directory(TinyModel.config(hidden: 16, blocks: 1, length: 32))
        let dir = TinyModel.temporaryDirectory("eval")
        try "héllo wörld".write(to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let outcome = try ELBOEvaluation.run(model: model, data: [dir.path], samples: 3, length: nil, seed: 1)
        let r = outcome.result
        XCTAssertEqual(r.blocks, 1)
        XCTAssertEqual(r.tokens, "héllo wörld".utf8.count + 1, "the bytes plus the end-of-text separator")
        XCTAssertEqual(r.bytes, "héllo wörld".utf8.count)
        XCTAssertEqual(r.bitsPerByte, r.totalNats / log(2) / Double(r.bytes), accuracy: 1e-12)
        XCTAssertThrowsError(try ELBOEvaluation.run(model: model, data: [dir.path], samples: 3, length: 33, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("model.length = 32"), "\(error)")
        }
        XCTAssertThrowsError(try ELBOEvaluation.run(model: model, data: [dir.path], samples: 0, length: nil, seed: 1))
    }
}
