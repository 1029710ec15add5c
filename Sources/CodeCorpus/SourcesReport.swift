import Foundation

/// Renders `corpus/SOURCES.md`: every source with version, license, files and bytes, the totals per
/// language and split, the filter counts, and what the licenses mean for trained weights.
/// It names no path of the machine that built it.
public enum SourcesReport {
    public static let fileName = "SOURCES.md"

    public static func markdown(corpus: AssembledCorpus, manifest: Manifest) -> String {
        var text = """
            # Code corpus sources

            Corpus version (SHA-256 of `manifest.tsv`): `\(manifest.version)`

            Rebuild and check with `sedd corpus build --out DIR --swift-mirror MIRROR --verify` (or set
            `SEDD_SWIFT_MIRROR`). Filters, splits and dedup follow docs/data.md section 2.3; the split salt is
            `\(SplitAssigner.salt)`. Files and bytes below count what survived filtering and dedup.


            """
        text += languageTable(manifest) + "\n" + licenseTable(corpus) + "\n" + rejectionTable(corpus) + "\n"
        text += sourceTable(corpus) + "\n" + licenseNotes
        return text
    }

    private static func languageTable(_ manifest: Manifest) -> String {
        var rows = "## Files and bytes per language and split\n\n| language |"
        for split in CorpusSplit.allCases { rows += " \(split.rawValue) files | \(split.rawValue) bytes |" }
        rows += " all bytes |\n|---|" + String(repeating: "---:|", count: 2 * CorpusSplit.allCases.count + 1) + "\n"
        var totals: [CorpusSplit: (Int, Int)] = [:]
        for language in CodeLanguage.allCases.sorted() {
            let rowsOfLanguage = manifest.rows.filter { $0.language == language }
            guard !rowsOfLanguage.isEmpty else { continue }
            rows += "| \(language.rawValue) |"
            for split in CorpusSplit.allCases {
                let selected = rowsOfLanguage.filter { $0.split == split }
                let bytes = selected.reduce(0) { $0 + $1.bytes }
                rows += " \(grouped(selected.count)) | \(grouped(bytes)) |"
                totals[split, default: (0, 0)].0 += selected.count
                totals[split, default: (0, 0)].1 += bytes
            }
            rows += " \(grouped(rowsOfLanguage.reduce(0) { $0 + $1.bytes })) |\n"
        }
        rows += "| **all** |"
        for split in CorpusSplit.allCases {
            rows += " \(grouped(totals[split]?.0 ?? 0)) | \(grouped(totals[split]?.1 ?? 0)) |"
        }
        return rows + " \(grouped(manifest.rows.reduce(0) { $0 + $1.bytes })) |\n"
    }

    private static func licenseTable(_ corpus: AssembledCorpus) -> String {
        var byLicense: [String: (sources: Int, files: Int, bytes: Int)] = [:]
        for statistics in corpus.sources where statistics.files > 0 {
            byLicense[statistics.source.license, default: (0, 0, 0)].sources += 1
            byLicense[statistics.source.license, default: (0, 0, 0)].files += statistics.files
            byLicense[statistics.source.license, default: (0, 0, 0)].bytes += statistics.bytes
        }
        var rows = "## Bytes per license\n\n| license | sources | files | bytes |\n|---|---:|---:|---:|\n"
        for (license, value) in byLicense.sorted(by: { ($1.value.bytes, $0.key) < ($0.value.bytes, $1.key) }) {
            rows += "| \(license) | \(value.sources) | \(grouped(value.files)) | \(grouped(value.bytes)) |\n"
        }
        return rows
    }

    private static func rejectionTable(_ corpus: AssembledCorpus) -> String {
        var rows = "## Files left out\n\n\(grouped(corpus.candidates)) files of the taken languages were looked at.\n\n"
        rows += "| reason | files |\n|---|---:|\n"
        for (reason, count) in corpus.rejections.sorted(by: { $0.key < $1.key }) {
            rows += "| \(reason.rawValue) | \(grouped(count)) |\n"
        }
        return rows
    }

    private static func sourceTable(_ corpus: AssembledCorpus) -> String {
        var rows = "## Sources\n\n| source | version | license | files | bytes | note |\n|---|---|---|---:|---:|---|\n"
        for statistics in corpus.sources {
            let source = statistics.source
            let note = source.isHeldOut ? "held out" : ""
            rows +=
                "| \(source.id) | \(source.version) | \(source.license) | \(grouped(statistics.files))"
                + " | \(grouped(statistics.bytes)) | \(note) |\n"
        }
        return rows
    }

    /// 1234567 as "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    private static let licenseNotes = """
        ## What the licenses mean for trained weights

        - Every source is under a permissive license (Apache-2.0, MIT, BSD-2-Clause, BSD-3-Clause, ISC, PSF-2.0,
          the curl license, SQLite's public-domain blessing) or under a dual license that offers a permissive
          choice, which this corpus takes: Perl's Artistic-1.0 (not GPL-1+), Ruby's BSD-2-Clause, libzstd's
          BSD-3-Clause (not GPL-2). No copyleft-only code is in it: the system C headers (LGPL/GPL) are left out
          on purpose (docs/data.md section 1). A source marked "unrecognised" above must be checked by hand
          before weights trained on it ship.
        - These licenses govern copying and redistributing the code. Whether weights trained on code are a
          derivative work of it is not settled. The project takes the conservative reading: weights ship with
          this file as attribution (source, version, license), the Apache-2.0 sources are named as such (its
          NOTICE duty), and no source's authors are named as endorsing the model (BSD-3-Clause clause 3).
        - A model can reproduce memorised files verbatim. A long verbatim completion carries the license of the
          file it came from; `manifest.tsv` holds the SHA-256 of every training file, so an exact copy can be
          traced back to its key and so to its source and license here.
        - The JSONL corpus itself is a copy of the code, not only a model of it. It is not committed; if it is
          ever published (for instance compressed in shared/), it must travel with this file and the license
          texts of the sources, which the JSONL rows do not contain.

        """
}
