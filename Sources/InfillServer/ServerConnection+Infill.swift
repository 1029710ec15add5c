import InfillProtocol
import InfillScheduler

/// `sedd/infill` and `textDocument/inlineCompletion`: validate, build a native job, submit it, and turn
/// its result into the response.
extension ServerConnection {
    func startInfill(_ request: Request) throws(InfillServerError) {
        let prepared = try PreparedInfill.parse(
            request.params, defaults: settings, encoding: encoding,
            documents: documents, maxHoles: server.configuration.maxHoles)
        let (job, segments) = prepared.job(maxContextBytes: server.configuration.maxContextBytes)
        let requestID = request.id
        let modelName = server.backendInfo.modelName
        let preview: ((Int, Int, [[String]]) -> Void)? =
            prepared.options.preview
            ? { [weak self] step, steps, fills in
                self?.sendPreview(
                    requestID, step: step, steps: steps,
                    fills: InfillResult.previewFills(fills, layout: prepared.layout))
            } : nil
        try submit(job, for: requestID, supersedeKey: nil, preview: preview) { [weak self] outcome, timing in
            guard let self else { return }
            answer(
                requestID,
                Result { () throws(InfillServerError) -> JSONValue in
                    try InfillResult.json(
                        outcome: outcome, timing: timing, request: prepared, segments: segments,
                        modelName: modelName)
                })
        }
        server.log(
            .info,
            "connection \(id): sedd/infill id \(requestID): \(prepared.layout.holes.count) hole(s), "
                + "\(prepared.layout.bytes.count) bytes, \(job.steps) steps, n \(job.candidates)")
    }

    func startInlineCompletion(_ request: Request) throws(InfillServerError) {
        let completion: InlineCompletionRequest
        do {
            completion = try InlineCompletionRequest(request.params, documents: documents, encoding: encoding)
        } catch let error as InfillServerError {
            throw error
        } catch let error as InfillProtocolError {
            throw .protocolViolation(error)
        } catch {
            throw .internalFailure("unexpected \(error) while reading inlineCompletion params")
        }
        var options = InfillOptions(defaults: settings)
        options.candidates = completion.isInvoked ? 3 : 1
        options.languageID = completion.languageID
        let prepared = PreparedInfill(layout: completion.layout, options: options, ranges: nil)
        let job = prepared.job(maxContextBytes: server.configuration.maxContextBytes).job
        let requestID = request.id
        try submit(
            job, for: requestID, supersedeKey: SupersedeKey(connection: id, document: completion.uri),
            preview: nil
        ) { [weak self] outcome, _ in
            guard let self else { return }
            let items = InfillResult.candidates(outcome, options: options).compactMap { candidate -> JSONValue? in
                guard let fill = candidate.fills.first, !fill.isEmpty else { return nil }
                return ["insertText": .string(completion.insertPrefix + fill), "range": completion.replaceRange.json]
            }
            answer(requestID, .success(["items": .array(items)]))
        }
        server.log(.info, "connection \(id): inlineCompletion id \(requestID): \(job.steps) steps, n \(job.candidates)")
    }

    /// Submits a job and routes its one completion to `onSuccess` or to an error answer.
    private func submit(
        _ job: InfillJob, for requestID: RequestID, supersedeKey: SupersedeKey?,
        preview: ((Int, Int, [[String]]) -> Void)?,
        onSuccess: @escaping (InfillOutcome, JobTiming) -> Void
    ) throws(InfillServerError) {
        // Holes too far apart for one window are filled in groups by the engine; each must fit alone.
        let needed = job.holeLengths.max() ?? 0
        if needed > server.backendInfo.contextLength {
            throw .holesExceedContext(tokens: needed, context: server.backendInfo.contextLength)
        }
        if server.isShuttingDown { throw .scheduler(.shuttingDown) }
        let server = self.server
        do {
            try server.scheduler.submit(
                job, owner: JobOwner(connection: id, request: requestID.key),
                supersedeKey: supersedeKey, preview: preview
            ) { [weak self] result in
                defer { server.jobFinished() }
                guard let self else { return }
                switch result {
                case .completed(let outcome, let timing): onSuccess(outcome, timing)
                case .failed(let failure, _): answer(requestID, .failure(.scheduler(failure)))
                case .cancelled(let reason): answer(requestID, .failure(.cancelled(reason)))
                }
            }
        } catch {
            throw .scheduler(error)
        }
        server.jobSubmitted()
        markAsJob(requestID)
    }

    private func sendPreview(_ requestID: RequestID, step: Int, steps: Int, fills: JSONValue) {
        guard isInFlight(requestID) else { return }
        sendMessage(
            Notification(
                method: Method.previewNotification,
                params: [
                    "id": requestID.json, "step": .int(step), "steps": .int(steps), "fills": fills,
                ]
            ).json)
    }
}

/// A validated `textDocument/inlineCompletion`: one hole at the cursor of an open document.
///
/// With `context.selectedCompletionInfo` (the completion popup has an item selected), LSP requires the
/// inline item to extend that item's text over its range, so the hole goes after the selected text and
/// the item replaces the selected range.
struct InlineCompletionRequest {
    var uri: String
    var languageID: String?
    var isInvoked: Bool
    var layout: HoleLayout
    /// Text placed before the fill in `insertText` (the selected completion's text, else empty).
    var insertPrefix: String
    var replaceRange: Range

    init(_ params: JSONValue?, documents: DocumentStore, encoding: PositionEncoding) throws {
        let reader = try JSONFieldReader(params, path: "")
        uri = try reader.object("textDocument").string("uri")
        guard let document = documents[uri] else { throw InfillServerError.documentNotOpen(uri: uri) }
        languageID = document.languageID
        let position = try Position(json: reader.members["position"], path: "position")
        let bytes = document.bytes
        let lines = document.lines
        let cursor = try lines.byteOffset(of: position, in: bytes, encoding: encoding, field: "position")
        let context = try reader.optionalObject("context")
        isInvoked = try context?.optionalInt("triggerKind", in: 1...2) == 1
        if let selected = try context?.optionalObject("selectedCompletionInfo") {
            let range = try Range(json: selected.members["range"], path: "context.selectedCompletionInfo.range")
            let text = try selected.string("text")
            let start = try lines.byteOffset(
                of: range.start, in: bytes, encoding: encoding,
                field: "context.selectedCompletionInfo.range.start")
            let end = max(
                start,
                try lines.byteOffset(
                    of: range.end, in: bytes, encoding: encoding,
                    field: "context.selectedCompletionInfo.range.end"))
            layout = HoleLayout(
                prefix: String(decoding: bytes[..<start], as: UTF8.self) + text,
                suffix: String(decoding: bytes[end...], as: UTF8.self))
            insertPrefix = text
            replaceRange = Range(
                start: lines.position(ofByteOffset: start, in: bytes, encoding: encoding),
                end: lines.position(ofByteOffset: end, in: bytes, encoding: encoding))
        } else {
            layout = HoleLayout(
                prefix: String(decoding: bytes[..<cursor], as: UTF8.self),
                suffix: String(decoding: bytes[cursor...], as: UTF8.self))
            insertPrefix = ""
            let here = lines.position(ofByteOffset: cursor, in: bytes, encoding: encoding)
            replaceRange = Range(start: here, end: here)
        }
    }
}
