import Hummingbird
import RoleSyncReports

extension AdminInput {
    /// A listing's `format`: `json` (a page, the default), or an export of every matching row
    /// (`csv`, `jsonl`). An export has no pages, so `limit` and `cursor` do not go with it.
    static func exportFormat(_ parameters: Parameters) throws -> ExportFormat? {
        guard let text = parameters.get("format"), text != "json" else { return nil }
        guard let format = ExportFormat(rawValue: text) else {
            throw AdminInputError.badRequest("format", "'\(text)' is not a format; one of: json, csv, jsonl")
        }
        for name in ["limit", "cursor"] where parameters.get(name) != nil {
            throw AdminInputError.badRequest(name, "'\(name)' does not go with format=\(text): an export has every matching row, not a page")
        }
        return format
    }
}

extension Export {
    /// The export as a download, streamed: each page of rows is written as it is read, so a long
    /// listing neither waits for its last row nor sits in memory. A failure after the first page
    /// ends the body early (the status was sent); it is logged.
    func response(_ context: RoleSyncRequestContext) -> Response {
        let headers: HTTPFields = [
            .contentType: format.contentType,
            .contentDisposition: "attachment; filename=\"\(filename)\"",
        ]
        let logger = context.logger
        let export = self
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                do {
                    try await export.write { text in try await writer.write(ByteBuffer(string: text)) }
                } catch {
                    logger.error("export failed part way", metadata: ["file": "\(export.filename)", "error": "\(error)"])
                    throw error
                }
                try await writer.finish(nil)
            }
        )
    }
}
