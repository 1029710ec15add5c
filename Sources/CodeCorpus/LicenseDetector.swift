import Foundation

/// Names the license of an extracted repository or Debian package from its license text.
///
/// Recognises only the permissive licenses the corpus plan admits; anything else is reported as
/// "unrecognised" so that SOURCES.md shows it for a person to check, rather than guessing.
enum LicenseDetector {
    static let unrecognised = "unrecognised (check by hand)"
    private static let candidateNames = ["LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "LICENSE-MIT"]

    /// The license of a source tree, from the first license file at its top level.
    static func license(ofTree root: URL) -> String {
        for name in candidateNames {
            let url = root.appendingPathComponent(name)
            if let data = FileManager.default.contents(atPath: url.path) {
                return classify(String(decoding: data, as: UTF8.self))
            }
        }
        return "no license file"
    }

    /// An SPDX id for a license text.
    static func classify(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if flat.contains("Apache License") && flat.contains("Version 2.0") { return "Apache-2.0" }
        if flat.contains("Permission is hereby granted, free of charge") { return "MIT" }
        if flat.contains("Permission to use, copy, modify, and/or distribute") { return "ISC" }
        if flat.contains("Redistribution and use in source and binary forms") {
            return flat.contains("Neither the name") || flat.contains("names of its contributors")
                ? "BSD-3-Clause" : "BSD-2-Clause"
        }
        return unrecognised
    }

    /// The `License:` of the `Files: *` stanza of a Debian machine-readable copyright file.
    static func debianCopyrightLicense(_ text: String) -> String? {
        var inWildcardStanza = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Files:") {
                inWildcardStanza = line.dropFirst("Files:".count).trimmingCharacters(in: .whitespaces) == "*"
            } else if inWildcardStanza, line.hasPrefix("License:") {
                let value = line.dropFirst("License:".count).trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : spdx(fromDebian: value)
            }
        }
        return nil
    }

    /// Debian's short names to SPDX ids where they differ (`Expat` is what SPDX calls MIT).
    static func spdx(fromDebian name: String) -> String {
        switch name {
        case "Expat": return "MIT"
        case "BSD-2-clause": return "BSD-2-Clause"
        case "BSD-3-clause": return "BSD-3-Clause"
        default: return name
        }
    }
}
