import XCTest

@testable import Tokenizers

/// The heap path for long words must give exactly what the reference rounds give.
final class MergeAlgorithmTests: XCTestCase {
    private func bothWays(_ table: BPEMergeTable, _ symbols: [Int32]) -> (rounds: [Int32], heap: [Int32]) {
        var rounds = symbols
        let roundsCount = rounds.withUnsafeMutableBufferPointer {
            table.applyMergesByRounds($0.baseAddress!, count: $0.count)
        }
        var heap = symbols
        let heapCount = heap.withUnsafeMutableBufferPointer {
            table.applyMergesWithHeap($0.baseAddress!, count: $0.count)
        }
        return (Array(rounds.prefix(roundsCount)), Array(heap.prefix(heapCount)))
    }

    func testHeapEqualsRoundsOnGPT2() {
        let tokenizer = Fixtures.gpt2
        XCTAssertTrue(tokenizer.mergeTable.ranksFollowCreation)
        var generator = RoundTripTests.SeededGenerator(state: 11)
        let alphabets: [[UInt8]] = [
            Array("abcdefghijklmnopqrstuvwxyz".utf8), Array("aeiou".utf8), Array("ab".utf8), Array("=-_*#".utf8),
            Array("0123456789".utf8), Array(" \n\t".utf8), (0...255).map { UInt8($0) },
        ]
        for trial in 0..<300 {
            let alphabet = alphabets[trial % alphabets.count]
            let length = Int.random(in: 2...400, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let symbols = bytes.map { Int32(tokenizer.id(of: ByteLevelAlphabet.string(for: [$0]))!) }
            let result = bothWays(tokenizer.mergeTable, symbols)
            XCTAssertEqual(result.heap, result.rounds, "bytes \(bytes)")
        }
    }

    /// A list where a merge uses a token before the merge that makes it must not take the heap path.
    func testOutOfOrderMergesDisableHeap() {
        let ordered = BPEMergeTable(merges: [.init(left: 0, right: 1, merged: 3), .init(left: 3, right: 2, merged: 4)])
        XCTAssertTrue(ordered.ranksFollowCreation)
        let reversed = BPEMergeTable(merges: [.init(left: 3, right: 2, merged: 4), .init(left: 0, right: 1, merged: 3)])
        XCTAssertFalse(reversed.ranksFollowCreation)
    }
}
