package import Foundation

/// Reads CSV back with Python's `csv` module (strict, the Excel dialect RFC 4180 describes): what a
/// spreadsheet or an auditor's script would see in an export.
package enum PythonCSV {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) { self.description = description }
    }

    static let program = """
        import csv, io, json, sys
        text = sys.stdin.buffer.read().decode("utf-8", errors="strict")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        json.dump(rows, sys.stdout)
        """

    /// The records of `csv`, each a list of fields. - Throws: ``Failure`` when Python refuses it
    /// (not UTF-8, a stray quote), with Python's words.
    package static func rows(of csv: Data) throws -> [[String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Write and read on separate threads: an export larger than a pipe's buffer would block.
        let handle = input.fileHandleForWriting
        let writer = Thread {
            handle.write(csv)
            try? handle.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python3's csv module refused the export: " + String(decoding: complaint, as: UTF8.self))
        }
        guard let rows = try JSONSerialization.jsonObject(with: answer) as? [[String]] else {
            throw Failure(description: "python3 answered something other than rows: " + String(decoding: answer.prefix(200), as: UTF8.self))
        }
        return rows
    }
}
