import ArgumentParser
import Foundation
import TensorFiles

/// Opens a weights file, turning its typed error into a one-line CLI error.
func openTensorArchiveReporting(_ url: URL) throws -> any TensorArchive {
    do { return try openTensorArchive(at: url) } catch { throw CLIError(error.description) }
}

/// Reads all of standard input as bytes.
func readStandardInput() -> [UInt8] {
    [UInt8](FileHandle.standardInput.readDataToEndOfFile())
}

/// A wrong input from outside: printed as one line `Error: <message>`, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
