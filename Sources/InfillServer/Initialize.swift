import InfillProtocol
import InfillScheduler

/// `initialize` and the connection settings it shares with `workspace/didChangeConfiguration`.
extension ConnectionSettings {
    /// The settings with `steps`, `span`, `sampler`, `temperature`, `unmasking`, `contextRefresh` and `deadlineMs` from
    /// `reader` applied (absent keys
    /// keep their value; `deadlineMs: null` removes the deadline). All or nothing.
    func applying(_ reader: JSONFieldReader) throws(InfillProtocolError) -> ConnectionSettings {
        var settings = self
        settings.steps = try reader.optionalInt("steps", in: 1...1024) ?? steps
        settings.span = try reader.optionalInt("span", in: 1...InfillOptions.maximumLength) ?? span
        settings.sampler = try reader.optionalChoice("sampler", of: SamplerKind.self) ?? sampler
        settings.temperature = try reader.optionalDouble("temperature", in: 0...2) ?? temperature
        settings.unmasking = try reader.optionalChoice("unmasking", of: UnmaskingKind.self) ?? unmasking
        settings.contextRefresh = try reader.optionalInt("contextRefresh", in: InfillJob.contextRefreshRange) ?? contextRefresh
        if reader.members["deadlineMs"] == .null {
            settings.deadlineMs = nil
        } else if let deadline = try reader.optionalDouble("deadlineMs", in: 1...600_000) {
            settings.deadlineMs = deadline
        }
        return settings
    }
}

enum InitializeHandler {
    /// What `initialize` decides for a connection.
    struct Negotiated {
        var encoding: PositionEncoding
        var settings: ConnectionSettings
        var clientName: String?
    }

    static func negotiate(_ params: JSONValue?, defaults: ConnectionSettings) throws(InfillProtocolError) -> Negotiated
    {
        let reader = try JSONFieldReader(params ?? .object([:]), path: "")
        var offers: [String] = []
        if let general = try reader.optionalObject("capabilities")?.optionalObject("general"),
            let values = try general.optionalArray("positionEncodings", count: 0...16)
        {
            for (index, value) in values.enumerated() {
                guard case .string(let offer) = value else {
                    throw .invalidField(
                        field: "capabilities.general.positionEncodings[\(index)]",
                        expected: "a string such as \"utf-16\"", got: value.typeName)
                }
                offers.append(offer)
            }
        }
        var settings = defaults
        if let options = try reader.optionalObject("initializationOptions") {
            settings = try settings.applying(options)
        }
        let clientName = try reader.optionalObject("clientInfo")?.optionalString("name")
        return Negotiated(
            encoding: PositionEncoding.negotiate(clientOffers: offers), settings: settings,
            clientName: clientName)
    }

    static func result(_ negotiated: Negotiated, configuration: ServerConfiguration, info: BackendInfo) -> JSONValue {
        var sedd: [String: JSONValue] = [
            "protocolVersion": 1,
            "model": .string(info.modelName),
            "vocabularySize": .int(info.vocabularySize),
            "contextLength": .int(info.contextLength),
            "parameterCount": .int(info.parameterCount),
            "defaultSteps": .int(negotiated.settings.steps),
            "defaultSpan": .int(negotiated.settings.span),
            "defaultSampler": .string(negotiated.settings.sampler.rawValue),
            "maxMessageBytes": .int(configuration.maxMessageBytes),
        ]
        if let deadline = negotiated.settings.deadlineMs { sedd["defaultDeadlineMs"] = .double(deadline) }
        return [
            "capabilities": [
                "positionEncoding": .string(negotiated.encoding.rawValue),
                "textDocumentSync": 2,
                "inlineCompletionProvider": true,
            ],
            "serverInfo": ["name": "sedd", "version": .string(configuration.serverVersion)],
            "sedd": .object(sedd),
        ]
    }
}
